// The denoising autoencoder (Vincent et al., 2008; docs/denoising.md): the autoencoder of SPEC §1,
// untied or tied, whose encoder sees a corrupted copy X̃ of its input, drawn afresh at every
// evaluation, while its reconstruction is compared with the clean X.
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { type SparseMatrix, type SparseOps, sparseCopy } from "../linalg/sparse.ts";
import type { Corruption } from "./masking-noise.ts";
import { type BatchObjective, defineBatchObjective, defineObjective, type Objective } from "./objective.ts";
import {
  type AutoencoderWorkspace,
  autoencoderWorkspace,
  checkDecoderRows,
  checkSparseAutoencoderOptions,
  type DataOptions,
  DECODER_ROWS,
  type SparseAutoencoderOptions,
  sparseAutoencoderEvaluate,
  sparseAutoencoderLayout,
} from "./sparse-autoencoder.ts";
import { tiedAutoencoderEvaluate, tiedAutoencoderLayout } from "./tied-autoencoder.ts";

export interface DenoisingOptions {
  /**
   * How X̃ is drawn from X at each evaluation: maskingNoise(P, rng) for training, fixedMask(…)
   * for a gradient check (the cost is then a function of the parameters alone).
   */
  corruption: Corruption;
  /** W2 = W1ᵀ (tiedAutoencoderLayout) rather than a decoder of its own (sparseAutoencoderLayout). */
  tiedWeights?: boolean;
}

/**
 * J and ∇J on the clean X (m × n) with the encoder on X̃ = corrupt(X), written into Xt (m × n);
 * the products with X̃ skip its zeros where `ops` is given and X̃ is sparse enough.
 */
function denoisingEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  o: SparseAutoencoderOptions & DenoisingOptions,
  ops: SparseOps<T> | undefined,
  X: Matrix<T>,
  Xt: Matrix<T>,
  w: AutoencoderWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  o.corruption.corrupt(X.data, Xt.data);
  const Xts: SparseMatrix | null = sparseCopy(ops, Xt);
  try {
    const input = { X: Xt, Xs: Xts };
    return o.tiedWeights
      ? tiedAutoencoderEvaluate(backend, o, X, input, w, p, g)
      : sparseAutoencoderEvaluate(backend, o, X, null, w, p, g, input);
  } finally {
    if (Xts) ops?.free(Xts);
  }
}

function denoisingLayout(visible: number, o: SparseAutoencoderOptions & DenoisingOptions) {
  return o.tiedWeights ? tiedAutoencoderLayout(visible, o.hidden) : sparseAutoencoderLayout(visible, o.hidden);
}

/**
 * The denoising autoencoder's cost on data X (m × n):
 *   J = (1/2m) Σ‖A3(X̃) − X‖² + (λ/2)(‖W1‖² + ‖W2‖²) + β Σⱼ KL(ρ ‖ ρ̂ⱼ(X̃))
 * with X̃ drawn by `corruption` at each evaluation (so two evaluations at the same θ differ, as
 * they do in Vincent et al.'s training), and W2 = W1ᵀ with `tiedWeights`. `sparseInput` other
 * than "never" lets the products with X̃ skip its zeros (a copy taken at each evaluation).
 */
export function createDenoisingAutoencoderCost<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  options: SparseAutoencoderOptions & DenoisingOptions & DataOptions,
): Objective {
  const o = { ...options, ...checkSparseAutoencoderOptions(options) };
  const ops = options.sparseInput === "never" ? undefined : backend.sparse;
  // The tied decoder's ∇W1 takes the whole reconstruction's delta: it is held whole.
  const rows = o.tiedWeights ? X.rows : checkDecoderRows(options);
  const w = autoencoderWorkspace(backend, X.rows, X.cols, o.hidden, rows);
  const Xt = backend.zeros(X.rows, X.cols);
  return defineObjective(backend, denoisingLayout(X.cols, o), [...Object.values(w), Xt], (p, g) =>
    denoisingEvaluate(backend, o, ops, X, Xt, w, p, g),
  );
}

/** The cost of createDenoisingAutoencoderCost on each minibatch it is given (rows of `visible` values). */
export function createDenoisingAutoencoderBatchCost<T extends FloatArray>(
  backend: Backend<T>,
  visible: number,
  options: SparseAutoencoderOptions & DenoisingOptions,
): BatchObjective<T> {
  const o = { ...options, ...checkSparseAutoencoderOptions(options) };
  // A batch's sparse copy is of X̃, taken here, not of the clean batch that defineBatchObjective would copy.
  const ops = backend.sparse?.perBatch ? backend.sparse : undefined;
  return defineBatchObjective(backend, denoisingLayout(visible, o), false, (m) => {
    const w = autoencoderWorkspace(backend, m, visible, o.hidden, o.tiedWeights ? m : DECODER_ROWS);
    const Xt = backend.zeros(m, visible);
    return {
      workspace: [...Object.values(w), Xt],
      evaluate: (p, g, X) => denoisingEvaluate(backend, o, ops, X, Xt, w, p, g),
    };
  });
}
