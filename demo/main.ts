// The demo page: trains a stack in a worker (or loads a model file), draws the cost curves as
// they come, predicts the digit drawn on the pad with its ten probabilities, and shows the first
// layer's features as tiles.
import {
  decodeModel,
  digitToInput,
  encodeModel,
  JsBackend,
  predictProbabilities,
  type StackedModel,
  tileImage,
} from "../src/browser.ts";
import type { TrainMessage, TrainRequest } from "./train-worker.ts";

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const form = $<HTMLFormElement>("train-form");
const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const progress = $<HTMLProgressElement>("progress");
const status = $<HTMLSpanElement>("status");
const costs = $<HTMLCanvasElement>("costs");
const pad = $<HTMLCanvasElement>("pad");
const predicted = $<HTMLOutputElement>("predicted");
const probabilities = $<HTMLOListElement>("probabilities");
const features = $<HTMLCanvasElement>("features");
const drop = $<HTMLDivElement>("drop");

const backend = new JsBackend("float32");
let model: StackedModel | null = null;
let worker: Worker | null = null;

$("threads").textContent = self.crossOriginIsolated
  ? `Cross-origin isolated: training uses up to ${Math.min(4, navigator.hardwareConcurrency || 1)} threads.`
  : "Not cross-origin isolated: training runs on one thread.";

// ---- Training ---------------------------------------------------------------------------------

const curves: { name: string; values: number[] }[] = [];
let drawPending = false;

function drawCosts(): void {
  drawPending = false;
  const g = costs.getContext("2d") as CanvasRenderingContext2D;
  g.clearRect(0, 0, costs.width, costs.height);
  const colors = ["#3a7bd5", "#d5593a", "#3ad57b", "#a03ad5", "#d5b33a"];
  const width = costs.width / Math.max(1, curves.length);
  curves.forEach((curve, i) => {
    const v = curve.values;
    if (v.length === 0) return;
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    g.strokeStyle = colors[i % colors.length] as string;
    g.beginPath();
    v.forEach((c, j) => {
      const x = i * width + (j / Math.max(1, v.length - 1)) * (width - 8) + 4;
      const y = costs.height - 18 - ((c - lo) / (hi - lo || 1)) * (costs.height - 30);
      if (j === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = "#444";
    g.font = "11px system-ui";
    g.fillText(curve.name, i * width + 4, costs.height - 4);
  });
}

function scheduleCosts(): void {
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(drawCosts);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const layers = $<HTMLInputElement>("layers").value.split(",").map(Number);
  if (layers.some((h) => !Number.isInteger(h) || h < 1)) {
    status.textContent = "Hidden layers: positive integers separated by commas, e.g. 100,50.";
    return;
  }
  const request: TrainRequest = {
    images: Number($<HTMLInputElement>("images").value),
    layers,
    iterations: Number($<HTMLInputElement>("iterations").value),
    kernelBase: new URL("wasm/", document.baseURI).href,
    dataBase: new URL("data/", document.baseURI).href,
  };
  curves.length = 0;
  scheduleCosts();
  progress.value = 0;
  status.textContent = "Loading the data and the kernels…";
  trainButton.disabled = true;
  stopButton.disabled = false;
  worker = new Worker(new URL("./train-worker.ts", import.meta.url), { type: "module" });
  let stages = 1;
  let maxIterations = 1;
  let trainImages = 0;
  let stageName = "";
  worker.onmessage = (e: MessageEvent<TrainMessage>) => {
    const m = e.data;
    if (m.type === "started") {
      trainImages = m.images;
      status.textContent = `Training on ${m.images} images, ${m.threads} thread(s)${m.fma ? ", FMA" : ""}…`;
    } else if (m.type === "stage") {
      stages = m.count;
      maxIterations = Math.max(1, m.maxIterations);
      stageName = m.name;
      curves.push({ name: m.name, values: [] });
    } else if (m.type === "progress") {
      curves[curves.length - 1]?.values.push(m.cost);
      scheduleCosts();
      progress.value = (m.index + Math.min(1, m.iteration / maxIterations)) / stages;
      status.textContent = `${stageName}: iteration ${m.iteration}/${maxIterations}, cost ${m.cost.toPrecision(4)}`;
    } else if (m.type === "done") {
      progress.value = 1;
      finishTraining();
      useModel(
        m.model,
        `Trained in ${m.seconds.toFixed(0)} s: test accuracy ${(100 * m.accuracy).toFixed(1)} % on ${m.testImages} test images.`,
        { accuracyAfterFineTuning: String(m.accuracy), trainImages: String(trainImages) },
      );
    } else {
      finishTraining();
      status.textContent = `Training failed: ${m.message}`;
    }
  };
  worker.onerror = (e) => {
    finishTraining();
    status.textContent = `Training failed: ${e.message}`;
  };
  worker.postMessage(request);
});

function finishTraining(): void {
  worker?.terminate();
  worker = null;
  trainButton.disabled = false;
  stopButton.disabled = true;
}

stopButton.addEventListener("click", () => {
  finishTraining();
  status.textContent = "Stopped.";
});

// ---- Loading a model file ---------------------------------------------------------------------

async function loadFile(file: File): Promise<void> {
  try {
    const { model: loaded } = decodeModel(new Uint8Array(await file.arrayBuffer()), file.name);
    if (loaded.sizes[0] !== 784) throw new Error(`${file.name} takes ${loaded.sizes[0]} inputs, not 28 × 28 = 784`);
    useModel(loaded, `Loaded ${file.name}: ${loaded.sizes.join("-")}, ${loaded.classes} classes.`);
  } catch (error) {
    status.textContent = (error as Error).message;
  }
}

$<HTMLInputElement>("model-file").addEventListener("change", (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void loadFile(file);
});
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const file = e.dataTransfer?.files[0];
  if (file) void loadFile(file);
});

