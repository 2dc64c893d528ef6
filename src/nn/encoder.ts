import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { SparseMatrix } from "../linalg/sparse.ts";

/**
 * One sigmoid layer, forward: A_out (m × h) = σ(A_in (m × n) · Wᵀ + 1·bᵀ), W (h × n), b (1 × h).
 * This is an encoder of SPEC §3–§4 and the hidden layer of the autoencoder of §1. `sparseIn`, a
 * sparse copy of A_in from `backend.sparse` (see sparseCopy), makes the product skip its zeros.
 */
export function encoderForward<T extends FloatArray>(
  backend: Backend<T>,
  A_in: Matrix<T>,
  W: Matrix<T>,
  b: Matrix<T>,
  A_out: Matrix<T>,
  sparseIn?: SparseMatrix | null,
): void {
  if (sparseIn && backend.sparse) backend.sparse.mulTransposed(sparseIn, W, A_out, b);
  else backend.gemmBiasSigmoid(A_in, W, b, A_out);
}

/**
 * The backward twin of encoderForward, SPEC §4: given δ_out (m × h), the delta at this layer's
 * pre-activation, writes ∇W = δ_outᵀ A_in / m and ∇b = column sums of δ_out / m (unless gradB
 * is null: the caller has written it, as the autoencoder does with squaredErrorDelta), and when
 * `delta_in` is given, δ_in (m × n) = (δ_out W) ⊙ A_in ⊙ (1 − A_in) for the layer below.
 * `sparseIn` as in encoderForward. With a `deltaScale` s (a power of two), delta_out holds
 * s·δ_out: ∇W and ∇b still come out unscaled, and δ_in is s·δ_in.
 */
export function encoderBackward<T extends FloatArray>(
  backend: Backend<T>,
  A_in: Matrix<T>,
  delta_out: Matrix<T>,
  W: Matrix<T>,
  gradW: Matrix<T>,
  gradB: Matrix<T> | null,
  delta_in?: Matrix<T>,
  sparseIn?: SparseMatrix | null,
  deltaScale = 1,
): void {
  const unscale = 1 / (A_in.rows * deltaScale);
  if (sparseIn && backend.sparse) backend.sparse.transposedMul(unscale, delta_out, sparseIn, gradW);
  else backend.gemm(true, false, unscale, delta_out, A_in, 0, gradW);
  if (gradB) backend.colSums(delta_out, unscale, gradB);
  if (delta_in) {
    backend.gemm(false, false, 1, delta_out, W, 0, delta_in);
    backend.sigmoidGradMul(A_in, delta_in, delta_in);
  }
}
