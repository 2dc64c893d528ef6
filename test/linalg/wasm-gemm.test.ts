// The wasm gemm shared by threads (assembly/gemm-shared.ts) gives the same bits as the same
// product on one thread: every element is summed over the same depth blocks in the same order,
// whichever thread packs a panel or multiplies a block. More threads than cores (3 on this
// machine's 2) make threads arrive late and take items out of step, which must not matter.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Rng } from "../../src/linalg/rng.ts";
import { createWasmBackend, type WasmBackend } from "../../src/linalg/wasm/index.ts";

const rng = new Rng(11);

/** [M, N, K]: edge tiles, several depth blocks and panels, few rows (blocks cut by columns too). */
const SHAPES: [number, number, number][] = [
  [301, 150, 203],
  [256, 200, 784], // a minibatch's product: two depth blocks, rows cut 16 at a time
  [200, 131, 1100], // three depth blocks
  [10, 203, 3001], // 10 rows: blocks cut by columns
  [3, 2100, 700], // two panels of columns, the second 52 wide
  [4100, 40, 64],
  [97, 97, 1030],
];

describe("wasm gemm on threads", () => {
  let one: WasmBackend;
  const many: WasmBackend[] = [];
  before(async () => {
    one = await createWasmBackend({ threads: 1 });
    many.push(await createWasmBackend({ threads: 2 }), await createWasmBackend({ threads: 3 }));
  });
  after(async () => {
    for (const b of [one, ...many]) await b.dispose();
  });

  it("S·Wᵀ with a sparse S (rows in chunks the threads take in turn) gives the same bits as one thread", () => {
    for (const [m, n, h] of [
      [3000, 100, 23],
      [256, 784, 200],
      [2100, 60, 230],
    ] as const) {
      const s = Array.from({ length: m * n }, () => (rng.uniform() < 0.2 ? 1 - rng.uniform() : 0));
      const w = Array.from({ length: h * n }, () => rng.uniformIn(-1, 1));
      const bias = Array.from({ length: h }, () => rng.uniformIn(-1, 1));
      const results = [one, ...many].map((backend) => {
        const ops = backend.sparse;
        assert.ok(ops);
        const S = backend.fromValues(m, n, s);
        const Ss = ops.fromDense(S);
        const W = backend.fromValues(h, n, w);
        const b = backend.fromValues(1, h, bias);
        const Z = backend.zeros(m, h);
        ops.mulTransposed(Ss, W, Z, b);
        const out = Float32Array.from(Z.data);
        ops.free(Ss);
        for (const x of [Z, b, W, S]) backend.free(x);
        return out;
      });
      for (let t = 1; t < results.length; t++)
        assert.deepEqual(results[t], results[0], `${m}×${n}·${h}ᵀ, ${t + 1} threads`);
    }
  });

  it("gives the same bits as one thread: transposes, alpha, beta 0, 1 and 0.5, fused bias-sigmoid", () => {
    for (const [M, N, K] of SHAPES) {
      for (const [ta, tb] of [
        [false, true],
        [true, false],
        [false, false],
        [true, true],
      ] as const) {
        const a = Float32Array.from({ length: M * K }, () => rng.uniformIn(-1, 1));
        const b = Float32Array.from({ length: K * N }, () => rng.uniformIn(-1, 1));
        const c = Float32Array.from({ length: M * N }, () => rng.uniformIn(-1, 1));
        for (const [alpha, beta] of [
          [1, 0],
          [0.75, 1],
          [-1.3, 0.5],
        ] as const) {
          const results = [one, ...many].map((backend) => {
            const A = backend.fromValues(ta ? K : M, ta ? M : K, a);
            const B = backend.fromValues(tb ? N : K, tb ? K : N, b);
            const C = backend.fromValues(M, N, c);
            backend.gemm(ta, tb, alpha, A, B, beta, C);
            const out = Float32Array.from(C.data);
            for (const m of [C, B, A]) backend.free(m);
            return out;
          });
          for (let t = 1; t < results.length; t++) {
            const diff = (results[t] as Float32Array).findIndex(
              (v, i) => !Object.is(v, (results[0] as Float32Array)[i]),
            );
            assert.equal(
              diff,
              -1,
              `${M}×${N}×${K} ta=${ta} tb=${tb} α=${alpha} β=${beta}, ${t + 1} threads: element ${diff}`,
            );
          }
        }
      }
      const a = Float32Array.from({ length: M * K }, () => rng.uniformIn(-1, 1));
      const w = Float32Array.from({ length: N * K }, () => rng.uniformIn(-1, 1));
      const bias = Float32Array.from({ length: N }, () => rng.uniformIn(-1, 1));
      const results = [one, ...many].map((backend) => {
        const A = backend.fromValues(M, K, a);
        const W = backend.fromValues(N, K, w);
        const b = backend.fromValues(1, N, bias);
        const out = backend.zeros(M, N);
        backend.gemmBiasSigmoid(A, W, b, out);
        const copy = Float32Array.from(out.data);
        for (const m of [out, b, W, A]) backend.free(m);
        return copy;
      });
      for (let t = 1; t < results.length; t++) {
        assert.deepEqual(results[t], results[0], `σ(A·Wᵀ + b) ${M}×${N}×${K}, ${t + 1} threads`);
      }
    }
  });
});
