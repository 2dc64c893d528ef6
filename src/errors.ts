/**
 * Typed errors. Every error a caller can cause is a StackaeError with a stable `code`, and its
 * message names the argument, what was expected and what was found.
 */
export class StackaeError extends Error {
  /** A stable, machine-readable class of error. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Matrix or vector shapes that do not fit together. */
export class ShapeError extends StackaeError {
  constructor(message: string) {
    super("ERR_SHAPE", message);
  }
}

/** An argument, option or hyperparameter that is missing, of the wrong kind or out of range. */
export class ArgumentError extends StackaeError {
  constructor(message: string) {
    super("ERR_ARGUMENT", message);
  }
}

/**
 * Data that cannot be used: a data file that is missing, unreadable, corrupt or inconsistent
 * with its partner, or inputs that are not finite numbers.
 */
export class DataError extends StackaeError {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  constructor(message: string, file?: string, options?: ErrorOptions) {
    super("ERR_DATA", message, options);
    this.file = file;
  }
}

/** Formats a value for an error message: short, and unambiguous about its type. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a ${typeof value}`;
}

/** Checks that `value` is a finite number in the given range; names `name` in the error. */
export function checkNumber(
  name: string,
  value: unknown,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean } = {},
): number {
  const { min, max, minExclusive = false, maxExclusive = false, integer = false } = range;
  const lo = min === undefined ? "" : `${minExclusive ? "(" : "["}${min}`;
  const hi = max === undefined ? "" : `${max}${maxExclusive ? ")" : "]"}`;
  const what = `${integer ? "an integer" : "a finite number"}${lo || hi ? ` in ${lo || "(-∞"}, ${hi || "∞)"}` : ""}`;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || (minExclusive ? value > min : value >= min)) &&
    (max === undefined || (maxExclusive ? value < max : value <= max));
  if (!ok) throw new ArgumentError(`${name} must be ${what}, got ${describe(value)}`);
  return value as number;
}

/** Rejects keys of `options` that are not in `known`, naming the first unknown key. */
export function checkKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${where}: unknown option ${JSON.stringify(key)}; known options are ${known.join(", ")}`);
    }
  }
}

/**
 * Why a file operation failed, in words, from a Node error's code; `missing` says what ENOENT
 * means for this operation ("no such file" when reading, "its folder does not exist" when writing).
 */
export function fileErrorReason(cause: unknown, missing = "no such file"): string {
  const code = (cause as { code?: string } | null)?.code;
  switch (code) {
    case "ENOENT":
      return missing;
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a folder";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "ENOSPC":
      return "the disk is full";
    default:
      return code ?? String(cause);
  }
}
