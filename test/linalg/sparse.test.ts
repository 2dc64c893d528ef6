// The sparse products of every backend against a naive float64 product of the dense matrices,
// on shapes whose width is not a multiple of the kernels' blocks (20 and 4 columns), with empty
// rows, an all-zero matrix, and sizes large enough to be split across threads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError, ShapeError } from "../../src/errors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { CsrMatrix, density, SPARSE_DENSITY_LIMIT, sparseCopy } from "../../src/linalg/sparse.ts";
import { createSparseAutoencoderCost } from "../../src/nn/sparse-autoencoder.ts";
import { createStackCost } from "../../src/nn/stack.ts";
import { allBackends, referenceGemm, relativeMaxError } from "../helpers.ts";

const rng = new Rng(11);

/** m × n values, each non-zero with probability `fill` (uniform in (0, 1], as pixels), some rows empty. */
function sparseValues(m: number, n: number, fill: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    if (i % 7 === 3) continue; // an empty row now and then
    for (let j = 0; j < n; j++) if (rng.uniform() < fill) out[i * n + j] = 1 - rng.uniform();
  }
  return out;
}
const randomValues = (n: number) => Array.from({ length: n }, () => rng.uniformIn(-1, 1));

/** [m, n, h, fill]: rows, columns of S, width of the product, fraction of non-zeros. */
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [5, 9, 3, 0.3],
  [17, 31, 7, 0.2],
  [23, 40, 20, 0.5],
  [29, 13, 41, 0.25], // two blocks of 20 and one column
  [12, 10, 6, 0], // all zeros
  [3000, 100, 23, 0.2], // enough work to split across threads
  [500, 784, 200, 0.19], // the first autoencoder's width and density
  [256, 784, 203, 0.19], // a minibatch: one block of rows (wasm: 256), split by columns across threads
  [2100, 60, 230, 0.2], // wider than one chunk of registers (native: 208 columns); a short last column block (native: 20 of 32 rows, wasm: 52 of 256)
];

