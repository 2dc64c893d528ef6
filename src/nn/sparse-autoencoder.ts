import { ArgumentError, checkNumber } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { checkSparseMode, type SparseMatrix, type SparseMode, sparseInput } from "../linalg/sparse.ts";
import { encoderBackward, encoderForward } from "./encoder.ts";
import { ParamLayout } from "./layout.ts";
import { type BatchObjective, defineBatchObjective, defineObjective, type Objective } from "./objective.ts";

/** Parameters of a sparse autoencoder n → h → n, in UFLDL's order: W1 (h × n), W2 (n × h), b1 (h), b2 (n). */
export function sparseAutoencoderLayout(visible: number, hidden: number): ParamLayout {
  return new ParamLayout([
    { name: "W1", rows: hidden, cols: visible },
    { name: "W2", rows: visible, cols: hidden },
    { name: "b1", rows: 1, cols: hidden },
    { name: "b2", rows: 1, cols: visible },
  ]);
}

export interface SparseAutoencoderOptions {
  /** Hidden units h. */
  hidden: number;
  /** Weight decay λ ≥ 0 on W1 and W2 (never on the biases). */
  lambda: number;
  /** Weight β ≥ 0 of the sparsity penalty. */
  beta: number;
  /** Sparsity target ρ in (0, 1). */
  rho: number;
}

/** How the data matrix is held for its products (not a hyperparameter: the cost is the same either way). */
export interface DataOptions {
  /**
   * "auto" (default): where the backend has sparse products and at most 30 % of X is non-zero
   * (MNIST: 19 %), the two products with X skip its zeros; "never": always dense. The sparse
   * copy is taken when the cost is made: X must not change afterwards. If it does (a minibatch
   * rewritten in place), use "each-evaluation", which takes the copy again at every evaluation,
   * or "never".
   */
  sparseInput?: SparseMode;
  /**
   * Rows of the decoder's blocks (default DECODER_ROWS, 1024): its reconstruction and delta are
   * held for this many rows at a time. Infinity (or at least the rows of X): all at once, as
   * before; ∇W2 and ∇b2 then differ from the blocked sums in their last bits only.
   */
  decoderRows?: number;
}

/** The decoder's block rows of `options`, checked (an integer ≥ 1, or Infinity). */
export function checkDecoderRows(options: DataOptions): number {
  const rows = options.decoderRows ?? DECODER_ROWS;
  if (rows !== Number.POSITIVE_INFINITY && !(Number.isInteger(rows) && rows >= 1)) {
    throw new ArgumentError(`decoderRows must be a positive integer or Infinity, not ${rows}`);
  }
  return rows;
}

