import { StackaeError } from "../errors.ts";

/** A data file that is missing, unreadable, corrupt, or inconsistent with its partner. */
export class DataError extends StackaeError {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  constructor(message: string, file?: string, options?: ErrorOptions) {
    super("ERR_DATA", message, options);
    this.file = file;
  }
}
