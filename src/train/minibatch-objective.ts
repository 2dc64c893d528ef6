import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { Objective } from "../nn/objective.ts";
import type { MinibatchCost } from "../optim/minibatch.ts";

/**
 * Adapts a full-data cost to the minibatch optimisers: for each batch, the listed rows of X (and
 * their labels) are gathered into a batch-sized matrix, and a cost built on that matrix is
 * evaluated. Only the batch is copied; one cost is built per batch size (the last batch of an
 * epoch may be smaller) and reused.
 */
export function minibatchObjective<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  labels: Int32Array | undefined,
  make: (Xb: Matrix<T>, yb: Int32Array) => Objective,
): MinibatchCost & { dispose(): void } {
  const cache = new Map<number, { Xb: Matrix<T>; yb: Int32Array; objective: Objective }>();
  const n = X.cols;
  return {
    examples: X.rows,
    cost(theta: FloatArray, grad: FloatArray, rows: Int32Array): number {
      let entry = cache.get(rows.length);
      if (!entry) {
        const Xb = backend.zeros(rows.length, n);
        const yb = new Int32Array(rows.length);
        entry = { Xb, yb, objective: make(Xb, yb) };
        cache.set(rows.length, entry);
      }
      backend.gatherRows(X, rows, entry.Xb);
      if (labels) for (let i = 0; i < rows.length; i++) entry.yb[i] = labels[rows[i] as number] as number;
      return entry.objective.cost(theta, grad);
    },
    dispose(): void {
      for (const { Xb, objective } of cache.values()) {
        objective.dispose();
        backend.free(Xb);
      }
      cache.clear();
    },
  };
}
