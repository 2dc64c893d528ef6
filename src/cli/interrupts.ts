// Ctrl-C and SIGTERM during `stackae train`: the first asks the training worker to stop after its
// iteration and write a checkpoint, a second quits at once.
import { EXIT } from "./exit.ts";
import type { ProgressReporter } from "./progress.ts";

/** The exit code of a run stopped by `signal`: 128 + its number. */
export const signalExitCode = (signal: NodeJS.Signals | null): number =>
  signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;

/**
 * Ctrl-C or SIGTERM, from construction to `release`: the worker stops at the end of its iteration
 * (through the Int32 flag in `stop`) and writes a checkpoint to `file`. A second one quits at
 * once; the checkpoint last written stays whole.
 */
export class Interrupts {
  /** The first signal received while training, if any. */
  signal: NodeJS.Signals | null = null;
  /** Until a stage starts (the data still loading, say) there is no new state to save: stop at once. */
  training = false;
  readonly #stop: Int32Array;
  readonly #file: string;
  readonly #progress: ProgressReporter;

  constructor(stop: SharedArrayBuffer, file: string, progress: ProgressReporter) {
    this.#stop = new Int32Array(stop);
    this.#file = file;
    this.#progress = progress;
    process.on("SIGINT", this.#onSignal);
    process.on("SIGTERM", this.#onSignal);
  }

  release(): void {
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
  }

  readonly #onSignal = (s: NodeJS.Signals) => {
    if (!this.training || this.signal !== null) {
      const why = this.training
        ? "again: quitting without a new checkpoint"
        : "before training started: stopped, nothing to save";
      this.#progress.notice(`stackae: ${s} ${why}\n`, { last: true, signal: true });
      process.exit(signalExitCode(s));
    }
    this.signal = s;
    Atomics.store(this.#stop, 0, 1);
    // The bar is not drawn again: the run ends after this iteration.
    this.#progress.notice(
      `stackae: ${s}: stopping after this iteration and writing a checkpoint to ${this.#file} (${s === "SIGINT" ? "Ctrl-C" : s} again quits without it)\n`,
      { last: true, signal: true },
    );
  };
}
