// A run's state between two iterations, and the checks that a checkpoint fits the run that
// resumes from it (the same data, shape and checksum) and fits itself: a stage its settings have,
// an optimiser's state within that stage's bounds, finite parameters.
import { fnv1a } from "../data/idx-stream-layout.ts";
import { ArgumentError, checkNumber } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { Rng, RngState } from "../linalg/rng.ts";
import { sparseAutoencoderLayout } from "../nn/sparse-autoencoder.ts";
import { stackLayout } from "../nn/stack.ts";
import { tiedAutoencoderLayout } from "../nn/tied-autoencoder.ts";
import type { OptimizerState } from "../optim/types.ts";
import type { StageSettings, TrainSettings } from "./settings.ts";
import type { StageReport } from "./stages.ts";

/**
 * The whole state of a run between two iterations: enough to continue it as if it had never
 * stopped. Its arrays may be the optimiser's own: save or copy them before `onCheckpoint` returns
 * (with the wasm backend's threads they are views of WebAssembly memory that is reused later, and
 * `structuredClone` shares such views rather than copying them: use `slice()` or `saveCheckpoint`).
 */
export interface TrainCheckpoint {
  settings: TrainSettings;
  /** What the run learns from; a resumed run must be given the same. */
  data: TrainDataSummary;
  /** The stage in progress: 0 … layers − 1 the autoencoders, then the softmax, then fine-tuning. */
  stage: number;
  /** The stack's encoders and softmax as far as the finished stages have learned them. */
  params: Float32Array;
  /** The run's random generator: before the stage's own draws when `optimizer` is null, after them otherwise. */
  rng: RngState;
  /** Reports of the finished stages. */
  stages: StageReport[];
  /** The stage's optimiser after its last iteration; null when the stage has not begun. */
  optimizer: OptimizerState | null;
  /** The stage's cost after each iteration so far, and the seconds spent in it. */
  costs: number[];
  seconds: number;
}

/** The shape of a run's data, and a checksum of its values. */
export interface TrainDataSummary {
  examples: number;
  inputSize: number;
  classes: number;
  unlabeled: number | null;
  /** FNV-1a (32-bit) over the labels and the inputs' bytes, as hex. */
  checksum: string;
}

/** What every checkpoint of a run holds besides its stage's own progress. */
export interface RunState {
  readonly settings: TrainSettings;
  readonly data: TrainDataSummary;
  /** The stack's parameters as far as the finished stages have learned them. */
  readonly params: Float32Array;
  readonly rng: Rng;
  /** Reports of the finished stages. */
  readonly stages: StageReport[];
}

/** The checkpoint of `run` inside stage `stage`, whose optimiser is at `optimizer` (null: not begun). */
export function checkpointOf(
  run: RunState,
  stage: number,
  optimizer: OptimizerState | null,
  costs: number[],
  seconds: number,
): TrainCheckpoint {
  const { settings, data, params, stages } = run;
  return { settings, data, stage, params, rng: run.rng.state, stages, optimizer, costs, seconds };
}

/** The name of a run's stage `stage` (as in TrainCheckpoint) for a stack of `layers` autoencoders. */
export function stageName(stage: number, layers: number): string {
  return stage < layers ? `autoencoder ${stage + 1}` : stage === layers ? "softmax" : "fine-tuning";
}

/** A checkpoint resumed on other data than its run was started with (an ArgumentError, ERR_ARGUMENT). */
export class ResumeDataError extends ArgumentError {}

/**
 * Checks that a checkpoint belongs to this data and these settings before anything is trained:
 * `length` parameters, `count` stages.
 */
export function checkResume(c: TrainCheckpoint, data: TrainDataSummary, length: number, count: number): void {
  const d = c.data;
  const shape = (s: TrainDataSummary) =>
    `${s.examples} examples of ${s.inputSize} values in ${s.classes} classes${s.unlabeled === null ? "" : ` and ${s.unlabeled} unlabelled ones`}`;
  if (
    d.examples !== data.examples ||
    d.inputSize !== data.inputSize ||
    d.classes !== data.classes ||
    d.unlabeled !== data.unlabeled
  ) {
    throw new ResumeDataError(
      `the checkpoint was taken on ${shape(d)}, this run has ${shape(data)}: resume with the data the run started with`,
    );
  }
  if (d.checksum !== data.checksum) {
    throw new ResumeDataError(
      `the checkpoint was taken on data with checksum ${d.checksum}, this run's is ${data.checksum} (same shape, other values): resume with the data the run started with`,
    );
  }
  checkNumber("checkpoint stage", c.stage, { integer: true, min: 0, max: count - 1 });
  if (c.params.length !== length) {
    throw new ArgumentError(`the checkpoint holds ${c.params.length} parameters, its settings need ${length}`);
  }
  if (c.stages.length !== c.stage) {
    throw new ArgumentError(`the checkpoint is at stage ${c.stage} but reports ${c.stages.length} finished stages`);
  }
  const problem = checkpointProblem(stateSummary(c)) ?? checkpointValuesProblem(c)?.problem ?? null;
  if (problem !== null) throw new ArgumentError(`the checkpoint cannot be continued from: ${problem}`);
}