/** Checks the hyperparameters, naming the first bad one. */
export function checkSparseAutoencoderOptions(options: SparseAutoencoderOptions): SparseAutoencoderOptions {
  return {
    hidden: checkNumber("hidden", options.hidden, { integer: true, min: 1 }),
    lambda: checkNumber("lambda", options.lambda, { min: 0 }),
    beta: checkNumber("beta", options.beta, { min: 0 }),
    rho: checkNumber("rho", options.rho, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
  };
}

/**
 * What one evaluation on m examples of n values computes into: A2 (m × h) hidden activations;
 * A3 (m × n) Δ3, the reconstruction's delta; D2 (m × h) Δ2; rhoHat (1 × h) mean activations;
 * sparsity (1 × h) β(−ρ/ρ̂ + (1 − ρ)/(1 − ρ̂)). About m·(2h + n) numbers; where the decoder goes
 * in blocks, A3 and D2 hold a block's rows and Δ2 is written over A2: about m·h.
 */
export interface AutoencoderWorkspace<T extends FloatArray> {
  A2: Matrix<T>;
  A3: Matrix<T>;
  D2: Matrix<T>;
  rhoHat: Matrix<T>;
  sparsity: Matrix<T>;
  /** A block's ∇b2 before it is added to the others' (1 × n), where the decoder goes in blocks. */
  b2Part?: Matrix<T>;
}

/**
 * Rows of the decoder's block: the reconstruction and its delta are computed, used and dropped
 * this many rows at a time (3 MiB of them for MNIST), rather than held for all m rows (188 MB for
 * MNIST's 60,000), issue 31's "less memory". A minibatch fits one block and goes as before.
 */
export const DECODER_ROWS = 1024;

/** The workspace for m rows; the decoder's A3 holds `decoderRows` of them (default: all). */
export function autoencoderWorkspace<T extends FloatArray>(
  backend: Backend<T>,
  m: number,
  n: number,
  h: number,
  decoderRows = m,
): AutoencoderWorkspace<T> {
  const blocked = decoderRows < m;
  const A2 = backend.zeros(m, h);
  const A3 = backend.zeros(Math.min(decoderRows, m), n);
  const D2 = backend.zeros(Math.min(decoderRows, m), h);
  const w = { A2, A3, D2, rhoHat: backend.zeros(1, h), sparsity: backend.zeros(1, h) };
  return blocked ? { ...w, b2Part: backend.zeros(1, n) } : w;
}

/**
 * The decoder on all rows at once: A3 = σ(A2·W2ᵀ + b2), Δ3 in A3's place, ∇b2 = column sums of
 * Δ3 / m, ∇W2 = Δ3ᵀ·A2 / m and D2 = Δ3·W2. Returns Σ(A3 − X)².
 */
function decodeWhole<T extends FloatArray>(
  backend: Backend<T>,
  w: AutoencoderWorkspace<T>,
  X: Matrix<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  const { A2, A3: delta3, D2 } = w;
  const W2 = p.W2 as Matrix<T>;
  const m = X.rows;
  const squaredError = backend.reconstructionDelta(A2, W2, p.b2 as Matrix<T>, X, delta3, g.b2 as Matrix<T>, 1 / m);
  encoderBackward(backend, A2, delta3, W2, g.W2 as Matrix<T>, null);
  backend.gemm(false, false, 1, delta3, W2, 0, D2);
  return squaredError;
}

/**
 * decodeWhole a block of A3's rows at a time, each block's reconstruction and delta used while
 * they are in cache and then overwritten: ∇W2 and ∇b2 summed block by block (so their last bits
 * are not decodeWhole's), and the block's Δ2 = (Δ3 W2 + sparsity) ⊙ A2 ⊙ (1 − A2) written over
 * its rows of A2, which nothing reads after it: no m × h matrix besides A2 (48 MB for MNIST).
 */
function decodeInBlocks<T extends FloatArray>(
  backend: Backend<T>,
  w: AutoencoderWorkspace<T>,
  X: Matrix<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  const { A2, A3, D2, sparsity, b2Part } = w;
  const W2 = p.W2 as Matrix<T>;
  const gW2 = g.W2 as Matrix<T>;
  const gb2 = g.b2 as Matrix<T>;
  const m = X.rows;
  let squaredError = 0;
  for (let r0 = 0; r0 < m; r0 += A3.rows) {
    const rows = Math.min(A3.rows, m - r0);
    const [A2b, delta3] = [A2.sliceRows(r0, rows), A3.sliceRows(0, rows)];
    const sums = r0 === 0 ? gb2 : (b2Part as Matrix<T>);
    squaredError += backend.reconstructionDelta(A2b, W2, p.b2 as Matrix<T>, X.sliceRows(r0, rows), delta3, sums, 1 / m);
    if (r0 > 0) backend.axpy(1, sums, gb2);
    backend.gemm(true, false, 1 / m, delta3, A2b, r0 === 0 ? 0 : 1, gW2);
    const delta2 = D2.sliceRows(0, rows);
    backend.gemm(false, false, 1, delta3, W2, 0, delta2);
    backend.addRowSigmoidGradMul(delta2, sparsity, A2b);
    A2b.data.set(delta2.data);
  }
  return squaredError;
}

/**
 * J and ∇J of SPEC §1 on X (m × n) by backpropagation, into the workspace w; Xs is X's sparse
 * copy for the two products with it, or null (dense). `input` (default: X itself) is what the
 * encoder sees, with its sparse copy: a denoising autoencoder's corrupted X̃, reconstructed
 * towards the clean X (docs/denoising.md).
 */
export function sparseAutoencoderEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  o: SparseAutoencoderOptions,
  X: Matrix<T>,
  Xs: SparseMatrix | null,
  w: AutoencoderWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
  input: { X: Matrix<T>; Xs: SparseMatrix | null } = { X, Xs },
): number {
  const { lambda, beta, rho } = o;
  const { A2, A3, D2, rhoHat, sparsity } = w;
  const m = X.rows;
  const W1 = p.W1 as Matrix<T>;
  const W2 = p.W2 as Matrix<T>;
  // Forward.
  encoderForward(backend, input.X, W1, p.b1 as Matrix<T>, A2, input.Xs);
  backend.colSums(A2, 1 / m, rhoHat);
  const kl = sparsityPenalty(beta, rho, rhoHat, sparsity);
  const blocked = A3.rows !== m;
  const squaredError = blocked ? decodeInBlocks(backend, w, X, p, g) : decodeWhole(backend, w, X, p, g);
  const decay = backend.sumSquares(W1) + backend.sumSquares(W2);
  const J = squaredError / (2 * m) + (lambda / 2) * decay + beta * kl;

  // Backward: Δ2 = (Δ3 W2 + sparsity) ⊙ A2 ⊙ (1 − A2) (Δ3 W2 written by the decoder; in blocks,
  // Δ2 itself, in A2's place), then the encoder.
  backend.axpy(lambda, W2, g.W2 as Matrix<T>);
  if (!blocked) backend.addRowSigmoidGradMul(D2, sparsity, A2);
  const delta2 = blocked ? A2 : D2;
  encoderBackward(backend, input.X, delta2, W1, g.W1 as Matrix<T>, g.b1 as Matrix<T>, undefined, input.Xs);
  backend.axpy(lambda, W1, g.W1 as Matrix<T>);
  return J;
}

