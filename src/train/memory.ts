// The memory a training run will take at its peak, from its settings and its data's shape, before
// any of it is allocated: so that a run that cannot fit is refused at once, with what to change,
// rather than growing until the machine swaps or kills it (`--layers 100000` would need 125 GB
// for L-BFGS's history alone). The counts follow what the stages allocate (stages.ts, the costs
// of nn/, the optimisers of optim/); docs/errors-memory.md compares them with measured peaks.
import { checkNumber } from "../errors.ts";
import type { DType } from "../linalg/matrix.ts";
import { SPARSE_DENSITY_LIMIT } from "../linalg/sparse.ts";
import { DECODER_ROWS } from "../nn/sparse-autoencoder.ts";
import type { TrainSettings } from "./settings.ts";

/** The shape of a run's data. */
export interface DataShape {
  /** Labelled training examples. */
  examples: number;
  /** Values per example. */
  inputSize: number;
  classes: number;
  /** Unlabelled examples the autoencoders train on instead (0 or absent: none). */
  unlabeled?: number;
  /** Validation examples (0 or absent: none). */
  validation?: number;
}

/** The backend a run is on, as far as its memory goes. */
export interface BackendShape {
  name: "js" | "wasm" | "native";
  /** The js backend's precision (default float32; wasm and native are float32). */
  dtype?: DType;
  /** Kernel threads, the calling thread included (default 1). */
  threads?: number;
}

/** Bytes, by what holds them. */
export interface MemoryParts {
  /** The data set in the backend's matrices (training, unlabelled and validation examples, features). */
  data: number;
  /** The parameters of the stage and of the whole stack, and the cost's θ and gradient. */
  parameters: number;
  /** The optimiser's vectors: L-BFGS's correction pairs, Adam's moments. */
  optimizer: number;
  /** Each layer's activations and deltas, on the full batch (L-BFGS) or a minibatch. */
  activations: number;
  /** The kernel threads' own buffers. */
  threads: number;
  /**
   * The engine's own: memory freed but not yet given back by the garbage collector, and the
   * allocators' slack (5 % of the rest and 64 MiB, from measured peaks: docs/errors-memory.md).
   */
  runtime: number;
}

/** One stage's estimate. */
export interface StageMemory {
  name: string;
  optimizer: string;
  /** Parameters the stage optimises. */
  parameters: number;
  bytes: number;
  parts: MemoryParts;
}

export interface MemoryEstimate {
  /** The most bytes the run holds at once (its largest stage), besides the caller's own inputs. */
  peak: number;
  /** The stage where the peak falls, and its parts. */
  stage: string;
  parts: MemoryParts;
  stages: StageMemory[];
  /**
   * On the wasm backend, the bytes its WebAssembly memory must hold at once (at most 4 GiB):
   * the matrices of the largest stage; 0 on the other backends.
   */
  wasmMemory: number;
}

/** L-BFGS's correction pairs (lbfgs's default, which the stages keep). */
const CORRECTIONS = 100;
/** Bytes of a worker thread (a V8 isolate and its stacks) beyond its buffers: 64 wasm threads took 6.5 MiB each (docs/errors-memory.md). */
const WORKER_BYTES = 3 * 2 ** 20;
/** The wasm kernels' packing buffers and tile per thread (assembly/gemm.ts). */
const WASM_BUFFER_BYTES = 4.2 * 2 ** 20;
/** OpenBLAS's buffer per thread that its products touch, measured (docs/errors-memory.md). */
const BLAS_THREAD_BYTES = 8 * 2 ** 20;
/** The engine's share beyond what a run allocates (MemoryParts.runtime). */
const RUNTIME_SHARE = 0.05;
const RUNTIME_BYTES = 64 * 2 ** 20;

