// The demo's training, in a Web Worker so that the page stays responsive. Kernel threads are
// started inside it when the page is cross-origin isolated (the demo's server sends the headers).
import {
  accuracy,
  createWasmBackend,
  isGzip,
  parseIdx,
  predict,
  type StackedModel,
  setKernelBase,
  trainStackedAutoencoder,
} from "../src/browser.ts";

export interface TrainRequest {
  images: number;
  layers: number[];
  iterations: number;
  /** Absolute URLs of the kernels' folder and of the data folder, both ending in "/". */
  kernelBase: string;
  dataBase: string;
}

export type TrainMessage =
  | { type: "started"; threads: number; fma: boolean; images: number }
  | { type: "stage"; name: string; index: number; count: number; maxIterations: number }
  | { type: "progress"; index: number; iteration: number; cost: number; seconds: number }
  | { type: "done"; model: StackedModel; accuracy: number; testImages: number; seconds: number }
  | { type: "error"; message: string };

const post = (m: TrainMessage, transfer: Transferable[] = []) => self.postMessage(m, { transfer });

/** An IDX file, gzipped or not: some servers send .gz files with Content-Encoding: gzip, so the
 * browser has already inflated them, and others do not; the bytes tell which (as readIdx does). */
async function fetchIdx(url: string): Promise<ReturnType<typeof parseIdx>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (isGzip(bytes)) {
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(inflated).arrayBuffer());
  }
  return parseIdx(bytes, url);
}

self.onmessage = async (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  const started = performance.now();
  try {
    setKernelBase(request.kernelBase);
    const names = ["train-images", "train-labels", "test-images", "test-labels"];
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
      names.map((n) => fetchIdx(`${request.dataBase}${n}.idx.gz`)),
    );
    if (!trainImages || !trainLabels || !testImages || !testLabels) throw new Error("data missing");
    const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    const backend = await createWasmBackend({ threads });
    const m = Math.min(request.images, trainLabels.data.length);
    post({ type: "started", threads, fma: backend.fma, images: m });
    const it = request.iterations;
    const result = trainStackedAutoencoder(
      backend,
      {
        inputs: trainImages.data.subarray(0, m * 784),
        labels: trainLabels.data.subarray(0, m),
        inputSize: 784,
        classes: 10,
      },
      {
        settings: {
          layers: request.layers,
          autoencoder: { iterations: it },
          softmax: { iterations: it },
          fineTune: { iterations: it },
        },
        onStageStart: (s) => post({ type: "stage", ...s }),
        onProgress: (s, p) =>
          post({ type: "progress", index: s.index, iteration: p.iteration, cost: p.cost, seconds: p.seconds }),
      },
    );
    const predicted = predict(backend, result.model, testImages.data);
    const testAccuracy = accuracy(predicted, testLabels.data);
    await backend.dispose();
    const model = result.model;
    post(
      {
        type: "done",
        model,
        accuracy: testAccuracy,
        testImages: testLabels.data.length,
        seconds: (performance.now() - started) / 1000,
      },
      [model.params.buffer],
    );
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
