// Damaged and foreign checkpoints: a changed byte anywhere is caught by the checksums, and a
// state that does not fit its own settings and data (edited, or written by another program) is
// refused on read, naming the file and what does not fit, before any training starts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { checkpointHeaderOf, decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import {
  concatBytes,
  decodeSafetensors,
  encodeSafetensors,
  ModelFileError,
  type Tensor,
} from "../../src/io/safetensors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { type TrainCheckpoint, trainStackedAutoencoder } from "../../src/train/pipeline.ts";

const { train } = readMnist();
const data = train.head(100);
const saved: TrainCheckpoint[] = [];
trainStackedAutoencoder(
  new JsBackend("float32"),
  { inputs: data.pixels, labels: data.labels, inputSize: 784 },
  {
    settings: {
      layers: [8],
      autoencoder: { iterations: 3 },
      softmax: { optimizer: "adam", iterations: 2, batchSize: 30 },
      fineTune: { iterations: 2 },
    },
    checkpointEvery: 2,
    onCheckpoint: (c) => void saved.push(structuredClone(c)),
  },
);
const lbfgs = saved.find((c) => c.stage === 0 && c.optimizer?.iterations === 2) as TrainCheckpoint;
// The softmax's 100 rows in batches of 30: 4 steps an epoch; step 6 is the second of epoch 2.
const adam = saved.find((c) => c.stage === 1 && c.optimizer?.iterations === 6) as TrainCheckpoint;
const atStart = saved.find((c) => c.stage === 1 && c.optimizer === null) as TrainCheckpoint;

const fileOf = (c: TrainCheckpoint) => concatBytes(encodeCheckpoint(c));

/**
 * A checkpoint's file, edited as a person or another program might: its state (parsed) and
 * tensors changed, its checksums left out, as in a file written before stackae kept them.
 */
function edited(
  c: TrainCheckpoint,
  // biome-ignore lint/suspicious/noExplicitAny: a state edited as JSON, field by field
  editState: (state: Record<string, any>) => void,
  editTensors: (tensors: Map<string, Tensor>) => void = () => {},
): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(fileOf(c), "c");
  const { checksums: _, ...rest } = metadata;
  const state = JSON.parse(rest.state as string);
  editState(state);
  editTensors(tensors);
  return encodeSafetensors([...tensors], { ...rest, state: JSON.stringify(state) });
}

const values = (t: Map<string, Tensor>, name: string) => (t.get(name) as Tensor).data;

/** Refused on read by a ModelFileError naming the file; the header-only reader (`stackae info`) too, where `header`. */
function refused(bytes: Uint8Array, pattern: RegExp, { header = true } = {}): void {
  const named = (e: unknown) =>
    e instanceof ModelFileError && e.message.startsWith("run.ckpt: ") && pattern.test(e.message);
  assert.throws(() => decodeCheckpoint(bytes, "run.ckpt"), named);
  if (!header) return;
  const { tensors, metadata } = decodeSafetensors(bytes, "run.ckpt");
  assert.throws(() => checkpointHeaderOf(metadata, tensors, "run.ckpt"), named);
}

describe("checkpoint files: checksums", () => {
  it("a flipped bit in any tensor is refused, naming the file and the tensor", () => {
    for (const c of [lbfgs, adam]) {
      const bytes = fileOf(c);
      const { tensors } = decodeSafetensors(bytes, "c");
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
      assert.ok(tensors.size >= 6);
      for (const name of tensors.keys()) {
        const [begin, end] = header[name].data_offsets as [number, number];
        if (begin === end) continue;
        // The lowest bit of an element's first byte: a value changed in its last place, still finite.
        const at = 8 + n + begin + Math.floor((end - begin) / 2 / 8) * 8;
        const damaged = bytes.slice();
        damaged[at] = (damaged[at] as number) ^ 1;
        assert.throws(
          () => decodeCheckpoint(damaged, "run.ckpt"),
          (e: unknown) =>
            e instanceof ModelFileError &&
            new RegExp(`^run\\.ckpt: tensor ${name} does not match its checksum`).test(e.message),
          `a bit of ${name} flipped`,
        );
      }
    }
  });

  it("a changed state is refused, though it still fits its settings", () => {
    const { tensors, metadata } = decodeSafetensors(fileOf(lbfgs), "c");
    const state = JSON.parse(metadata.state as string);
    state.seconds += 1;
    const bytes = encodeSafetensors([...tensors], { ...metadata, state: JSON.stringify(state) });
    refused(bytes, /metadata "state" does not match its checksum/);
  });

  it("a checkpoint written before checksums is read as it was", () => {
    for (const c of [lbfgs, adam, atStart]) {
      const old = edited(c, () => {});
      assert.deepEqual(decodeCheckpoint(old, "old.ckpt"), decodeCheckpoint(fileOf(c), "new.ckpt"));
    }
  });
});

