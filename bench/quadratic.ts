// The cost that bench:lbfgs and bench:steps time the optimisers on: a separable quadratic
// ½ Σ aᵢ·xᵢ² over as many values as the first autoencoder has parameters, which keeps count of its
// own time so that the benchmark can subtract it.

/** The first autoencoder's parameters: 784 · 200 · 2 + 200 + 784. */
export const n = 314584;
const a = Float32Array.from({ length: n }, (_, i) => 1 + (i % 1000) / 10);
/** The starting point. */
export const x0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i));

/** A fresh quadratic cost and the milliseconds spent in it so far. */
export function timedQuadratic(): {
  cost: (x: ArrayLike<number>, g: Float32Array | Float64Array) => number;
  ms: () => number;
} {
  let spent = 0;
  const cost = (x: ArrayLike<number>, g: Float32Array | Float64Array) => {
    const start = performance.now();
    let f = 0;
    for (let i = 0; i < n; i++) {
      const ax = (a[i] as number) * (x[i] as number);
      f += 0.5 * (x[i] as number) * ax;
      g[i] = ax;
    }
    spent += performance.now() - start;
    return f;
  };
  return { cost, ms: () => spent };
}
