// Training on streamed examples (issue #32): L-BFGS refused, the same model as in memory where
// the order of the examples is the same, and a run resumed in the middle of a streamed epoch
// ending in the uninterrupted run's model, bit for bit.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PNG } from "pngjs";
import { readCsv } from "../../src/data/csv-file.ts";
import { openCsvStream } from "../../src/data/csv-stream-file.ts";
import { readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { openIdxStream } from "../../src/data/idx-stream-file.ts";
import { readImageFolder } from "../../src/data/image-folder-file.ts";
import { openImageFolderStream } from "../../src/data/image-stream-file.ts";
import { inputScaleOf, scaleInputs } from "../../src/data/source.ts";
import type { ExampleStream } from "../../src/data/stream.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import { concatBytes } from "../../src/io/safetensors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import type { TrainCheckpoint } from "../../src/train/checkpoint.ts";
import { type TrainResult, trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import { AbortedError } from "../../src/train/run-stage.ts";
import type { PartialSettings } from "../../src/train/settings.ts";
import { StreamOptimizerError } from "../../src/train/stream-rows.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-stream-train-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const m = 600;
const data = readMnist().train.head(m);
writeFileSync(join(dir, "images"), encodeIdx([m, 28, 28], data.pixels));
writeFileSync(join(dir, "labels"), encodeIdx([m], data.labels));
const backend = await createWasmBackend({ threads: 2 });
const stream = (): ExampleStream =>
  openIdxStream(join(dir, "images"), join(dir, "labels"), { shuffleBuffer: 100, chunkBytes: 50 * 784 });

const adam = { optimizer: "adam" as const, iterations: 2, batchSize: 64 };
const settings: PartialSettings = { layers: [24, 12], seed: 4, autoencoder: adam, softmax: adam, fineTune: adam };

const sameRun = (a: TrainResult, b: TrainResult) => {
  assert.deepEqual(Buffer.from(a.model.params.buffer), Buffer.from(b.model.params.buffer));
  assert.deepEqual(
    a.stages.map((s) => s.costs),
    b.stages.map((s) => s.costs),
  );
};

describe("training on streamed examples", () => {
  it("refuses L-BFGS stages with StreamOptimizerError naming them and the minibatch optimisers", () => {
    assert.throws(
      () => trainStackedAutoencoder(backend, { stream: stream() }, { settings: { layers: [8] } }),
      (e: Error) =>
        e instanceof StreamOptimizerError &&
        /the autoencoder, the softmax, fine-tuning are set to L-BFGS/.test(e.message) &&
        /--optimizer adam, or sgd/.test(e.message),
    );
    assert.throws(
      () =>
        trainStackedAutoencoder(
          backend,
          { stream: stream() },
          { settings: { ...settings, softmax: { optimizer: "lbfgs" } } },
        ),
      (e: Error) => e instanceof StreamOptimizerError && /^the softmax is set to L-BFGS/.test(e.message),
    );
  });

  it("gives the in-memory model bit for bit where the examples come in the same order", () => {
    const uniform: ExampleStream = { ...stream(), shuffle: (order, rng) => void rng.shuffle(order) };
    const streamed = trainStackedAutoencoder(backend, { stream: uniform }, { settings });
    const held = trainStackedAutoencoder(
      backend,
      { inputs: data.pixels, labels: data.labels, inputSize: 784 },
      { settings },
    );
    sameRun(streamed, held);
  });

  it("resumed from inside any stage, mid-epoch, ends in the uninterrupted run's model", () => {
    const saved: TrainCheckpoint[] = [];
    const whole = trainStackedAutoencoder(
      backend,
      { stream: stream() },
      {
        settings,
        checkpointEvery: 7,
        onCheckpoint: (c) => void saved.push(decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "c")),
      },
    );
    // 600 examples in batches of 64: 10 steps an epoch, so step 7 of each stage is mid-epoch.
    const inside = saved.filter((c) => c.optimizer !== null);
    assert.deepEqual(
      inside.map((c) => [c.stage, c.optimizer?.iterations]),
      [0, 1, 2, 3].flatMap((stage) => [
        [stage, 7],
        [stage, 14],
      ]),
    );
    for (const c of inside.filter((_, i) => i % 3 === 0)) {
      sameRun(trainStackedAutoencoder(backend, { stream: stream() }, { resume: c }), whole);
    }
    // The checksum is the in-memory data's: the checkpoint resumes with the examples held, too.
    const held = { inputs: data.pixels, labels: data.labels, inputSize: 784 };
    assert.throws(
      () =>
        trainStackedAutoencoder(backend, held, { resume: inside[0] as TrainCheckpoint, signal: AbortSignal.abort() }),
      (e: Error) => e instanceof AbortedError,
    );
  });
});

// A CSV of the same images: its bytes (÷ 255, as IDX) and, a tenth of them as decimals, float32
// values divided by the largest (--input-scale max, a CSV's default).
const csvRows = (value: (b: number) => string) =>
  Array.from({ length: m }, (_, i) =>
    [data.labels[i], ...Array.from(data.pixels.subarray(i * 784, (i + 1) * 784), value)].join(","),
  );
writeFileSync(
  join(dir, "bytes.csv"),
  `label,${Array.from({ length: 784 }, (_, j) => `p${j}`).join(",")}\n${csvRows(String).join("\n")}\n`,
);
writeFileSync(join(dir, "floats.csv"), `${csvRows((b) => (b / 10).toFixed(1)).join("\n")}\n`);

describe("training on a streamed CSV", () => {
  for (const file of ["bytes.csv", "floats.csv"]) {
    const path = join(dir, file);
    const csvStream = () => openCsvStream(path, { shuffleBuffer: 100, chunkBytes: 40_000 });

    it(`${file}: gives the in-memory model bit for bit where the examples come in the same order`, async () => {
      const held = await readCsv(path);
      const inputs = scaleInputs(held.inputs, inputScaleOf(held, undefined));
      const base = await csvStream();
      assert.equal(base.inputScale, file === "bytes.csv" ? 255 : 25.5);
      const uniform: ExampleStream = { ...base, shuffle: (order, rng) => void rng.shuffle(order) };
      const streamed = trainStackedAutoencoder(backend, { stream: uniform }, { settings });
      base.close();
      sameRun(
        streamed,
        trainStackedAutoencoder(backend, { inputs, labels: held.labels, inputSize: 784 }, { settings }),
      );
    });

    it(`${file}: resumed mid-epoch, ends in the uninterrupted run's model`, async () => {
      const saved: TrainCheckpoint[] = [];
      const first = await csvStream();
      const whole = trainStackedAutoencoder(
        backend,
        { stream: first },
        {
          settings,
          checkpointEvery: 7,
          onCheckpoint: (c) => void saved.push(decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "c")),
        },
      );
      first.close();
      const inside = saved.filter((c) => c.optimizer !== null && c.optimizer.iterations % 10 !== 0);
      assert.ok(inside.length >= 4);
      for (const c of [inside[1], inside[inside.length - 1]] as TrainCheckpoint[]) {
        const again = await csvStream();
        sameRun(trainStackedAutoencoder(backend, { stream: again }, { resume: c }), whole);
        again.close();
      }
    });
  }
});

