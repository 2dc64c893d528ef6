// A checkpoint given to the library as it is (not read from a file) is checked against its own
// settings and data before anything is trained, as one read from a file is.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { ArgumentError } from "../../src/errors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import type { LbfgsState, MinibatchState } from "../../src/optim/types.ts";
import { type TrainCheckpoint, trainStackedAutoencoder } from "../../src/train/pipeline.ts";

const { train } = readMnist();
const data = train.head(100);
const input = { inputs: data.pixels, labels: data.labels, inputSize: 784 };
const backend = new JsBackend("float32");
const saved: TrainCheckpoint[] = [];
trainStackedAutoencoder(backend, input, {
  settings: {
    layers: [8],
    autoencoder: { iterations: 3 },
    softmax: { optimizer: "adam", iterations: 2, batchSize: 30 },
    fineTune: { iterations: 2 },
  },
  checkpointEvery: 2,
  onCheckpoint: (c) => void saved.push(structuredClone(c)),
});
const lbfgs = saved.find((c) => c.stage === 0 && c.optimizer?.iterations === 2) as TrainCheckpoint;
const adam = saved.find((c) => c.stage === 1 && c.optimizer?.iterations === 6) as TrainCheckpoint;

function refused(c: TrainCheckpoint, pattern: RegExp): void {
  assert.throws(
    () => trainStackedAutoencoder(backend, input, { resume: c }),
    (e: unknown) =>
      e instanceof ArgumentError &&
      /^the checkpoint cannot be continued from: /.test(e.message) &&
      pattern.test(e.message),
  );
}

describe("resuming from a checkpoint that does not fit itself", () => {
  it("refuses a shuffle order that is not a permutation of the stage's rows", () => {
    const o = adam.optimizer as MinibatchState;
    const order = o.order.slice();
    order[3] = -5;
    refused({ ...adam, optimizer: { ...o, order } }, /the shuffle order holds -5 at index 3/);
  });

  it("refuses an iteration past the stage's end, which would skip the rest of the stage", () => {
    const o = lbfgs.optimizer as LbfgsState;
    refused(
      { ...lbfgs, optimizer: { ...o, iterations: 1e9 } },
      /autoencoder 1's L-BFGS is at iteration 1000000000, past the stage's 3/,
    );
  });

  it("refuses parameters that are not finite", () => {
    refused({ ...adam, params: adam.params.map(() => Number.NaN) }, /params holds NaN at index 0/);
  });

  it("resumes from the checkpoints it wrote", () => {
    for (const c of [lbfgs, adam]) assert.doesNotThrow(() => trainStackedAutoencoder(backend, input, { resume: c }));
  });
});
