import { ArgumentError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { type SparseMatrix, sparseCopy } from "../linalg/sparse.ts";
import type { ParamLayout } from "./layout.ts";

/**
 * A differentiable cost over one flat parameter vector: `cost(theta, grad)`
 * returns J(θ) and writes ∇J(θ) into `grad`; both have `layout.length` elements and belong to
 * the caller. Any optimiser can drive it. `dispose()` gives back the backend memory it holds.
 */
export interface Objective {
  readonly layout: ParamLayout;
  cost(theta: FloatArray, grad: FloatArray): number;
  dispose(): void;
}

/**
 * Builds an Objective: holds θ and ∇ as backend matrices with named views, copies the caller's
 * θ in and the gradient out around `evaluate`, and frees the workspace on dispose.
 */
export function defineObjective<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  workspace: Matrix<T>[],
  evaluate: (params: Record<string, Matrix<T>>, grads: Record<string, Matrix<T>>) => number,
  /** Gives back anything else the cost holds (a sparse copy of its data), on dispose. */
  release?: () => void,
): Objective {
  const theta = backend.zeros(1, layout.length);
  const grad = backend.zeros(1, layout.length);
  const params = layout.views(theta);
  const grads = layout.views(grad);
  let disposed = false;
  return {
    layout,
    cost(x: FloatArray, g: FloatArray): number {
      if (disposed) throw disposedError();
      layout.check("theta", x.length);
      layout.check("grad", g.length);
      theta.data.set(x);
      const J = evaluate(params, grads);
      g.set(grad.data);
      return J;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const m of [theta, grad, ...workspace]) backend.free(m);
      release?.();
    },
  };
}

/**
 * A cost evaluated on the data it is given, for the minibatch optimisers: `cost(theta, grad, X,
 * labels)` returns J(θ) on the batch X (m × n) and writes ∇J(θ) into `grad`, as an Objective does
 * on its fixed data. `labels` are the batch's class indices, already checked (checkLabels), where
 * the cost has labels. A workspace is kept for each batch size met (an epoch's last batch may be
 * smaller) until `dispose()`.
 */
export interface BatchObjective<T extends FloatArray> {
  readonly layout: ParamLayout;
  cost(theta: FloatArray, grad: FloatArray, X: Matrix<T>, labels?: Int32Array): number;
  dispose(): void;
}

/** One batch size's workspace, and the evaluation that uses it. */
export interface BatchEvaluation<T extends FloatArray> {
  workspace: Matrix<T>[];
  /** As defineObjective's `evaluate`, on X (m × n) and its labels; Xs is X's sparse copy, or null (dense). */
  evaluate(
    params: Record<string, Matrix<T>>,
    grads: Record<string, Matrix<T>>,
    X: Matrix<T>,
    labels: Int32Array | undefined,
    Xs: SparseMatrix | null,
  ): number;
}

/**
 * Builds a BatchObjective: θ and ∇ as in defineObjective, and for each batch size m the
 * workspace that `sized(m)` makes. Where `sparse` is true and the backend says a sparse copy of
 * each batch pays for itself (SparseOps.perBatch), each batch gets one for its products with X,
 * given back when its evaluation ends.
 */
export function defineBatchObjective<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  sparse: boolean,
  sized: (m: number) => BatchEvaluation<T>,
): BatchObjective<T> {
  const theta = backend.zeros(1, layout.length);
  const grad = backend.zeros(1, layout.length);
  const params = layout.views(theta);
  const grads = layout.views(grad);
  const bySize = new Map<number, BatchEvaluation<T>>();
  const ops = sparse && backend.sparse?.perBatch ? backend.sparse : undefined;
  let disposed = false;
  return {
    layout,
    cost(x: FloatArray, g: FloatArray, X: Matrix<T>, labels?: Int32Array): number {
      if (disposed) throw disposedError();
      layout.check("theta", x.length);
      layout.check("grad", g.length);
      let at = bySize.get(X.rows);
      if (!at) {
        at = sized(X.rows);
        bySize.set(X.rows, at);
      }
      theta.data.set(x);
      const Xs = sparseCopy(ops, X);
      try {
        const J = at.evaluate(params, grads, X, labels, Xs);
        g.set(grad.data);
        return J;
      } finally {
        if (Xs) ops?.free(Xs);
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const m of [theta, grad, ...[...bySize.values()].flatMap((e) => e.workspace)]) backend.free(m);
      bySize.clear();
    },
  };
}

function disposedError(): ArgumentError {
  return new ArgumentError("cost: this cost has been disposed (dispose()), its memory given back: make a new one");
}
