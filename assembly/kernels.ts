// stackae float32 kernels, compiled to WebAssembly SIMD (and to a relaxed-SIMD variant with
// fused multiply-add) by scripts/build-wasm.mjs. Every function works on raw byte addresses into
// the one linear memory that the host owns (`--importMemory`); nothing here allocates. Row-major
// throughout. This entry file is the module's export list, in the order the host has always seen
// it; the kernels live by kind:
//   memory.ts       tile sizes, the packing buffers' sizes, where the host's heap starts
//   lanes.ts        shared SIMD building blocks (multiply-add, f64 lane sums, 4 × 4 transpose)
//   math.ts         e^x, the sigmoid and subnormal flushing, four lanes at a time
//   gemm-kernel.ts  packing of A and B and the 4 × 8 micro-kernel (with the fused bias-sigmoid store)
//   gemm.ts         the blocked product sgemm
//   gemm-shared.ts  sgemmShared: the threads pack each panel of B once, together, and share its blocks
//   elementwise.ts  sigmoids, deltas, softmax rows and column sums
//   vectors.ts      the optimisers' vector kernels: dot, axpy, the two-loop recursion, Adam, SGD
//   threads.ts      the counter, barrier and meeting point that threads share
//   sparse.ts       products with a sparse (CSR) matrix and the arrays they read

// The order of the names below is the order of the exports in the binary: kept as it was, the
// binaries are the same byte for byte as before the kernels moved into their files.
export { PACK_A_BYTES, PACK_B_BYTES, TILE_BYTES } from "./memory";
export { usesRelaxedSimd } from "./lanes";
export { heapBase } from "./memory";
export { sgemm } from "./gemm";
export { biasSigmoid, sigmoidGradMul, addRowSigmoidGradMul, squaredErrorDelta, softmaxRows } from "./elementwise";
export { copyRows, sumSquares, sumAbs, dot, axpy, adamRange, sgdRange, twoLoop } from "./vectors";
export { colSumsRange, squaredErrorDeltaRange, colSumsOut } from "./elementwise";
export { sparseMulT, BLOCK_ROWS, countNonZeros, csrFill, columnBlocks, sparseTMulBlocks, transposeSum } from "./sparse";
export { sgemmShared, GEMM_SYNC_BYTES } from "./gemm-shared";
export { sparseMulTClaimed } from "./sparse";
export { sgemmThinNT } from "./gemm-thin";