// The same images as PNG files by class (DIR/<digit>/i.png), light ink on dark as MNIST's.
for (let i = 0; i < m; i++) {
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) {
    const v = data.pixels[i * 784 + p] as number;
    png.data.set([v, v, v, 255], 4 * p);
  }
  mkdirSync(join(dir, "pictures", String(data.labels[i])), { recursive: true });
  writeFileSync(
    join(dir, "pictures", String(data.labels[i]), `${String(i).padStart(3, "0")}.png`),
    PNG.sync.write(png),
  );
}

describe("training on a streamed image folder", () => {
  const folder = join(dir, "pictures");
  const pictures = () => openImageFolderStream(folder, { shuffleBuffer: 100, chunkFiles: 50 });

  it("gives the in-memory model bit for bit where the examples come in the same order", async () => {
    const held = (await readImageFolder(folder)).train;
    const base = await pictures();
    const uniform: ExampleStream = { ...base, shuffle: (order, rng) => void rng.shuffle(order) };
    const streamed = trainStackedAutoencoder(backend, { stream: uniform }, { settings });
    base.close();
    const inputs = { inputs: held.inputs, labels: held.labels, inputSize: 784 };
    sameRun(streamed, trainStackedAutoencoder(backend, inputs, { settings }));
  });

  it("resumed mid-epoch, ends in the uninterrupted run's model", async () => {
    const saved: TrainCheckpoint[] = [];
    const first = await pictures();
    const whole = trainStackedAutoencoder(
      backend,
      { stream: first },
      {
        settings,
        checkpointEvery: 7,
        onCheckpoint: (c) => void saved.push(decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "c")),
      },
    );
    first.close();
    const inside = saved.filter((c) => c.optimizer !== null && c.optimizer.iterations % 10 !== 0);
    for (const c of [inside[2], inside[inside.length - 1]] as TrainCheckpoint[]) {
      const again = await pictures();
      sameRun(trainStackedAutoencoder(backend, { stream: again }, { resume: c }), whole);
      again.close();
    }
  });
});
