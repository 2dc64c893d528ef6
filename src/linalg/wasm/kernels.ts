// The compiled kernels (assembly/kernels.ts) as this side sees them: their exports, and how the
// module is chosen (relaxed SIMD or not, shared memory or not), compiled and instantiated.
import { ArgumentError, StackaeError } from "../../errors.ts";
import { getPlatform } from "../../platform/platform.ts";

/** The exports of assembly/kernels.ts (addresses are byte offsets into the memory). */
export interface KernelExports {
  PACK_A_BYTES: WebAssembly.Global;
  PACK_B_BYTES: WebAssembly.Global;
  TILE_BYTES: WebAssembly.Global;
  BLOCK_ROWS: WebAssembly.Global;
  heapBase(): number;
  usesRelaxedSimd(): number;
  sgemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    beta: number,
    C: number,
    ldc: number,
    packA: number,
    packB: number,
    tile: number,
    bias: number,
  ): void;
  /** Rows of C = alpha · A · Bᵀ + beta · C with B (N × K) of a few rows: assembly/gemm-thin.ts. */
  sgemmThinNT(
    A: number,
    lda: number,
    rows: number,
    K: number,
    B: number,
    N: number,
    alpha: number,
    beta: number,
    C: number,
    ldc: number,
  ): void;
  /** Thread part's share of sgemm; parts (in packB's place) threads share sync, flags and the panels. */
  sgemmShared(
    sync: number,
    flags: number,
    panel0: number,
    panel1: number,
    ...args: Parameters<KernelExports["sgemm"]>
  ): void;
  biasSigmoid(Z: number, b: number, rows: number, cols: number, out: number): void;
  sigmoidGradMul(A: number, D: number, n: number, out: number): void;
  addRowSigmoidGradMul(D: number, s: number, A: number, rows: number, cols: number): void;
  squaredErrorDelta(A3: number, X: number, n: number, delta: number): number;
  colSumsRange(A: number, r0: number, r1: number, cols: number, partial: number, total: number): void;
  colSumsOut(totals: number, parts: number, stride: number, cols: number, scale: number, out: number): void;
  squaredErrorDeltaRange(
    A3: number,
    X: number,
    r0: number,
    r1: number,
    cols: number,
    delta: number,
    partial: number,
    total: number,
  ): number;
  sumSquares(x: number, n: number): number;
  softmaxRows(P: number, labels: number, rows: number, k: number): number;
  dot(x: number, y: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  sumAbs(x: number, n: number): number;
  copyRows(src: number, n: number, list: number, i0: number, i1: number, dst: number): void;
  adamRange(
    x: number,
    g: number,
    m: number,
    v: number,
    i0: number,
    i1: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    stepPerM: number,
    perV: number,
  ): void;
  sgdRange(
    x: number,
    g: number,
    v: number,
    i0: number,
    i1: number,
    momentum: number,
    rate: number,
    nesterov: number,
  ): void;
  twoLoop(
    part: number,
    parts: number,
    g: number,
    sList: number,
    yList: number,
    rho: number,
    k: number,
    hDiag: number,
    d: number,
    n: number,
    sync: number,
    alpha: number,
  ): void;
  sparseMulT(
    r0: number,
    r1: number,
    rowStart: number,
    colIndex: number,
    values: number,
    Wt: number,
    h: number,
    Z: number,
    bias: number,
  ): void;
  sparseMulTClaimed(
    counter: number,
    chunk: number,
    rows: number,
    rowStart: number,
    colIndex: number,
    values: number,
    Wt: number,
    h: number,
    Z: number,
    bias: number,
  ): void;
  countNonZeros(a: number, n: number): number;
  csrFill(a: number, rows: number, cols: number, rowStart: number, colIndex: number, values: number): void;
  columnBlocks(
    rowStart: number,
    colIndex: number,
    values: number,
    rows: number,
    n: number,
    colStart: number,
    row: number,
    blockValues: number,
    next: number,
  ): void;
  sparseTMulBlocks(
    r0: number,
    r1: number,
    c0: number,
    c1: number,
    n: number,
    colStart: number,
    row: number,
    blockValues: number,
    D: number,
    h: number,
    Gt: number,
  ): void;
  transposeSum(A: number, parts: number, stride: number, rows: number, cols: number, alpha: number, out: number): void;
}

/** The kernels instantiated over their memory, and the compiled module, for worker threads. */
export interface LoadedKernels {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  exports: KernelExports;
}

/**
 * Compiles the kernels and instantiates them over a new memory of at most `maxPages` pages,
 * shared where threads > 1: the relaxed-SIMD build where `relaxedSimd` allows it and the engine
 * accepts it.
 */
export async function loadKernels(
  threads: number,
  maxPages: number,
  relaxedSimd: boolean | "auto",
): Promise<LoadedKernels> {
  const platform = await getPlatform();
  const shared = threads > 1 ? "-shared" : "";
  const relaxed = await platform.readKernel(`kernels-relaxed${shared}.wasm`);
  const canRelax = WebAssembly.validate(relaxed);
  if (relaxedSimd === true && !canRelax) {
    throw new ArgumentError(
      "relaxedSimd: true needs an engine with relaxed SIMD; on Node 20 call enableRelaxedSimd() first, or start node with --experimental-wasm-relaxed-simd",
    );
  }
  const bytes = relaxedSimd !== false && canRelax ? relaxed : await platform.readKernel(`kernels-simd${shared}.wasm`);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: maxPages, shared: threads > 1 });
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: wasmAbort } });
  return { memory, module, exports: instance.exports as unknown as KernelExports };
}

function wasmAbort(): never {
  throw new StackaeError("ERR_WASM_ABORT", "the WebAssembly kernel aborted");
}
