// The targets as the benchmark prints them: each figure, the bound it should meet, and
// whether it does in this run. Printed, never asserted: timings on a shared machine vary.

export interface Target {
  name: string;
  /** The figure measured in this run (a ratio, seconds, MiB or an accuracy); null: not measured. */
  value: number | null;
  /** The bound, in words: "≥ 0.85", "≤ 15 s". */
  target: string;
  /** Whether the value meets it; null when the value is missing or the run cannot decide. */
  holds: boolean | null;
}

/** A target met by a value of at least `bound`. */
export function atLeast(name: string, value: number | null, bound: number, unit = ""): Target {
  return { name, value, target: `≥ ${bound}${unit}`, holds: value === null ? null : value >= bound };
}

/** A target met by a value of at most `bound`. */
export function atMost(name: string, value: number | null, bound: number, unit = ""): Target {
  return { name, value, target: `≤ ${bound}${unit}`, holds: value === null ? null : value <= bound };
}

/** Digits to print a value with: ratios and accuracies 3, seconds and MiB 1. */
function shown(value: number | null): string {
  if (value === null) return "-";
  return Math.abs(value) < 10 ? value.toFixed(3) : value.toFixed(1);
}

/** The table of targets: name, value, bound, and "holds", "misses" or "?" (undecided). */
export function targetLines(targets: readonly Target[]): string[] {
  const width = Math.max(...targets.map((t) => t.name.length), 6);
  const verdict = (t: Target) => (t.holds === null ? "?" : t.holds ? "holds" : "misses");
  return targets.map(
    (t) => `${t.name.padEnd(width)} ${shown(t.value).padStart(9)}  ${t.target.padEnd(10)} ${verdict(t)}`,
  );
}

/** How many targets hold, miss and are undecided. */
export function tally(targets: readonly Target[]): { holds: number; misses: number; undecided: number } {
  return {
    holds: targets.filter((t) => t.holds === true).length,
    misses: targets.filter((t) => t.holds === false).length,
    undecided: targets.filter((t) => t.holds === null).length,
  };
}

/**
 * Floating-point operations of one evaluation of autoencoder 1 as the issue counts them: three
 * dense products of 2·m·n·h (decode, ∇W2, the delta back to layer 2) and two over X's non-zeros,
 * 2·nnz·h each (encode, ∇W1), for m × n images and h hidden units.
 */
export function evaluationFlops(m: number, n: number, h: number, nonZeros: number): number {
  return 3 * 2 * m * n * h + 2 * 2 * nonZeros * h;
}

/** One timed product: which build, its shape M × N × K, GFLOP/s and the ratio to numpy's. */
export interface GemmRow {
  backend: string;
  shape: number[];
  gflops: number;
  ratioToNumpy: number | null;
}

/**
 * The gemm targets, shape by shape: the GFLOP/s of the build whose role is "wasm" (every thread)
 * ÷ the 128-bit FMA ceiling on as many threads, and the "native" build's ratio to numpy's.
 */
export function gemmTargets(
  shapes: readonly { M: number; N: number; K: number; what: string }[],
  rows: readonly GemmRow[],
  roles: ReadonlyMap<string, "wasm" | "native">,
  ceiling: number,
  bounds: { ofCeiling: number; ofNumpy: number },
): Target[] {
  const targets: Target[] = [];
  for (const s of shapes) {
    const shape = `${s.M}×${s.N}×${s.K}`;
    const of = (role: string) => rows.find((g) => g.shape.join("×") === shape && roles.get(g.backend) === role);
    const wasm = of("wasm");
    const native = of("native");
    if (wasm) targets.push(atLeast(`gemm ${shape} ${s.what}, wasm ÷ ceiling`, wasm.gflops / ceiling, bounds.ofCeiling));
    if (native?.ratioToNumpy != null) {
      targets.push(atLeast(`gemm ${shape} ${s.what}, native ÷ numpy`, native.ratioToNumpy, bounds.ofNumpy));
    }
  }
  return targets;
}