/** FNV-1a over the bytes of each array, 32-bit, as 8 hex digits. */
export function checksum(arrays: (ArrayBufferView | undefined)[]): string {
  return checksumHex(checksumOf(undefined, arrays));
}

/** FNV-1a over the bytes of each array, continued from `h` (undefined: from the start), unformatted. */
export function checksumOf(h: number | undefined, arrays: (ArrayBufferView | undefined)[]): number {
  let x = h ?? 0x811c9dc5;
  for (const a of arrays) if (a) x = fnv1a(x, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return x;
}

/** A checksum as 8 hex digits. */
export function checksumHex(h: number): string {
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** What a stage of a run trains, from the run's settings and data. */
export interface StageShape {
  name: string;
  settings: StageSettings;
  /** The length of the vector its optimiser moves. */
  params: number;
  /** The rows it trains on: the unlabelled examples for the autoencoders where there are some. */
  rows: number;
}

/** Stage `stage` (0 … layers + 1, as TrainCheckpoint counts) of a run of these settings on this data. */
export function stageShape(settings: TrainSettings, data: TrainDataSummary, stage: number): StageShape {
  const L = settings.layers.length;
  const sizes = [data.inputSize, ...settings.layers];
  const name = stageName(stage, L);
  if (stage < L) {
    // A tied autoencoder has no W2 (docs/denoising.md).
    const layout = settings.autoencoder.tiedWeights ? tiedAutoencoderLayout : sparseAutoencoderLayout;
    const params = layout(sizes[stage] as number, sizes[stage + 1] as number).length;
    return { name, settings: settings.autoencoder, params, rows: data.unlabeled ?? data.examples };
  }
  if (stage === L) {
    return { name, settings: settings.softmax, params: data.classes * (sizes[L] as number), rows: data.examples };
  }
  return { name, settings: settings.fineTune, params: stackLayout(sizes, data.classes).length, rows: data.examples };
}

/** A checkpoint's state without its vectors' values: what checkpointProblem checks. */
export interface CheckpointSummary {
  settings: TrainSettings;
  data: TrainDataSummary;
  stage: number;
  stages: readonly { name: string }[];
  /** The length of `params`. */
  params: number;
  optimizer: {
    kind: string;
    iterations: number;
    /** The length of x. */
    length: number;
    /** L-BFGS: its correction pairs. */
    pairs?: number;
    /** Adam and SGD: the epoch, the position in it, the length of the order. */
    epoch?: number;
    position?: number;
    order?: number;
  } | null;
}

/** The summary of a checkpoint that checkpointProblem checks. */
export function stateSummary(c: TrainCheckpoint): CheckpointSummary {
  const o = c.optimizer;
  const optimizer =
    o === null
      ? null
      : o.kind === "lbfgs"
        ? { kind: o.kind, iterations: o.iterations, length: o.x.length, pairs: o.S.length }
        : {
            kind: o.kind,
            iterations: o.iterations,
            length: o.x.length,
            epoch: o.epoch,
            position: o.position,
            order: o.order.length,
          };
  return { ...c, params: c.params.length, optimizer };
}

/**
 * Where a checkpoint's state does not fit its own settings and data, in words (null: it fits):
 * a stage its run has, the parameters of its stack, an optimiser of the stage's kind and size,
 * and iterations, epoch and position within the stage's bounds. Its vectors' values are not
 * looked at (checkpointValuesProblem does that).
 */
export function checkpointProblem(c: CheckpointSummary): string | null {
  const { settings, data } = c;
  const L = settings.layers.length;
  if (data.examples < 1 || data.inputSize < 1 || data.classes < 2) {
    return `data of ${data.examples} examples of ${data.inputSize} values in ${data.classes} classes cannot have been trained on`;
  }
  if (c.stage > L + 1) {
    return `stage ${c.stage} is not a stage of its run (0 to ${L + 1}: ${plural(L, "autoencoder")}, the softmax, fine-tuning)`;
  }
  if (c.stages.length !== c.stage)
    return `it is at stage ${c.stage} but reports ${plural(c.stages.length, "finished stage")}`;
  for (const [i, r] of c.stages.entries()) {
    if (r.name !== stageName(i, L))
      return `finished stage ${i} is named ${JSON.stringify(r.name)}, not "${stageName(i, L)}"`;
  }
  const length = stackLayout([data.inputSize, ...settings.layers], data.classes).length;
  if (c.params !== length) return `its stack holds ${c.params} parameters; its settings need ${length}`;
  const o = c.optimizer;
  if (o === null) return null;
  const stage = stageShape(settings, data, c.stage);
  const s = stage.settings;
  const where = `${stage.name}'s`;
  if (o.kind !== s.optimizer) return `${where} optimiser state is ${o.kind}'s; its settings say ${s.optimizer}`;
  if (o.length !== stage.params)
    return `${where} optimiser moves ${o.length} parameters; the stage has ${stage.params}`;
  if (o.kind === "lbfgs") {
    if (o.iterations > s.iterations) {
      return `${where} L-BFGS is at iteration ${o.iterations}, past the stage's ${s.iterations}`;
    }
    if ((o.pairs ?? 0) > o.iterations)
      return `${where} L-BFGS holds ${o.pairs} correction pairs after ${o.iterations} iterations`;
    return null;
  }
  // A minibatch state is taken after a step: `position` is where the next batch starts, one batch on.
  const perEpoch = Math.ceil(stage.rows / s.batchSize);
  const epoch = o.epoch ?? 0;
  const position = o.position ?? 0;
  if (o.order !== stage.rows) return `${where} shuffle order holds ${o.order} rows; the stage trains on ${stage.rows}`;
  if (epoch < 1 || epoch > s.iterations) return `${where} epoch ${epoch} is outside the stage's 1 to ${s.iterations}`;
  if (position % s.batchSize !== 0 || position < s.batchSize || position > perEpoch * s.batchSize) {
    return `${where} position ${position} in the epoch is not the end of one of its ${plural(perEpoch, "batch")} of ${s.batchSize}`;
  }
  const steps = (epoch - 1) * perEpoch + position / s.batchSize;
  if (o.iterations !== steps) {
    return `${where} ${o.kind} is at step ${o.iterations}, but epoch ${epoch} at position ${position} is step ${steps}`;
  }
  return null;
}

/**
 * Where a checkpoint's vectors cannot be continued from (null: they can), and in which of them
 * (by its tensor's name in a file): a value that is not finite in its parameters or its
 * optimiser's vectors, or a shuffle order that is not a permutation of the stage's rows.
 * Checked after checkpointProblem.
 */
export function checkpointValuesProblem(c: TrainCheckpoint): { tensor: string; problem: string } | null {
  for (const [tensor, v] of checkpointVectors(c)) {
    const at = firstNonFinite(v);
    if (at >= 0) return { tensor, problem: `${tensor} holds ${v[at]} at index ${at}, where a run needs finite values` };
  }
  const o = c.optimizer;
  if (o === null || o.kind === "lbfgs") return null;
  const seen = new Uint8Array(o.order.length);
  for (let i = 0; i < o.order.length; i++) {
    const row = o.order[i] as number;
    if (!(row >= 0 && row < seen.length) || seen[row] === 1) {
      return {
        tensor: "order",
        problem: `the shuffle order holds ${row} at index ${i}: it must hold each of the stage's rows 0 to ${seen.length - 1} once`,
      };
    }
    seen[row] = 1;
  }
  return null;
}

/** The vectors a resumed run continues from, by the names a checkpoint file gives their tensors. */
export function checkpointVectors(c: Pick<TrainCheckpoint, "params" | "optimizer">): [string, FloatArray][] {
  const out: [string, FloatArray][] = [["params", c.params]];
  const o = c.optimizer;
  if (o?.kind === "lbfgs") {
    out.push(["x", o.x], ["g", o.g], ["rho", Float64Array.from(o.rho)]);
    o.S.forEach((v, i) => {
      out.push([`S${i}`, v], [`Y${i}`, o.Y[i] as FloatArray]);
    });
  } else if (o) {
    out.push(["x", o.x], ["last", o.last]);
    o.moments.forEach((v, i) => {
      out.push([`moment${i}`, v]);
    });
  }
  return out;
}

/** The index of the first value of `v` that is not finite; −1 where all are. */
export function firstNonFinite(v: FloatArray): number {
  // A float64 sum of float32 values is finite exactly where each value is (float64 values may
  // overflow it: then each is looked at). Four sums at once take a third to half the CPU time of
  // a test of each value, on the 255 MB of the largest checkpoint.
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const whole = v.length - (v.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    a += v[i] as number;
    b += v[i + 1] as number;
    c += v[i + 2] as number;
    d += v[i + 3] as number;
  }
  for (; i < v.length; i++) a += v[i] as number;
  if (Number.isFinite(a + b + c + d)) return -1;
  for (let j = 0; j < v.length; j++) if (!Number.isFinite(v[j] as number)) return j;
  return -1;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : noun.endsWith("h") ? "es" : "s"}`;
