// A stage's rows when the examples are streamed (issue #32): not a matrix but the stream and the
// encoders each batch passes through on its way in (the features of the layers below, which an
// in-memory run computes once for all rows). Adapts a batch cost to the minibatch optimisers as
// minibatch-objective.ts does for a matrix: the stream draws each epoch's order and reads it ahead.
import type { ExampleStream } from "../data/stream.ts";
import { ArgumentError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { encoderForward } from "../nn/encoder.ts";
import type { BatchObjective } from "../nn/objective.ts";
import type { MinibatchCost } from "../optim/minibatch.ts";

/** An encoder layer: W (h × a) and b (1 × h), the backend's. */
export interface EncoderLayer<T extends FloatArray> {
  readonly W: Matrix<T>;
  readonly b: Matrix<T>;
}

/** The rows of a streamed stage: the stream's examples through `encoders`, `cols` values each. */
export interface StreamedRows<T extends FloatArray> {
  readonly streamed: true;
  readonly stream: ExampleStream;
  readonly encoders: readonly EncoderLayer<T>[];
  readonly rows: number;
  readonly cols: number;
}

/** A stage's rows: a matrix in memory, or streamed. */
export type StageRows<T extends FloatArray> = Matrix<T> | StreamedRows<T>;

export function isStreamed<T extends FloatArray>(X: StageRows<T>): X is StreamedRows<T> {
  return (X as StreamedRows<T>).streamed === true;
}

/**
 * L-BFGS (or any full-batch method) was asked for on streamed data: it evaluates every example at
 * every iteration, so it needs them in memory. Names the minibatch optimisers that stream.
 */
export class StreamOptimizerError extends ArgumentError {
  readonly stages: string[];
  constructor(stages: string[]) {
    super(
      `${stages.join(", ")} ${stages.length === 1 ? "is" : "are"} set to L-BFGS, which needs every example in memory at every iteration, but the data is streamed: train ${stages.length === 1 ? "it" : "them"} with a minibatch optimiser (--optimizer adam, or sgd; in the library optimizer "adam" or "sgd"), or load the data in memory (no --stream, a larger --memory-budget)`,
    );
    this.name = "StreamOptimizerError";
    this.stages = stages;
  }
}

/** The stream's examples as the rows of the first stage: no encoder. */
export function streamedRows<T extends FloatArray>(stream: ExampleStream): StreamedRows<T> {
  return { streamed: true, stream, encoders: [], rows: stream.examples, cols: stream.inputSize };
}

/** The rows through one more encoder (W is h × cols). */
export function throughEncoder<T extends FloatArray>(X: StreamedRows<T>, layer: EncoderLayer<T>): StreamedRows<T> {
  if (layer.W.cols !== X.cols) throw new ArgumentError(`encoder of ${layer.W.cols} inputs on rows of ${X.cols}`);
  return { ...X, encoders: [...X.encoders, layer], cols: layer.W.rows };
}

/**
 * The minibatch cost of a streamed stage: each batch read (ahead, by the stream's reader), passed
 * through the encoders, its labels gathered, then evaluated. The matrices are one set per batch
 * size, reused; the reader and they are released by dispose.
 */
export function streamedObjective<T extends FloatArray>(
  backend: Backend<T>,
  X: StreamedRows<T>,
  labels: Int32Array | undefined,
  cost: BatchObjective<T>,
  batchSize: number,
): MinibatchCost & { dispose(): void } {
  const reader = X.stream.open(batchSize);
  const batches = new Map<number, { layers: Matrix<T>[]; yb: Int32Array | undefined }>();
  const batchOf = (size: number) => {
    let batch = batches.get(size);
    if (!batch) {
      const layers = [backend.zeros(size, X.stream.inputSize), ...X.encoders.map((e) => backend.zeros(size, e.W.rows))];
      batch = { layers, yb: labels && new Int32Array(size) };
      batches.set(size, batch);
    }
    return batch;
  };
  return {
    examples: X.rows,
    shuffle: (order, rng) => X.stream.shuffle(order, rng),
    startEpoch: (order, position) => reader.start(order, position),
    cost(theta: FloatArray, grad: FloatArray, rows: Int32Array): number {
      const { layers, yb } = batchOf(rows.length);
      reader.next(rows, (layers[0] as Matrix<T>).data);
      X.encoders.forEach((e, l) => {
        encoderForward(backend, layers[l] as Matrix<T>, e.W, e.b, layers[l + 1] as Matrix<T>);
      });
      if (labels && yb) for (let i = 0; i < rows.length; i++) yb[i] = labels[rows[i] as number] as number;
      return cost.cost(theta, grad, layers[layers.length - 1] as Matrix<T>, yb);
    },
    dispose(): void {
      reader.close();
      for (const { layers } of batches.values()) for (const A of layers) backend.free(A);
      batches.clear();
    },
  };
}