/**
 * Σⱼ KL(ρ ‖ ρ̂ⱼ) of SPEC §1, returned, and each hidden unit's β(−ρ/ρ̂ⱼ + (1 − ρ)/(1 − ρ̂ⱼ)) into
 * `sparsity`. With β = 0 the term is off: 0 and zeros, even where a unit's ρ̂ is exactly 0 or 1
 * (whose logarithm would make 0 · ∞ = NaN).
 */
export function sparsityPenalty<T extends FloatArray>(
  beta: number,
  rho: number,
  rhoHat: Matrix<T>,
  sparsity: Matrix<T>,
): number {
  const s = sparsity.data;
  if (beta === 0) {
    s.fill(0);
    return 0;
  }
  const r = rhoHat.data;
  let kl = 0;
  for (let j = 0; j < s.length; j++) {
    const rj = r[j] as number;
    kl += rho * Math.log(rho / rj) + (1 - rho) * Math.log((1 - rho) / (1 - rj));
    s[j] = beta * (-rho / rj + (1 - rho) / (1 - rj));
  }
  return kl;
}

/**
 * The sparse autoencoder cost of SPEC §1 on data X (m × n):
 *   J = (1/2m) Σ‖A3 − X‖² + (λ/2)(‖W1‖² + ‖W2‖²) + β Σⱼ KL(ρ ‖ ρ̂ⱼ)
 * with its gradient by backpropagation. The workspace is allocated once, here, and reused by
 * every evaluation.
 */
export function createSparseAutoencoderCost<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  options: SparseAutoencoderOptions & DataOptions,
): Objective {
  const o = checkSparseAutoencoderOptions(options);
  const sparseMode = checkSparseMode(options.sparseInput);
  const w = autoencoderWorkspace(backend, X.rows, X.cols, o.hidden, checkDecoderRows(options));
  const sparseX = sparseInput(backend.sparse, X, sparseMode);
  return defineObjective(
    backend,
    sparseAutoencoderLayout(X.cols, o.hidden),
    Object.values(w),
    (p, g) => sparseAutoencoderEvaluate(backend, o, X, sparseX.current(), w, p, g),
    () => sparseX.free(),
  );
}

/** The cost of createSparseAutoencoderCost on each minibatch it is given (rows of `visible` values). */
export function createSparseAutoencoderBatchCost<T extends FloatArray>(
  backend: Backend<T>,
  visible: number,
  options: SparseAutoencoderOptions,
): BatchObjective<T> {
  const o = checkSparseAutoencoderOptions(options);
  return defineBatchObjective(backend, sparseAutoencoderLayout(visible, o.hidden), true, (m) => {
    const w = autoencoderWorkspace(backend, m, visible, o.hidden, DECODER_ROWS);
    return {
      workspace: Object.values(w),
      evaluate: (p, g, X, _labels, Xs) => sparseAutoencoderEvaluate(backend, o, X, Xs, w, p, g),
    };
  });
}

/** SPEC §1: r = √6/√(n + h + 1), every weight uniform in [−r, r], biases 0. */
export function initSparseAutoencoder(layout: ParamLayout, theta: FloatArray, rng: Rng): void {
  layout.check("theta", theta.length);
  const { rows: h, cols: n } = layout.spec("W1");
  const r = Math.sqrt(6) / Math.sqrt(n + h + 1);
  theta.fill(0);
  for (const name of ["W1", "W2"]) {
    const w = layout.slice(theta, name);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformIn(-r, r);
  }
}
