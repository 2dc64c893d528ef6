// Value parsers for command-line flags: a bad value is a usage error naming the flag.
import { InvalidArgumentError } from "commander";
import { MAX_PENALTY } from "../train/settings.ts";

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

/** Weight decay and sparsity weight: bounded as the library's settings are, but naming the flag. */
export const penalty = float((v) => v >= 0 && v <= MAX_PENALTY, `a number in [0, ${MAX_PENALTY}]`);
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

/** --label-column: first, last, a 0-based index (digits), or a header name. */
export function labelColumn(value: string): string | number {
  const v = value.trim();
  if (v === "") throw new InvalidArgumentError('Expected first, last, a column name or an index from 0, got ""');
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** --image-size WxH: "28x28" → { width: 28, height: 28 }. */
export function imageSize(value: string): { width: number; height: number } {
  const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(value);
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || !(width >= 1 && height >= 1 && width <= 65535 && height <= 65535))
    throw new InvalidArgumentError(`Expected WIDTHxHEIGHT in pixels (e.g. 28x28), got "${value}"`);
  return { width, height };
}

/** --input-scale: max, none, or a number > 0. */
export function inputScale(value: string): "max" | "none" | number {
  const v = value.trim();
  if (v === "max" || v === "none") return v;
  const n = Number(v);
  if (v === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`Expected max, none or a number > 0, got "${value}"`);
  return n;
}

/** --class-names a,b,c: names separated by commas, none empty, none twice. */
export function classNames(value: string): string[] {
  const names = value.split(",").map((s) => s.trim());
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (names.length < 2 || names.some((n) => n === "") || twice !== undefined)
    throw new InvalidArgumentError(
      `Expected two or more distinct class names separated by commas (e.g. cat,dog), got "${value}"`,
    );
  return names;
}

const UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A size in bytes: a number with an optional unit K, M, G or T (powers of 1024; "MB", "MiB" alike). */
export function byteSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  const bytes = match ? Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number) : Number.NaN;
  if (!(bytes >= 1)) throw new InvalidArgumentError(`Expected a size such as 512M, 2G or 1500000000, got "${value}"`);
  return Math.floor(bytes);
}
