// A run's state between two iterations, and the checks that a checkpoint fits the run that
// resumes from it: the same data (shape and checksum) and a stage its settings have.
import { ArgumentError, checkNumber } from "../errors.ts";
import type { Rng, RngState } from "../linalg/rng.ts";
import type { OptimizerState } from "../optim/types.ts";
import type { TrainSettings } from "./settings.ts";
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
}

/** FNV-1a over the bytes of each array, 32-bit, as 8 hex digits. */
export function checksum(arrays: (ArrayBufferView | undefined)[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    if (!a) continue;
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