/**
 * The peak memory of trainStackedAutoencoder with `settings` on data of this shape and this
 * backend: the largest stage's data, parameters, optimiser state and activations. An upper
 * estimate where the run may take less (a sparse copy of the data counted at the most it can
 * hold; L-BFGS's history at its full 100 pairs once the stage runs 100 iterations).
 * `checkpoints`: the run writes checkpoints, which copy the optimiser's state once more.
 */
export function estimateMemory(
  settings: TrainSettings,
  data: DataShape,
  backend: BackendShape,
  options: { checkpoints?: boolean } = {},
): MemoryEstimate {
  const m = checkNumber("examples", data.examples, { integer: true, min: 1 });
  const n = checkNumber("inputSize", data.inputSize, { integer: true, min: 1 });
  const k = checkNumber("classes", data.classes, { integer: true, min: 1 });
  const u = checkNumber("unlabeled", data.unlabeled ?? 0, { integer: true, min: 0 });
  const v = checkNumber("validation", data.validation ?? 0, { integer: true, min: 0 });
  const threads = checkNumber("threads", backend.threads ?? 1, { integer: true, min: 1 });
  const e = backend.name === "js" && backend.dtype === "float64" ? 8 : 4;
  const sizes = [n, ...settings.layers];
  const L = settings.layers.length;
  const stackParams = stackParameterCount(sizes, k);
  // The data the whole run keeps in the backend, and the stack's parameters (run.params, the
  // pretrained copy, the stage's result).
  const inputs = (m + u + v) * n * e;
  const stackBytes = 3 * stackParams * 4;
  const threadBytes =
    backend.name === "wasm"
      ? (threads - 1) * WORKER_BYTES + threads * WASM_BUFFER_BYTES
      : backend.name === "native"
        ? threads * BLAS_THREAD_BYTES
        : 0;
  // A sparse copy of a data matrix, where its products take one: CSR's values and columns, and
  // native's column blocks, at the most non-zeros that make it go sparse.
  const sparse = (rows: number, cols: number) =>
    backend.name === "js" && e === 8
      ? 0
      : SPARSE_DENSITY_LIMIT * rows * cols * (8 + (backend.name === "native" ? 6 : 0));
  const stages: StageMemory[] = [];
  const rowsAe = u > 0 ? u : m;
  for (let l = 1; l <= L; l++) {
    const [a, h] = [sizes[l - 1] as number, sizes[l] as number];
    const P = 2 * a * h + a + h;
    const s = settings.autoencoder;
    // Features below layer 1 (the layer's input, and during their computation the next ones).
    const features = l === 1 ? 0 : rowsAe * (a + h) * e;
    const batch = s.optimizer === "lbfgs" ? rowsAe : Math.min(s.batchSize, rowsAe);
    // A2 for every row; the decoder's reconstruction and Δ3·W2 for a block of rows, Δ2 then
    // written over A2 (tied: both for every row).
    const decoded = s.tiedWeights ? batch : Math.min(batch, DECODER_ROWS);
    const acts =
      (batch * h + decoded * (a + h)) * e * (s.optimizer === "lbfgs" ? 1 : 2) + (l === 1 ? sparse(batch, a) : 0);
    stages.push(
      stage(`autoencoder ${l}`, s.optimizer, s.iterations, P, e, {
        data: inputs + features + (s.optimizer === "lbfgs" ? 0 : batch * a * e),
        activations: acts,
        stack: stackBytes,
        threads: threadBytes,
        rows: rowsAe,
        checkpoints: options.checkpoints === true,
      }),
    );
  }
  const d = sizes[L] as number;
  const sm = settings.softmax;
  const smBatch = sm.optimizer === "lbfgs" ? m : Math.min(sm.batchSize, m);
  stages.push(
    stage("softmax", sm.optimizer, sm.iterations, k * d, e, {
      // The top features of the training and validation examples, and the layer below them while they are computed.
      data: inputs + (m + v) * (d + Math.max(...sizes.slice(1))) * e,
      activations: smBatch * k * e * 2,
      stack: stackBytes,
      threads: threadBytes,
      rows: m,
      checkpoints: options.checkpoints === true,
    }),
  );
  const ft = settings.fineTune;
  const ftBatch = ft.optimizer === "lbfgs" ? m : Math.min(ft.batchSize, m);
  const hidden = sizes.slice(1).reduce((t, s) => t + s, 0);
  // Input dropout's masked copy of the batch (L-BFGS: of all the examples); dropout's masked
  // copies of the hidden layers' activations, and their masks.
  const dropped =
    (ft.inputDropout === undefined ? 0 : ftBatch * n * e) +
    (ft.dropout === undefined ? 0 : ftBatch * hidden * (e + 4) * (ft.optimizer === "lbfgs" ? 1 : 2));
  stages.push(
    stage("fine-tuning", ft.optimizer, ft.iterations, stackParams, e, {
      data: inputs + (ft.optimizer === "lbfgs" ? 0 : ftBatch * n * e) + dropped,
      // Each layer's activations (its delta written over them), one layer's Δ·W before f', and
      // the softmax's probabilities; the validation pass.
      activations:
        ftBatch * (hidden + Math.max(0, ...sizes.slice(1)) + 2 * k) * e * (ft.optimizer === "lbfgs" ? 1 : 2) +
        sparse(ftBatch, n) +
        v * (Math.max(...sizes.slice(1)) * 2 + k) * e,
      stack: stackBytes,
      threads: threadBytes,
      rows: m,
      checkpoints: options.checkpoints === true,
    }),
  );
  const top = stages.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const wasmMemory =
    backend.name === "wasm"
      ? Math.max(...stages.map((s) => s.parts.data + s.parts.activations + 2 * s.parameters * e)) +
        threads * WASM_BUFFER_BYTES
      : 0;
  return { peak: top.bytes, stage: top.name, parts: top.parts, stages, wasmMemory };
}

