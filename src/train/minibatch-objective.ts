import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { BatchObjective } from "../nn/objective.ts";
import type { MinibatchCost } from "../optim/minibatch.ts";

/**
 * Adapts a batch cost to the minibatch optimisers, which name each batch by its rows: the listed
 * rows of X (and their labels) are gathered into a batch-sized matrix, which the cost is then
 * evaluated on. Only the batch is copied, into one matrix per batch size (the last batch of an
 * epoch may be smaller), reused; the cost stays the caller's to dispose.
 */
export function minibatchObjective<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  labels: Int32Array | undefined,
  cost: BatchObjective<T>,
): MinibatchCost & { dispose(): void } {
  const batches = new Map<number, { Xb: Matrix<T>; yb: Int32Array | undefined }>();
  return {
    examples: X.rows,
    cost(theta: FloatArray, grad: FloatArray, rows: Int32Array): number {
      let batch = batches.get(rows.length);
      if (!batch) {
        batch = { Xb: backend.zeros(rows.length, X.cols), yb: labels && new Int32Array(rows.length) };
        batches.set(rows.length, batch);
      }
      const { Xb, yb } = batch;
      backend.gatherRows(X, rows, Xb);
      if (labels && yb) for (let i = 0; i < rows.length; i++) yb[i] = labels[rows[i] as number] as number;
      return cost.cost(theta, grad, Xb, yb);
    },
    dispose(): void {
      for (const { Xb } of batches.values()) backend.free(Xb);
      batches.clear();
    },
  };
}
