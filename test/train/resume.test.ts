// A run continued from any checkpoint, passed through the checkpoint file format, ends in the
// same model as the uninterrupted run, bit for bit.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { ArgumentError } from "../../src/errors.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import { concatBytes, encodeSafetensors } from "../../src/io/safetensors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import type { TrainCheckpoint } from "../../src/train/checkpoint.ts";
import { type TrainOptions, trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import { AbortedError } from "../../src/train/run-stage.ts";
import type { PartialSettings } from "../../src/train/settings.ts";

const { train } = readMnist();
const backend = await createWasmBackend({ threads: 2 });
const data = train.head(600);
const input = { inputs: data.pixels, labels: data.labels, inputSize: 784 };

/** Through the file format, as a resumed run would read it. */
function roundTrip(c: TrainCheckpoint): TrainCheckpoint {
  return decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "test.checkpoint");
}

function runWithCheckpoints(settings: PartialSettings, every: number) {
  const saved: TrainCheckpoint[] = [];
  const result = trainStackedAutoencoder(backend, input, {
    settings,
    checkpointEvery: every,
    onCheckpoint: (c) => void saved.push(roundTrip(c)),
  });
  return { result, saved };
}

function resumeFrom(c: TrainCheckpoint, options: TrainOptions = {}) {
  return trainStackedAutoencoder(backend, input, { ...options, resume: c });
}

function assertSameRun(a: ReturnType<typeof resumeFrom>, b: ReturnType<typeof resumeFrom>): void {
  assert.deepEqual(Array.from(a.model.params), Array.from(b.model.params));
  assert.deepEqual(Array.from(a.pretrained.params), Array.from(b.pretrained.params));
  assert.deepEqual(
    a.stages.map((s) => [s.name, s.iterations, s.evaluations, s.cost, s.costs]),
    b.stages.map((s) => [s.name, s.iterations, s.evaluations, s.cost, s.costs]),
  );
}

