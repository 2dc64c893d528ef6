import { ArgumentError, ShapeError } from "../errors.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";

/** One named tensor of a parameter vector: a rows × cols matrix (a vector is 1 × n). */
export interface TensorSpec {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Where each named tensor sits in one flat parameter vector (as llm.c points its parameters). This is the only
 * place that computes an offset: everything else asks for a view by name.
 */
export class ParamLayout {
  readonly tensors: readonly TensorSpec[];
  /** Total number of parameters. */
  readonly length: number;
  readonly #offsets = new Map<string, number>();

  constructor(tensors: readonly TensorSpec[]) {
    let offset = 0;
    for (const t of tensors) {
      if (this.#offsets.has(t.name))
        throw new ArgumentError(`ParamLayout: tensor name ${JSON.stringify(t.name)} is used twice`);
      if (!Number.isInteger(t.rows) || t.rows < 1 || !Number.isInteger(t.cols) || t.cols < 1) {
        throw new ShapeError(
          `ParamLayout: tensor ${t.name} must have positive integer dimensions, got ${t.rows} × ${t.cols}`,
        );
      }
      this.#offsets.set(t.name, offset);
      offset += t.rows * t.cols;
    }
    this.tensors = tensors.map((t) => ({ ...t }));
    this.length = offset;
  }

  /** The spec of the tensor called `name`. */
  spec(name: string): TensorSpec {
    const spec = this.tensors.find((t) => t.name === name);
    if (!spec)
      throw new ArgumentError(`no tensor ${JSON.stringify(name)} in this layout (it has ${this.names().join(", ")})`);
    return spec;
  }

  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** A view of tensor `name` inside the flat vector `theta` (1 × length, or any matrix of that size). */
  view<T extends FloatArray>(theta: Matrix<T>, name: string): Matrix<T> {
    this.check("theta", theta.size);
    const spec = this.spec(name);
    return theta.view(this.#offsets.get(name) as number, spec.rows, spec.cols);
  }

  /** Views of every tensor, by name. */
  views<T extends FloatArray>(theta: Matrix<T>): Record<string, Matrix<T>> {
    const out: Record<string, Matrix<T>> = {};
    for (const t of this.tensors) out[t.name] = this.view(theta, t.name);
    return out;
  }

  /** The subarray of a flat typed array that holds tensor `name`. */
  slice<T extends FloatArray>(theta: T, name: string): T {
    this.check("theta", theta.length);
    const spec = this.spec(name);
    const start = this.#offsets.get(name) as number;
    return theta.subarray(start, start + spec.rows * spec.cols) as T;
  }

  /** Throws a ShapeError unless `length` is this layout's length. */
  check(name: string, length: number): void {
    if (length !== this.length) {
      const parts = this.tensors.map((t) => `${t.name} ${t.rows}×${t.cols}`).join(", ");
      throw new ShapeError(`${name} must have ${this.length} elements for the layout [${parts}], got ${length}`);
    }
  }
}