for (const { label, backend } of await allBackends()) {
  const sparse = backend.sparse;
  if (!sparse) continue;
  const tol = backend.dtype === "float32" ? 1e-5 : 1e-13;
  describe(`sparse products, ${label}`, () => {
    it("count non-zeros as `v !== 0` does (−0 is zero, NaN is not), in rows of any length", () => {
      for (const [rows, cols] of [
        [1, 1],
        [3, 5],
        [7, 13],
        [64, 784],
      ] as const) {
        const v = sparseValues(rows, cols, 0.3);
        v[0] = -0;
        if (v.length > 2) v[v.length - 1] = Number.NaN;
        const A = backend.fromValues(rows, cols, v);
        const count = Array.from(A.data).filter((x) => x !== 0).length;
        if (sparse.nonZeros) assert.equal(sparse.nonZeros(A), count, `${rows} × ${cols}`);
        const S = sparse.fromDense(A);
        assert.equal(S.nnz, count, `${rows} × ${cols}`);
        if (S instanceof CsrMatrix) {
          // A backend's own CSR (native's is built in C++, eight values at a time) is the plain loop's.
          const plain = CsrMatrix.fromDense(A, (n) => new Float64Array(n));
          assert.deepEqual([...S.rowStart], [...plain.rowStart], `${rows} × ${cols}: row starts`);
          assert.deepEqual([...S.colIndex], [...plain.colIndex], `${rows} × ${cols}: columns`);
          assert.deepEqual([...S.values], [...plain.values], `${rows} × ${cols}: values`);
        }
        sparse.free(S);
        backend.free(A);
      }
    });

    it("S·Wᵀ and α·Dᵀ·S match the dense products, overwriting C", () => {
      for (const [m, n, h, fill] of SHAPES) {
        const s = sparseValues(m, n, fill);
        const w = randomValues(h * n);
        const d = randomValues(m * h);
        const S = sparse.fromDense(backend.fromValues(m, n, s));
        assert.equal(S.nnz, s.filter((v) => v !== 0).length);
        const W = backend.fromValues(h, n, w);
        const D = backend.fromValues(m, h, d);
        const Z = backend.fromValues(m, h, new Array(m * h).fill(Number.NaN));
        sparse.mulTransposed(S, W, Z);
        const zErr = relativeMaxError(
          Z.data,
          referenceGemm(false, true, m, h, n, 1, s, w, 0, new Array(m * h).fill(0)),
        );
        assert.ok(zErr <= tol * Math.max(8, n), `${m}×${n}·${h}: S·Wᵀ error ${zErr}`);
        // With a bias row: σ(S·Wᵀ + b), the encoder's forward pass in one call.
        const b = Array.from({ length: h }, () => rng.uniformIn(-2, 2));
        const A = backend.fromValues(m, h, new Array(m * h).fill(Number.NaN));
        sparse.mulTransposed(S, W, A, backend.fromValues(1, h, b));
        const z = referenceGemm(false, true, m, h, n, 1, s, w, 0, new Array(m * h).fill(0));
        const aErr = relativeMaxError(
          A.data,
          z.map((v, i) => 1 / (1 + Math.exp(-(v + (b[i % h] as number))))),
        );
        assert.ok(aErr <= tol * Math.max(8, n), `${m}×${n}·${h}: σ(S·Wᵀ + b) error ${aErr}`);
        const G = backend.fromValues(h, n, new Array(h * n).fill(Number.NaN));
        sparse.transposedMul(0.5, D, S, G);
        const g = referenceGemm(true, false, h, n, m, 0.5, d, s, 0, new Array(h * n).fill(0));
        const gErr = relativeMaxError(G.data, g);
        assert.ok(gErr <= tol * Math.max(8, m), `${m}×${n}·${h}: Dᵀ·S error ${gErr}`);
        sparse.free(S);
        for (const M of [W, D, Z, G, A]) backend.free(M);
      }
    });

    it("checks shapes and says which operand is wrong", () => {
      const S = sparse.fromDense(backend.fromValues(4, 3, sparseValues(4, 3, 0.5)));
      assert.throws(() => sparse.mulTransposed(S, backend.zeros(2, 4), backend.zeros(4, 2)), ShapeError);
      assert.throws(() => sparse.mulTransposed(S, backend.zeros(2, 3), backend.zeros(4, 3)), /C must be 4 × 2/);
      assert.throws(
        () => sparse.mulTransposed(S, backend.zeros(2, 3), backend.zeros(4, 2), backend.zeros(1, 3)),
        /bias must have 2 elements/,
      );
      const one = sparse.fromDense(backend.fromValues(1, 3, [0, 1, 0]));
      const C = backend.zeros(1, 2);
      assert.throws(() => sparse.mulTransposed(one, backend.zeros(2, 3), C, C), ArgumentError);
      sparse.free(one);
      assert.throws(() => sparse.transposedMul(1, backend.zeros(5, 2), S, backend.zeros(2, 3)), /D must have 4 rows/);
      assert.throws(() => sparse.transposedMul(1, backend.zeros(4, 2), S, backend.zeros(3, 2)), /C must be 2 × 3/);
      sparse.free(S);
    });

    it("a cost on mostly-zero data gives the same value and gradient sparse or dense", () => {
      const [m, n, h] = [60, 50, 13];
      const x = sparseValues(m, n, 0.2);
      const X = backend.fromValues(m, n, x);
      assert.ok(density(X) <= SPARSE_DENSITY_LIMIT);
      const opts = { hidden: h, lambda: 3e-3, beta: 3, rho: 0.1 };
      const stackOpts = { sizes: [n, h, 5], classes: 3, lambda: 1e-4 };
      const labels = Array.from({ length: m }, (_, i) => i % 3);
      for (const [make, length] of [
        [
          (mode: "auto" | "never") => createSparseAutoencoderCost(backend, X, { ...opts, sparseInput: mode }),
          2 * h * n + h + n,
        ],
        [
          (mode: "auto" | "never") => createStackCost(backend, X, labels, { ...stackOpts, sparseInput: mode }),
          h * n + h + 5 * h + 5 + 3 * 5,
        ],
      ] as const) {
        const theta = new Float64Array(length).map(() => rng.uniformIn(-0.3, 0.3));
        const results = (["auto", "never"] as const).map((mode) => {
          const cost = make(mode);
          const grad = new Float64Array(length);
          const J = cost.cost(theta, grad);
          cost.dispose();
          return { J, grad };
        });
        const [a, b] = results as [{ J: number; grad: Float64Array }, { J: number; grad: Float64Array }];
        assert.ok(Math.abs(a.J - b.J) <= tol * 10 * Math.abs(b.J), `J ${a.J} vs ${b.J}`);
        const err = relativeMaxError(a.grad, b.grad);
        assert.ok(err <= tol * 100, `gradient differs by ${err}`);
      }
      backend.free(X);
    });

    it('"each-evaluation" follows data rewritten in place, as a minibatch is; "auto" keeps its first copy', () => {
      const [m, n, h] = [40, 30, 7];
      const X = backend.fromValues(m, n, sparseValues(m, n, 0.2));
      const labels = Array.from({ length: m }, (_, i) => i % 3);
      const opts = { hidden: h, lambda: 3e-3, beta: 3, rho: 0.1 };
      const stackOpts = { sizes: [n, h, 5], classes: 3, lambda: 1e-4 };
      type Mode = "auto" | "each-evaluation" | "never";
      for (const make of [
        (mode: Mode) => createSparseAutoencoderCost(backend, X, { ...opts, sparseInput: mode }),
        (mode: Mode) => createStackCost(backend, X, labels, { ...stackOpts, sparseInput: mode }),
      ]) {
        X.data.set(sparseValues(m, n, 0.2));
        const [each, once] = [make("each-evaluation"), make("auto")];
        const theta = new Float64Array(each.layout.length).map(() => rng.uniformIn(-0.3, 0.3));
        const grad = new Float64Array(theta.length);
        X.data.set(sparseValues(m, n, 0.2)); // new rows, as the next batch brings
        const dense = make("never");
        const wantGrad = new Float64Array(theta.length);
        const want = dense.cost(theta, wantGrad);
        const got = each.cost(theta, grad);
        assert.ok(Math.abs(got - want) <= tol * 10 * Math.abs(want), `each-evaluation: J ${got} vs ${want}`);
        assert.ok(relativeMaxError(grad, wantGrad) <= tol * 100, "each-evaluation: the gradient");
        if (density(X) <= SPARSE_DENSITY_LIMIT) {
          const staleGrad = new Float64Array(theta.length);
          once.cost(theta, staleGrad);
          assert.ok(relativeMaxError(staleGrad, wantGrad) > 0.01, "auto's copy was taken when the cost was made");
        }
        for (const c of [each, once, dense]) c.dispose();
      }
      backend.free(X);
    });
  });
}