describe("resuming a run from its checkpoints", () => {
  it("L-BFGS, two autoencoders: from the start of every stage and from inside each, the same model", () => {
    const settings = {
      layers: [32, 16],
      seed: 5,
      autoencoder: { iterations: 12 },
      softmax: { iterations: 10 },
      fineTune: { iterations: 12 },
    };
    const { result, saved } = runWithCheckpoints(settings, 5);
    const starts = saved.filter((c) => c.optimizer === null);
    assert.deepEqual(
      starts.map((c) => c.stage),
      [0, 1, 2, 3],
      "a checkpoint at the start of every stage",
    );
    const inside = saved.filter((c) => c.optimizer !== null);
    assert.deepEqual(
      inside.map((c) => [c.stage, c.optimizer?.iterations]),
      [
        [0, 5],
        [0, 10],
        [1, 5],
        [1, 10],
        [2, 5],
        [2, 10],
        [3, 5],
        [3, 10],
      ],
    );
    for (const c of [...starts, inside[1], inside[2], inside[5], inside[6]] as TrainCheckpoint[]) {
      assertSameRun(resumeFrom(c), result);
    }
  });

  it("Adam with unlabelled pretraining data: from inside an epoch, the same model", () => {
    const settings = {
      layers: [24],
      seed: 9,
      autoencoder: { optimizer: "adam" as const, iterations: 2, batchSize: 100, learningRate: 0.01 },
      softmax: { optimizer: "sgd" as const, iterations: 2, batchSize: 128 },
      fineTune: { optimizer: "adam" as const, iterations: 2, batchSize: 100 },
    };
    const unlabeled = train.pixels.subarray(600 * 784, 900 * 784);
    const saved: TrainCheckpoint[] = [];
    const withUnlabeled = { ...input, unlabeled };
    const whole = trainStackedAutoencoder(backend, withUnlabeled, {
      settings,
      checkpointEvery: 4,
      onCheckpoint: (c) => void saved.push(roundTrip(c)),
    });
    // Autoencoder: 300 rows in batches of 100 (3 steps an epoch); step 4 is inside epoch 2.
    const picks = saved.filter((c) => c.optimizer !== null);
    assert.ok(picks.length >= 3);
    for (const c of picks) {
      assertSameRun(trainStackedAutoencoder(backend, withUnlabeled, { resume: c }), whole);
    }
  });

  it("checkpointEvery as a function gives each stage its own interval, checked as the stage starts", () => {
    const settings = {
      layers: [8],
      autoencoder: { iterations: 6 },
      softmax: { optimizer: "adam" as const, iterations: 2, batchSize: 100 },
      fineTune: { iterations: 4 },
    };
    const taken: string[] = [];
    trainStackedAutoencoder(backend, input, {
      settings,
      checkpointEvery: (stage) => (stage.optimizer === "lbfgs" ? 3 : 5),
      onCheckpoint: (c) => void taken.push(`${c.stage} ${c.optimizer?.iterations ?? 0}`),
    });
    // Stages 0, 1 and 2; the softmax's 600 rows in batches of 100 are 12 steps.
    assert.deepEqual(taken, ["0 0", "0 3", "0 6", "1 0", "1 5", "1 10", "2 0", "2 3"]);
    assert.throws(
      () => trainStackedAutoencoder(backend, input, { settings, checkpointEvery: () => 1.5 }),
      /checkpointEvery must be an integer/,
    );
    assert.throws(() => trainStackedAutoencoder(backend, input, { settings, checkpointEvery: -1 }), ArgumentError);
  });

  it("shouldStop writes a checkpoint and throws AbortedError; resuming from it finishes the run", () => {
    const settings = { layers: [16], seed: 2, autoencoder: { iterations: 10 }, fineTune: { iterations: 8 } };
    const whole = trainStackedAutoencoder(backend, input, { settings });
    let last: TrainCheckpoint | undefined;
    let polls = 0;
    assert.throws(
      () =>
        trainStackedAutoencoder(backend, input, {
          settings,
          shouldStop: () => ++polls === 7,
          onCheckpoint: (c) => void (last = roundTrip(c)),
        }),
      (e: unknown) => e instanceof AbortedError && e.stage === "autoencoder 1" && e.iteration === 7,
    );
    assert.equal(last?.optimizer?.iterations, 7);
    assertSameRun(resumeFrom(last as TrainCheckpoint), whole);
  });

  it("refuses other data, other settings given beside it, and a checkpoint of another stack", () => {
    const { saved } = runWithCheckpoints(
      { layers: [8], autoencoder: { iterations: 3 }, fineTune: { iterations: 2 } },
      2,
    );
    const c = saved[1] as TrainCheckpoint;
    const other = train.head(601);
    assert.throws(
      () =>
        trainStackedAutoencoder(backend, { inputs: other.pixels, labels: other.labels, inputSize: 784 }, { resume: c }),
      {
        name: "ResumeDataError",
        code: "ERR_ARGUMENT",
        message: /checkpoint was taken on 600 examples of 784 values in 10 classes, this run has 601/,
      },
    );
    const shifted = train.pixels.slice(784, 601 * 784);
    assert.throws(
      () => trainStackedAutoencoder(backend, { inputs: shifted, labels: data.labels, inputSize: 784 }, { resume: c }),
      { name: "ResumeDataError", message: /checksum/ },
    );
    assert.throws(() => resumeFrom(c, { settings: { seed: 3 } }), ArgumentError);
    const wrong = { ...c, params: new Float32Array(10) };
    assert.throws(() => resumeFrom(wrong), { message: /holds 10 parameters/ });
  });
});

describe("the checkpoint file", () => {
  it("refuses a model file, damaged state and missing tensors, naming the file", () => {
    const notCheckpoint = encodeSafetensors([], { format: "stackae-model" });
    assert.throws(() => decodeCheckpoint(notCheckpoint, "m.safetensors"), {
      message: /^m\.safetensors: is safetensors but not a stackae checkpoint/,
    });
    const damaged = encodeSafetensors([], { format: "stackae-checkpoint", version: "1", state: "{" });
    assert.throws(() => decodeCheckpoint(damaged, "c"), { message: /state" is not a JSON object/ });
    const { saved } = runWithCheckpoints(
      { layers: [8], autoencoder: { iterations: 2 }, fineTune: { iterations: 1 } },
      1,
    );
    const c = saved.find((s) => s.optimizer?.kind === "lbfgs") as TrainCheckpoint;
    const [head] = encodeCheckpoint(c);
    // Header of a checkpoint whose tensors are absent: the header is read, then the tensors are missed.
    const view = new DataView((head as Uint8Array).buffer);
    const json = JSON.parse(
      new TextDecoder().decode((head as Uint8Array).subarray(8, 8 + Number(view.getBigUint64(0, true)))),
    );
    const stripped = encodeSafetensors([], json.__metadata__);
    assert.throws(() => decodeCheckpoint(stripped, "c"), {
      message: /^c: tensor params is missing, but metadata "checksums" lists it: the file is damaged/,
    });
    // As a file of before checksums: its state names tensors that are not there.
    const { checksums: _, ...unchecked } = json.__metadata__;
    assert.throws(() => decodeCheckpoint(encodeSafetensors([], unchecked), "c"), { message: /^c: has no tensor/ });
  });
});
