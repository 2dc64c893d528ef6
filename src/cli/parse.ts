// Value parsers for command-line flags: a bad value is a usage error naming the flag.
import { InvalidArgumentError } from "commander";

export function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(
        `Expected an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` in [${min}, ${max}]`}, got "${value}"`,
      );
    }
    return v;
  };
}

export function float(check: (v: number) => boolean, what: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === "" || !Number.isFinite(v) || !check(v))
      throw new InvalidArgumentError(`Expected ${what}, got "${value}"`);
    return v;
  };
}

export const nonNegative = float((v) => v >= 0, "a number ≥ 0");
export const positive = float((v) => v > 0, "a number > 0");
export const fraction = float((v) => v > 0 && v < 1, "a number in (0, 1)");

/** "200,200" → [200, 200]: positive integers separated by commas. */
export function sizes(value: string): number[] {
  const parts = value.split(",");
  const out = parts.map((p) => Number(p.trim()));
  if (parts.some((p) => !/^\s*\d+\s*$/.test(p)) || out.some((v) => !Number.isSafeInteger(v) || v < 1)) {
    throw new InvalidArgumentError(
      `Expected hidden sizes as positive integers separated by commas (e.g. 200,200), got "${value}"`,
    );
  }
  return out;
}

export function choice<T extends string>(options: readonly T[]) {
  return (value: string): T => {
    if (!options.includes(value as T))
      throw new InvalidArgumentError(`Expected one of ${options.join(", ")}, got "${value}"`);
    return value as T;
  };
}