describe("sparse copies", () => {
  const backend = new JsBackend("float64");
  it("are made only at or below the density limit, and never when told not to", () => {
    const sparseX = backend.fromValues(10, 10, sparseValues(10, 10, 0.1));
    const denseX = backend.fromValues(10, 10, randomValues(100));
    assert.notEqual(sparseCopy(backend.sparse, sparseX), null);
    assert.equal(sparseCopy(backend.sparse, sparseX, "never"), null);
    assert.equal(sparseCopy(backend.sparse, denseX), null);
    assert.equal(sparseCopy(undefined, sparseX), null);
    assert.equal(density(backend.zeros(0, 3)), 1);
  });

  it("refuses a sparse matrix of another backend, and a bad mode", async () => {
    const other = new JsBackend("float64");
    const S = other.sparse.fromDense(other.fromValues(2, 2, [1, 0, 0, 1]));
    const wasm = (await allBackends()).find((c) => c.label.startsWith("wasm"))?.backend;
    assert.ok(wasm?.sparse);
    assert.throws(() => wasm.sparse?.mulTransposed(S, wasm.zeros(2, 2), wasm.zeros(2, 2)), ArgumentError);
    const native = (await allBackends()).find((c) => c.label.startsWith("native"))?.backend;
    if (native?.sparse) {
      assert.throws(() => native.sparse?.transposedMul(1, native.zeros(2, 2), S, native.zeros(2, 2)), ArgumentError);
    }
    const X = backend.fromValues(2, 2, [1, 0, 0, 0]);
    assert.throws(
      () =>
        createSparseAutoencoderCost(backend, X, {
          hidden: 2,
          lambda: 0,
          beta: 0,
          rho: 0.1,
          sparseInput: "yes" as never,
        }),
      /sparseInput must be "auto", "each-evaluation" or "never", got "yes"/,
    );
  });
});
