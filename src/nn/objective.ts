import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { ParamLayout } from "./layout.ts";

/**
 * A differentiable cost over one flat parameter vector (STYLE.md §1): `cost(theta, grad)`
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
      if (disposed) throw new Error("this objective has been disposed");
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