/** The model's file, as the command line saves it: to take from the page to `stackae eval` and the rest. */
let modelFile: Uint8Array | null = null;

$("save").addEventListener("click", () => {
  if (modelFile === null) return;
  // A buffer of its own, never shared memory.
  const url = URL.createObjectURL(
    new Blob([modelFile as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
  );
  const link = Object.assign(document.createElement("a"), { href: url, download: "model.safetensors" });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});

function useModel(m: StackedModel, message: string, metadata: Record<string, string> = {}): void {
  model = m;
  status.textContent = message;
  modelFile = encodeModel(m, { imageShape: "[28,28]", createdBy: "stackae demo", ...metadata });
  $("save-row").hidden = false;
  document.body.dataset.model = "ready";
  showFeatures(m);
  classify();
}

// ---- Features ---------------------------------------------------------------------------------

function showFeatures(m: StackedModel): void {
  const hidden = m.sizes[1] as number;
  const tiles = tileImage(m.params.subarray(0, hidden * 784), hidden, 28, 28, { scale: 2 });
  features.width = tiles.width;
  features.height = tiles.height;
  const image = new ImageData(tiles.width, tiles.height);
  for (let i = 0; i < tiles.data.length; i++) {
    const v = tiles.data[i] as number;
    image.data.set([v, v, v, 255], 4 * i);
  }
  (features.getContext("2d") as CanvasRenderingContext2D).putImageData(image, 0, 0);
}

// ---- Drawing and predicting -------------------------------------------------------------------

const ink = pad.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
function clearPad(): void {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
  predicted.textContent = "–";
  probabilities.replaceChildren();
}
clearPad();
ink.lineWidth = 22;
ink.lineCap = "round";
ink.lineJoin = "round";
ink.strokeStyle = "#000";

let drawing = false;
const at = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height] as const;
};
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  const [x, y] = at(e);
  ink.beginPath();
  ink.moveTo(x, y);
  ink.lineTo(x, y);
  ink.stroke();
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  ink.lineTo(x, y);
  ink.stroke();
});
pad.addEventListener("pointerup", () => {
  drawing = false;
  classify();
});
$("clear").addEventListener("click", clearPad);

function classify(): void {
  if (!model) return;
  const rgba = ink.getImageData(0, 0, pad.width, pad.height).data;
  const gray = new Uint8Array(pad.width * pad.height);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i] as number;
  const input = digitToInput({ width: pad.width, height: pad.height, data: gray });
  if (input.every((v) => v === 0)) return;
  const p = Array.from(predictProbabilities(backend, model, input));
  const best = p.indexOf(Math.max(...p));
  predicted.textContent = String(best);
  probabilities.replaceChildren(
    ...p.map((v, c) => {
      const li = document.createElement("li");
      if (c === best) li.className = "best";
      const digit = document.createElement("span");
      digit.className = "digit";
      digit.textContent = String(c);
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${(100 * v).toFixed(1)}px`;
      const label = document.createElement("span");
      label.textContent = `${(100 * v).toFixed(1)} %`;
      li.append(digit, bar, label);
      li.dataset.probability = String(v);
      return li;
    }),
  );
}
