// estimateMemory against what a run allocates: a backend and vector kernels that count their
// live bytes, through real (small) runs of each optimiser; and the figures a user would check by
// hand (L-BFGS's history of 100 pairs, 4 bytes a number).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import type { Matrix } from "../../src/linalg/matrix.ts";
import { Rng } from "../../src/linalg/rng.ts";
import type { VectorOps } from "../../src/optim/types.ts";
import { axpy, dot } from "../../src/optim/vector.ts";
import { estimateMemory } from "../../src/train/memory.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import { type PartialSettings, resolveSettings } from "../../src/train/settings.ts";

/** A float32 JavaScript backend that counts the bytes of its live matrices and optimiser vectors. */
class CountingBackend extends JsBackend<Float32Array> {
  live = 0;
  peak = 0;
  readonly vectors: VectorOps;
  constructor() {
    super("float32");
    const add = (bytes: number) => {
      this.live += bytes;
      this.peak = Math.max(this.peak, this.live);
    };
    this.vectors = {
      dot,
      axpy,
      zeros: (n) => {
        add(4 * n);
        return new Float32Array(n);
      },
      zeros64: (n) => {
        add(8 * n);
        return new Float64Array(n);
      },
      release: (v) => add(-v.byteLength),
    };
  }
  override zeros(rows: number, cols: number): Matrix<Float32Array> {
    const m = super.zeros(rows, cols);
    this.live += m.size * 4;
    this.peak = Math.max(this.peak, this.live);
    return m;
  }
  override free(m: Matrix<Float32Array>): void {
    super.free(m);
    this.live -= m.size * 4;
  }
}

const rng = new Rng(3);
const [m, n, classes] = [400, 64, 4];
const input = {
  inputs: Float32Array.from({ length: m * n }, () => (rng.uniform() < 0.5 ? 0 : rng.uniform())),
  labels: Int32Array.from({ length: m }, () => rng.int(classes)),
  inputSize: n,
};

function measure(settings: PartialSettings): { measured: number; estimated: number } {
  const backend = new CountingBackend();
  trainStackedAutoencoder(backend, input, { settings });
  assert.equal(backend.live, 0, "everything allocated was given back");
  const estimate = estimateMemory(resolveSettings(settings), { examples: m, inputSize: n, classes }, { name: "js" });
  // The engine's share (garbage not yet collected) is not an allocation to count here.
  return { measured: backend.peak, estimated: estimate.peak - estimate.parts.runtime };
}

describe("estimateMemory", () => {
  it("L-BFGS with a full history: at least the bytes a run holds at once, and within 40 % of them", () => {
    const { measured, estimated } = measure({
      layers: [96, 32],
      autoencoder: { iterations: 110 },
      softmax: { iterations: 5 },
      fineTune: { iterations: 110 },
    });
    assert.ok(estimated >= measured && estimated <= 1.4 * measured, `estimated ${estimated}, measured ${measured}`);
  });

  it("adam and sgd: at least the bytes a run holds at once, and within 60 % of them (x, x0 and the stack's copies are not counted here)", () => {
    const { measured, estimated } = measure({
      layers: [96],
      autoencoder: { optimizer: "adam", iterations: 1, batchSize: 50 },
      softmax: { optimizer: "sgd", iterations: 1, batchSize: 50 },
      fineTune: { optimizer: "adam", iterations: 1, batchSize: 50 },
    });
    assert.ok(estimated >= measured && estimated <= 1.6 * measured, `estimated ${estimated}, measured ${measured}`);
  });

  it("input dropout during fine-tuning: its masked copy of the data counted (L-BFGS: all of it)", () => {
    const settings = {
      layers: [16],
      autoencoder: { iterations: 2 },
      softmax: { iterations: 2 },
      fineTune: { iterations: 110, inputDropout: 0.2, weightDecay: 1e-3 },
    };
    const { measured, estimated } = measure(settings);
    // An upper estimate: L-BFGS may stop before its history is full.
    assert.ok(estimated >= measured, `estimated ${estimated}, measured ${measured}`);
    const without = estimateMemory(
      resolveSettings({ ...settings, fineTune: { iterations: 110 } }),
      { examples: m, inputSize: n, classes },
      { name: "js" },
    );
    const fineTuning = (e: typeof without) => e.stages.find((s) => s.name === "fine-tuning")?.bytes ?? 0;
    const withDropout = estimateMemory(
      resolveSettings(settings),
      { examples: m, inputSize: n, classes },
      { name: "js" },
    );
    assert.ok(fineTuning(withDropout) - fineTuning(without) >= m * n * 4, "the copy's m × n floats");
  });

  it("the issue's --layers 100000 on MNIST: L-BFGS's history alone is 2 × 100 × 156,900,784 × 4 bytes ≈ 125.5 GB", () => {
    const settings = resolveSettings({ layers: [100000] });
    const e = estimateMemory(
      settings,
      { examples: 60000, inputSize: 784, classes: 10 },
      { name: "native", threads: 2 },
    );
    const P = 2 * 784 * 100000 + 784 + 100000;
    assert.equal(P, 156_900_784);
    assert.equal(e.stage, "autoencoder 1");
    const stage = e.stages[0];
    assert.equal(stage?.parameters, P);
    assert.ok((stage?.parts.optimizer ?? 0) >= 2 * 100 * P * 4, "the 100 pairs at least");
    // Hidden activations, 60,000 × 100,000 floats: 24 GB; their deltas are written over them
    // block by block (the decoder's blocks), so they are not counted twice.
    const activations = stage?.parts.activations ?? 0;
    assert.ok(activations >= 60000 * 100000 * 4 && activations < 2 * 60000 * 100000 * 4, `${activations}`);
    // Adam keeps no history and works on minibatches: its first autoencoder takes a tenth of
    // the memory (the run still needs the 24 GB of the top features for the softmax).
    const adam = estimateMemory(
      resolveSettings({ layers: [100000], autoencoder: { optimizer: "adam" }, fineTune: { optimizer: "adam" } }),
      { examples: 60000, inputSize: 784, classes: 10 },
      { name: "native", threads: 2 },
    );
    const [a0, l0] = [adam.stages[0]?.bytes ?? 0, stage?.bytes ?? 0];
    assert.ok(a0 < l0 / 10, `adam ${a0}, L-BFGS ${l0}`);
    assert.ok(adam.peak >= 60000 * 100000 * 4, "the top features");
  });

  it("the js backend in float64 holds its matrices at 8 bytes; wasm counts its threads and its 4 GiB memory", () => {
    const settings = resolveSettings({});
    const data = { examples: 60000, inputSize: 784, classes: 10 };
    const f32 = estimateMemory(settings, data, { name: "js" });
    const f64 = estimateMemory(settings, data, { name: "js", dtype: "float64" });
    assert.ok(f64.parts.data >= 2 * f32.parts.data - 1);
    const one = estimateMemory(settings, data, { name: "wasm", threads: 1 });
    const many = estimateMemory(settings, data, { name: "wasm", threads: 9 });
    assert.ok(many.peak - one.peak >= 8 * 4 * 2 ** 20, "each thread's buffers at least");
    assert.ok(one.wasmMemory > 60000 * 784 * 4 && one.wasmMemory < 2 ** 32);
    assert.equal(f32.wasmMemory, 0);
  });

  it("refuses a data shape that is not one", () => {
    assert.throws(
      () => estimateMemory(resolveSettings({}), { examples: -1, inputSize: 784, classes: 10 }, { name: "js" }),
      ArgumentError,
    );
  });
});