/** Parameters of the stack [n, h1, …, hL] with its softmax of k classes (nn/stack.ts's layout). */
function stackParameterCount(sizes: readonly number[], k: number): number {
  let p = k * (sizes[sizes.length - 1] as number);
  for (let l = 1; l < sizes.length; l++) p += (sizes[l] as number) * ((sizes[l - 1] as number) + 1);
  return p;
}

/** One stage's bytes: its parameters (θ, ∇ in the backend; x, x0 in float32), its optimiser's vectors, and the rest. */
function stage(
  name: string,
  optimizer: string,
  iterations: number,
  P: number,
  e: number,
  o: {
    data: number;
    activations: number;
    stack: number;
    threads: number;
    rows: number;
    checkpoints: boolean;
  },
): StageMemory {
  const parameters = 2 * P * e + 2 * P * 4 + o.stack;
  let state: number;
  if (optimizer === "lbfgs") {
    // g, gNext, d, the next pair's s and y, the line search's trial point and two gradients, and
    // the correction pairs; a checkpoint encodes x, g and the pairs once more.
    const pairs = Math.min(CORRECTIONS, iterations);
    state = (8 + 2 * pairs) * P * 4 + (o.checkpoints ? (2 + 2 * pairs) * P * 4 : 0);
  } else {
    // g and the last good point; Adam's two float64 moments, SGD's velocity; the epoch's order.
    const moments = optimizer === "adam" ? 2 * P * 8 : P * 4;
    state = 2 * P * 4 + moments + o.rows * 4 + (o.checkpoints ? 3 * P * 4 + moments : 0);
  }
  const counted = o.data + parameters + state + o.activations + o.threads;
  const parts: MemoryParts = {
    data: o.data,
    parameters,
    optimizer: state,
    activations: o.activations,
    threads: o.threads,
    runtime: RUNTIME_SHARE * counted + RUNTIME_BYTES,
  };
  const bytes = Object.values(parts).reduce((t, b) => t + b, 0);
  return { name, optimizer, parameters: P, bytes, parts };
}
