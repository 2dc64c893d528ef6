// Progress of the training stages on stderr: a bar per stage on a terminal, plain lines otherwise.
import cliProgress from "cli-progress";
import type { Progress } from "../optim/types.ts";
import type { TrainEvents } from "../train/run-stage.ts";
import type { StageInfo, StageReport } from "../train/stages.ts";

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const whole = Math.round(s);
  if (whole < 60) return `${whole} s`;
  const m = Math.floor(whole / 60);
  return m < 60 ? `${m} min ${whole % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** n with thousands separators: "2,350". */
const count = (n: number): string => n.toLocaleString("en-US");

/** `n` and the noun, in the plural unless n is 1: "1 iteration", "12 iterations". */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** The validation set's latest accuracy, for a progress line: ", validation 91.20%"; "" without one. */
const validationText = (p: { validation?: { accuracy: number } }): string =>
  p.validation ? `, validation ${(100 * p.validation.accuracy).toFixed(2)}%` : "";

/** A finished stage's best validation point: ", best validation 97.10% at iteration 212"; "" without one. */
const bestText = (r: StageReport, unit: string): string =>
  r.validation
    ? `, best validation ${(100 * r.validation.best.accuracy).toFixed(2)}% at ${unit} ${count(r.validation.best.iteration)}`
    : "";

/**
 * Training events that draw progress on `stream` (none when quiet), and the way to print other
 * lines beside them: a message written while a bar is drawn would be glued to the bar's line
 * and drawn over at its next update.
 */
export interface ProgressReporter extends TrainEvents {
  /**
   * Writes `text` (whole lines) on lines of its own. A bar being drawn is ended first, and drawn
   * again below unless `last`: then the run is stopping and later events draw nothing. `signal`:
   * the terminal has echoed ^C on the current line, so a line is ended first where no bar was.
   */
  notice(text: string, options?: { last?: boolean; signal?: boolean }): void;
  /** Ends the bar being drawn (the cursor shown, line wrapping back on); later events draw nothing. */
  close(): void;
}

export function progressReporter(stream: NodeJS.WriteStream, quiet: boolean): ProgressReporter {
  if (quiet) {
    return {
      notice: (text, options) => stream.write(options?.signal && stream.isTTY ? `\n${text}` : text),
      close() {},
    };
  }
  return stream.isTTY ? barReporter(stream) : lineReporter(stream);
}

const left = (info: StageInfo, p: Progress & { seconds: number }) =>
  (p.seconds / Math.max(1, p.iteration)) * Math.max(0, info.maxIterations - p.iteration);

/** A bar per stage, redrawn in place (cli-progress). */
function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let closed = false;
  // What the bar shows, to draw it again after a notice.
  let stage: StageInfo | null = null;
  let value = 0;
  let payload: Record<string, string> = {};
  const draw = (info: StageInfo) => {
    bar = new cliProgress.SingleBar(
      {
        format: `${`[${info.index + 1}/${info.count}] ${info.name}`.padEnd(22)} {bar} {value}/{total} | cost {cost}{validation} | {elapsed} elapsed | {left} left`,
        stream,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
        formatValue: (v, _options, type) => (type === "value" || type === "total" ? count(v) : String(v)),
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(info.maxIterations, value, payload);
  };
  /** Ends the bar being drawn, on a line of its own; whether there was one. */
  const end = (): boolean => {
    if (bar === null) return false;
    bar.stop();
    bar = null;
    return true;
  };
  return {
    onStageStart(info) {
      if (closed) return;
      stage = info;
      value = 0;
      payload = { cost: "…", validation: "", elapsed: "0 s", left: "?" };
      draw(info);
    },
    onProgress(info, p) {
      if (closed) return;
      value = p.iteration;
      payload = {
        cost: p.cost.toPrecision(6),
        validation: validationText(p),
        elapsed: formatSeconds(p.seconds),
        left: formatSeconds(left(info, p)),
      };
      bar?.update(value, payload);
    },
    onStageEnd(_info, report: StageReport) {
      if (closed) return;
      bar?.update(report.iterations);
      end();
      stage = null;
    },
    notice(text, options) {
      const drawn = end();
      stream.write(!drawn && options?.signal ? `\n${text}` : text);
      if (options?.last) closed = true;
      else if (drawn && stage) draw(stage);
    },
    close() {
      end();
      closed = true;
    },
  };
}

/**
 * Not a terminal: a line at the start, every 10 % or 30 s, and at the end of each stage. L-BFGS
 * counts iterations; the minibatch optimisers take a step a batch.
 */
function lineReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const unit = (info: StageInfo) => (info.optimizer === "lbfgs" ? "iteration" : "step");
  let lastLine = 0;
  let lastTenth = 0;
  return {
    onStageStart(info) {
      lastLine = performance.now();
      lastTenth = 0;
      stream.write(
        `[${info.index + 1}/${info.count}] ${info.name}: ${info.optimizer}, up to ${plural(info.maxIterations, unit(info))}\n`,
      );
    },
    onProgress(info, p) {
      const tenth = Math.floor((10 * p.iteration) / Math.max(1, info.maxIterations));
      if (tenth > lastTenth || performance.now() - lastLine > 30000) {
        lastTenth = tenth;
        lastLine = performance.now();
        stream.write(
          `[${info.index + 1}/${info.count}] ${info.name}: ${unit(info)} ${count(p.iteration)}/${count(info.maxIterations)}, cost ${p.cost.toPrecision(6)}${validationText(p)}, ${formatSeconds(p.seconds)} elapsed, about ${formatSeconds(left(info, p))} left\n`,
        );
      }
    },
    onStageEnd(info, r) {
      stream.write(
        `[${info.index + 1}/${info.count}] ${info.name}: done in ${formatSeconds(r.seconds)}: ${plural(r.iterations, unit(info))}, ${plural(r.evaluations, "evaluation")}, cost ${r.cost.toPrecision(6)}${bestText(r, unit(info))} (${r.message})\n`,
      );
    },
    notice: (text) => stream.write(text),
    close() {},
  };
}
