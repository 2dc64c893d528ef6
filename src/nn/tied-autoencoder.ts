// The sparse autoencoder of SPEC §1 with tied weights: the decoder's W2 is the encoder's W1
// transposed, one matrix for both (docs/denoising.md). Half the weights; the gradient of the
// shared matrix is the sum of the encoder's and the decoder's (transposed).
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { checkSparseMode, type SparseMatrix, sparseInput } from "../linalg/sparse.ts";
import { encoderBackward, encoderForward } from "./encoder.ts";
import { ParamLayout } from "./layout.ts";
import { type BatchObjective, defineBatchObjective, defineObjective, type Objective } from "./objective.ts";
import {
  type AutoencoderWorkspace,
  autoencoderWorkspace,
  checkSparseAutoencoderOptions,
  type DataOptions,
  type SparseAutoencoderOptions,
  sparsityPenalty,
} from "./sparse-autoencoder.ts";

/**
 * Parameters of a tied autoencoder n → h → n: W1 (h × n), shared by the decoder as W2 = W1ᵀ,
 * b1 (h), b2 (n). The encoder's tensors have the names and places of the untied layout's.
 */
export function tiedAutoencoderLayout(visible: number, hidden: number): ParamLayout {
  return new ParamLayout([
    { name: "W1", rows: hidden, cols: visible },
    { name: "b1", rows: 1, cols: hidden },
    { name: "b2", rows: 1, cols: visible },
  ]);
}

/**
 * J and ∇J of the tied cost on X (m × n), into the workspace w: SPEC §1's J(W1, W1ᵀ, b1, b2),
 * the weight decay (λ/2)(‖W1‖² + ‖W1ᵀ‖²) = λ‖W1‖² included. `input` is what the encoder sees
 * (X itself, or a denoising autoencoder's corrupted X̃) with its sparse copy, or null (dense).
 */
export function tiedAutoencoderEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  o: SparseAutoencoderOptions,
  X: Matrix<T>,
  input: { X: Matrix<T>; Xs: SparseMatrix | null },
  w: AutoencoderWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  const { lambda, beta, rho } = o;
  const { A2, A3, D2, rhoHat, sparsity } = w;
  const m = X.rows;
  const W = p.W1 as Matrix<T>;
  const gW = g.W1 as Matrix<T>;
  // Forward: A2 = σ(X̃ W1ᵀ + b1), then A3 = σ(A2 W1 + b2) and Δ3 = (A3 − X) ⊙ A3 ⊙ (1 − A3) in A3's place.
  encoderForward(backend, input.X, W, p.b1 as Matrix<T>, A2, input.Xs);
  backend.colSums(A2, 1 / m, rhoHat);
  const delta3 = A3;
  backend.gemm(false, false, 1, A2, W, 0, A3);
  backend.biasSigmoid(A3, p.b2 as Matrix<T>, A3);
  const squaredError = backend.squaredErrorDelta(A3, X, delta3, g.b2 as Matrix<T>, 1 / m);
  const kl = sparsityPenalty(beta, rho, rhoHat, sparsity);
  const J = squaredError / (2 * m) + lambda * backend.sumSquares(W) + beta * kl;

  // Backward: Δ2 = (Δ3 W1ᵀ + sparsity) ⊙ A2 ⊙ (1 − A2); ∇W1 = Δ2ᵀ X̃ / m (the encoder's) + A2ᵀ Δ3 / m
  // (the decoder's, (Δ3ᵀ A2)ᵀ) + 2λ W1.
  backend.gemm(false, true, 1, delta3, W, 0, D2);
  backend.addRowSigmoidGradMul(D2, sparsity, A2);
  encoderBackward(backend, input.X, D2, W, gW, g.b1 as Matrix<T>, undefined, input.Xs);
  backend.gemm(true, false, 1 / m, A2, delta3, 1, gW);
  backend.axpy(2 * lambda, W, gW);
  return J;
}

/** The tied autoencoder's cost on data X (m × n), as createSparseAutoencoderCost is SPEC §1's. */
export function createTiedAutoencoderCost<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  options: SparseAutoencoderOptions & DataOptions,
): Objective {
  const o = checkSparseAutoencoderOptions(options);
  const sparseMode = checkSparseMode(options.sparseInput);
  const w = autoencoderWorkspace(backend, X.rows, X.cols, o.hidden);
  const sparseX = sparseInput(backend.sparse, X, sparseMode);
  return defineObjective(
    backend,
    tiedAutoencoderLayout(X.cols, o.hidden),
    Object.values(w),
    (p, g) => tiedAutoencoderEvaluate(backend, o, X, { X, Xs: sparseX.current() }, w, p, g),
    () => sparseX.free(),
  );
}

/** The cost of createTiedAutoencoderCost on each minibatch it is given (rows of `visible` values). */
export function createTiedAutoencoderBatchCost<T extends FloatArray>(
  backend: Backend<T>,
  visible: number,
  options: SparseAutoencoderOptions,
): BatchObjective<T> {
  const o = checkSparseAutoencoderOptions(options);
  return defineBatchObjective(backend, tiedAutoencoderLayout(visible, o.hidden), true, (m) => {
    const w = autoencoderWorkspace(backend, m, visible, o.hidden);
    return {
      workspace: Object.values(w),
      evaluate: (p, g, X, _labels, Xs) => tiedAutoencoderEvaluate(backend, o, X, { X, Xs }, w, p, g),
    };
  });
}

/** As SPEC §1 draws an untied one: r = √6/√(n + h + 1), W1 uniform in [−r, r], biases 0. */
export function initTiedAutoencoder(layout: ParamLayout, theta: FloatArray, rng: Rng): void {
  layout.check("theta", theta.length);
  const { rows: h, cols: n } = layout.spec("W1");
  const r = Math.sqrt(6) / Math.sqrt(n + h + 1);
  theta.fill(0);
  const w = layout.slice(theta, "W1");
  for (let i = 0; i < w.length; i++) w[i] = rng.uniformIn(-r, r);
}
