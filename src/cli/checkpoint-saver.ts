// How `stackae train` saves its checkpoints, and what it does when one cannot be written (a full
// disk, a folder gone): a periodic checkpoint that fails is a warning, and the next interval tries
// again, since the one written before stays whole (writes are atomic); the checkpoint of a run
// being stopped that fails ends the run with the last good checkpoint named.
import { saveCheckpoint, WriteError } from "../io/files.ts";
import { stageName, type TrainCheckpoint } from "../train/checkpoint.ts";
import { type ErrorReport, errorReport } from "./exit.ts";

/** A checkpoint saved whole: where, and the point of the run it holds. */
export interface SavedCheckpoint {
  file: string;
  stage: string;
  iteration: number;
}

/** What the saver tells the main thread. */
export type SaverMessage =
  | ({ type: "checkpoint" } & SavedCheckpoint)
  | {
      type: "checkpointFailed";
      error: ErrorReport;
      /** Iterations (or steps) until the next try; 0: none in this stage. */
      retryIn: number;
      lastGood: SavedCheckpoint | null;
    };

/** A checkpoint of a stopping run that could not be written, with the last good one. */
export class StopCheckpointError extends WriteError {
  readonly lastGood: SavedCheckpoint | null;
  constructor(error: WriteError, lastGood: SavedCheckpoint | null) {
    super(error.file, error.message.slice(error.file.length + 2), { cause: error.cause });
    this.lastGood = lastGood;
  }
}

/** The point of the run a checkpoint holds. */
export const pointOf = (c: TrainCheckpoint, file: string): SavedCheckpoint => ({
  file,
  stage: stageName(c.stage, c.settings.layers.length),
  iteration: c.optimizer?.iterations ?? 0,
});

/**
 * The run's `onCheckpoint`. `file(stopping)` is where a checkpoint goes (null: nowhere);
 * `every(c)` the interval of the checkpoint's stage; `resumed`, the checkpoint the run started
 * from, if any: the last good one until this run writes its own.
 */
export function checkpointSaver(options: {
  file: (stopping: boolean) => string | null;
  stopping: () => boolean;
  every: (c: TrainCheckpoint) => number;
  resumed: SavedCheckpoint | null;
  post: (m: SaverMessage) => void;
}): (c: TrainCheckpoint) => void {
  let lastGood = options.resumed;
  return (c) => {
    const stopping = options.stopping();
    const file = options.file(stopping);
    if (file === null) return;
    try {
      saveCheckpoint(file, c);
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
      if (stopping) throw new StopCheckpointError(error, lastGood);
      const every = options.every(c);
      options.post({ type: "checkpointFailed", error: errorReport(error), retryIn: every, lastGood });
      return;
    }
    lastGood = pointOf(c, file);
    options.post({ type: "checkpoint", ...lastGood });
  };
}

/** Where the run's state stands: "FILE (autoencoder 1, iteration 40)". */
export const describeSaved = (s: SavedCheckpoint): string => `${s.file} (${s.stage}, iteration ${s.iteration})`;

/**
 * The main thread's side: the lines to print for the saver's messages. A failure is said once,
 * until a checkpoint is written again; a checkpoint written is a line off a terminal only (a bar
 * shows the progress there), and not at all when quiet.
 */
export function checkpointLines(quiet: boolean, terminal: boolean): (m: SaverMessage) => string {
  let failing = false;
  return (m) => {
    if (m.type === "checkpointFailed") {
      if (failing) return "";
      failing = true;
      const retry = m.retryIn > 0 ? `tries again every ${m.retryIn} iterations` : "tries again at the next stage";
      const kept = m.lastGood
        ? `the last good checkpoint is ${describeSaved(m.lastGood)}`
        : "no checkpoint of this run is saved yet";
      return `stackae: warning: ${m.error.message}. Training goes on and ${retry}; ${kept}\n`;
    }
    const line = `checkpoint: ${describeSaved(m)}\n`;
    if (failing) {
      failing = false;
      return `stackae: checkpoints are written again: ${describeSaved(m)}\n`;
    }
    return terminal || quiet ? "" : line;
  };
}