describe("checkpoint files: the state against its settings and data", () => {
  it("a shuffle order holding row −5, or a row twice, is refused (not an exit 2 from gatherRows)", () => {
    const minus = edited(
      adam,
      () => {},
      (t) => {
        (values(t, "order") as Int32Array)[3] = -5;
      },
    );
    refused(minus, /the shuffle order holds -5 at index 3: it must hold each of the stage's rows 0 to 99 once/, {
      header: false,
    });
    const twice = edited(
      adam,
      () => {},
      (t) => {
        const order = values(t, "order") as Int32Array;
        order[7] = order[8] as number;
      },
    );
    refused(twice, /the shuffle order holds \d+ at index 8: it must hold each/, { header: false });
    const short = edited(
      adam,
      () => {},
      (t) => {
        const order = t.get("order") as Tensor;
        t.set("order", { dtype: "I32", shape: [99], data: (order.data as Int32Array).slice(0, 99) });
      },
    );
    refused(short, /softmax's shuffle order holds 99 rows; the stage trains on 100/);
  });

  it("a stage edited to another, or to one the run does not have, is refused", () => {
    // The first autoencoder's L-BFGS state, said to be the softmax's (which runs adam).
    const softmax = edited(
      lbfgs,
      (s) => {
        s.stage = 1;
        s.stages = atStart.stages.map(({ costs: _, ...r }) => r);
      },
      (t) => {
        t.set("stage0.costs", { dtype: "F64", shape: [0], data: new Float64Array(0) });
      },
    );
    refused(softmax, /softmax's optimiser state is lbfgs's; its settings say adam/);
    // The same, in a run whose softmax runs L-BFGS too: the state's vectors are not the softmax's size.
    const sameKind = edited(
      lbfgs,
      (s) => {
        s.stage = 1;
        s.settings.softmax.optimizer = "lbfgs";
        s.stages = atStart.stages.map(({ costs: _, ...r }) => r);
      },
      (t) => {
        t.set("stage0.costs", { dtype: "F64", shape: [0], data: new Float64Array(0) });
      },
    );
    refused(sameKind, /softmax's optimiser moves 13336 parameters; the stage has 80/);
    const none = edited(atStart, (s) => {
      s.stage = 7;
    });
    refused(none, /stage 7 is not a stage of its run \(0 to 2: 1 autoencoder, the softmax, fine-tuning\)/);
    const renamed = edited(atStart, (s) => {
      s.stages[0].name = "softmax";
    });
    refused(renamed, /finished stage 0 is named "softmax", not "autoencoder 1"/);
  });

  it("an iteration, epoch or position past the stage's bounds is refused (not a stage silently skipped)", () => {
    refused(
      edited(lbfgs, (s) => {
        s.optimizer.iterations = 1e9;
      }),
      /autoencoder 1's L-BFGS is at iteration 1000000000, past the stage's 3/,
    );
    refused(
      edited(adam, (s) => {
        s.optimizer.epoch = 3;
      }),
      /softmax's epoch 3 is outside the stage's 1 to 2/,
    );
    refused(
      edited(adam, (s) => {
        s.optimizer.position = 150;
      }),
      /softmax's position 150 in the epoch is not the end of one of its 4 batches of 30/,
    );
    refused(
      edited(adam, (s) => {
        s.optimizer.iterations = 5;
      }),
      /softmax's adam is at step 5, but epoch 2 at position 60 is step 6/,
    );
  });

  it("parameters or an optimiser's vector that are not finite are refused (not 'the last good checkpoint')", () => {
    const nan = edited(
      adam,
      () => {},
      (t) => {
        (values(t, "params") as Float32Array).fill(Number.NaN);
      },
    );
    refused(nan, /params holds NaN at index 0, where a run needs finite values/, { header: false });
    const inf = edited(
      lbfgs,
      () => {},
      (t) => {
        (values(t, "S1") as Float32Array)[5] = Number.POSITIVE_INFINITY;
      },
    );
    refused(inf, /S1 holds Infinity at index 5/, { header: false });
  });

  it("is not written where its parameters are not finite: the checkpoint it would replace is kept", () => {
    const params = adam.params.slice();
    params[2] = Number.NaN;
    assert.throws(() => encodeCheckpoint({ ...adam, params }), {
      code: "ERR_NUMERICAL",
      message: /the checkpoint's params holds NaN at index 2: a checkpoint that is not finite is not saved/,
    });
  });
});
