import { ArgumentError, checkKeys, checkNumber } from "../errors.ts";
import type { ProgressCallback } from "./types.ts";

/** Options every optimiser takes. */
export interface CommonOptions {
  /** Called after every iteration; returning false stops the run (status "stopped"). */
  onProgress?: ProgressCallback;
  /** Stops the run at the next iteration (status "aborted"). */
  signal?: AbortSignal;
}

export function checkCommon(where: string, options: CommonOptions): void {
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new ArgumentError(`${where}: onProgress must be a function, got ${typeof options.onProgress}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ArgumentError(`${where}: signal must be an AbortSignal`);
  }
}

export { checkKeys, checkNumber };
