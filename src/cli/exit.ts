// Exit codes, one per class of failure (documented in the README's "When things go wrong"), and
// the one-line report of an error.

export const EXIT = {
  ok: 0,
  /** A check did not pass (gradcheck), or a failure of no other class. */
  failed: 1,
  /** Unknown flag, malformed or out-of-range value, flags that do not go together. */
  usage: 2,
  /** A data file missing, unreadable, corrupt, or not fitting the model. */
  data: 3,
  /** A model or checkpoint file missing, unreadable, damaged, or of another format. */
  modelFile: 4,
  /** A cost or gradient became NaN or infinite. */
  numerical: 5,
  /** An output (model, checkpoint, report) could not be written. */
  write: 6,
  /** A file the run would write is locked by another run that is still going (a lock file names its PID). */
  locked: 7,
  /** A bug in stackae: the message asks for a report. */
  internal: 70,
  /** Stopped by SIGINT (Ctrl-C) or SIGTERM, after writing a checkpoint once a stage has started: 128 + the signal's number. */
  interrupted: 130,
  terminated: 143,
} as const;

/** An error as it crosses from the training worker: its class name, code, message and stack. */
export interface ErrorReport {
  name: string;
  code: string | undefined;
  message: string;
  stack: string | undefined;
}

export function errorReport(error: unknown): ErrorReport {
  if (error instanceof ReportedError) return error.report;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      code: typeof code === "string" ? code : undefined,
      message: error.message,
      stack: error.stack,
    };
  }
  return { name: "Error", code: undefined, message: String(error), stack: undefined };
}

/** An error reported by another thread, carried to the command line's error handler. */
export class ReportedError extends Error {
  readonly report: ErrorReport;
  constructor(report: ErrorReport) {
    super(report.message);
    this.report = report;
  }
}

const BY_CODE: Record<string, number> = {
  ERR_ARGUMENT: EXIT.usage,
  ERR_DATA: EXIT.data,
  ERR_SHAPE: EXIT.data,
  ERR_MODEL_FILE: EXIT.modelFile,
  ERR_NUMERICAL: EXIT.numerical,
  ERR_WRITE: EXIT.write,
  ERR_LOCKED: EXIT.locked,
};

/** The exit code for an error; stackae's own errors carry a code starting with ERR_. */
export function exitCodeFor(e: ErrorReport): number {
  if (e.code === undefined || !e.code.startsWith("ERR_")) return EXIT.internal;
  return BY_CODE[e.code] ?? EXIT.failed;
}

/** The lines to print for an error: one, or the stack trace too when verbose or for a bug. */
export function formatError(e: ErrorReport, verbose: boolean): string {
  const internal = exitCodeFor(e) === EXIT.internal;
  let text = `stackae: ${internal ? "internal error: " : ""}${e.message}\n`;
  if (verbose || internal) text += `${e.stack ?? "(no stack trace)"}\n`;
  if (internal) text += "This is a bug in stackae: please report it with the command you ran and the lines above.\n";
  return text;
}
