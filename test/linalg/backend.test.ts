// One spec for every backend: each primitive against a naive float64 reference, on random shapes
// that include sizes which are not multiples of the kernel's tiles (4 × 8) or blocks (MC 128,
// KC 256, NC 2048), and every transpose combination.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError, ShapeError, StackaeError } from "../../src/errors.ts";
import { FLOAT32_MIN_NORMAL, Matrix } from "../../src/linalg/matrix.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { allBackends, assertClose, referenceGemm, relativeMaxError } from "../helpers.ts";

const rng = new Rng(7);
const randomValues = (n: number, lo = -1, hi = 1) => Array.from({ length: n }, () => rng.uniformIn(lo, hi));

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const maxError = (actual: ArrayLike<number>, expected: readonly number[]) =>
  expected.reduce((worst, v, i) => Math.max(worst, Math.abs((actual[i] as number) - v)), 0);

/** Asserts that `fn` throws a StackaeError (not the engine's RangeError or TypeError) whose message matches. */
function misuse(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StackaeError, `a StackaeError, got ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
    assert.match(e.message, message);
    return true;
  });
}

// biome-ignore lint/suspicious/noExplicitAny: misuse tests pass what the types forbid
const bad = (v: unknown): any => v;

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 16],
  [13, 17, 9],
  [37, 29, 53],
  [130, 11, 260], // M past one MC block, K past one KC block
  [5, 2051, 3], // N past one NC panel
  [5, 3, 513], // K past one KC block: two depth blocks of 257 and 256
  [9, 10, 1100], // three depth blocks of 367, 367 and 366
  [64, 0, 5],
  [6, 7, 0],
];

for (const { label, backend, tolerance } of await allBackends()) {
  const tol = backend.dtype === "float32" ? 2e-6 * 8 : 1e-13;
  describe(`backend ${label}`, () => {
    it("gemm matches the reference for every transpose combination and awkward shapes", () => {
      for (const [M, N, K] of SHAPES) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const a = randomValues(M * K);
            const b = randomValues(K * N);
            const c = randomValues(M * N);
            for (const [alpha, beta] of [
              [1, 0],
              [0.5, 1],
              [-2, 0.25],
            ] as const) {
              const A = backend.fromValues(ta ? K : M, ta ? M : K, a);
              const B = backend.fromValues(tb ? N : K, tb ? K : N, b);
              const C = backend.fromValues(M, N, c);
              backend.gemm(ta, tb, alpha, A, B, beta, C);
              const expected = referenceGemm(ta, tb, M, N, K, alpha, a, b, beta, c);
              // Relative to the size of the terms, |α|·|A|·|B| + |β|·|C|, as the rounding error
              // is bounded: relative to the result, a sum that cancels would fail on rounding alone.
              const abs = (v: number[]) => v.map(Math.abs);
              const terms = referenceGemm(ta, tb, M, N, K, Math.abs(alpha), abs(a), abs(b), Math.abs(beta), abs(c));
              const err = maxError(C.data, expected) / Math.max(...terms, 1e-300);
              // float32: the error grows like √K·ε; allow K·ε with room.
              const bound = backend.dtype === "float32" ? 1e-6 * Math.max(8, K) : 1e-13;
              assert.ok(err <= bound, `${M}×${N}×${K} ta=${ta} tb=${tb} α=${alpha} β=${beta}: error ${err} > ${bound}`);
              for (const m of [C, B, A]) backend.free(m);
            }
          }
        }
      }
    });

    it("gemm on products large enough to be split across threads, by rows and by columns", () => {
      for (const [M, N, K] of [
        [301, 150, 203],
        [37, 701, 300],
        [150, 150, 400],
        [4100, 40, 64], // five row chunks of 1024, 1024, 1024, 1024 and 4 that the threads claim
        [40, 4100, 64], // the same by columns
        [3001, 10, 203], // one thin dimension (the softmax layer's classes): native's own loops
        [3001, 203, 10],
        [10, 203, 3001],
        [1700, 16, 600],
        [3001, 1, 203], // a thin dimension of every width native's loops are made for, 1 to 16
        [2000, 7, 97],
        [7, 97, 2000],
      ] as const) {
        for (const [ta, tb] of [
          [false, true],
          [true, false],
          [false, false],
          [true, true],
        ] as const) {
          const a = randomValues(M * K);
          const b = randomValues(K * N);
          const c = randomValues(M * N);
          const A = backend.fromValues(ta ? K : M, ta ? M : K, a);
          const B = backend.fromValues(tb ? N : K, tb ? K : N, b);
          const C = backend.fromValues(M, N, c);
          backend.gemm(ta, tb, 0.75, A, B, 0.5, C);
          const err = relativeMaxError(C.data, referenceGemm(ta, tb, M, N, K, 0.75, a, b, 0.5, c));
          const bound = backend.dtype === "float32" ? 1e-6 * K : 1e-13;
          assert.ok(err <= bound, `${M}×${N}×${K} ta=${ta} tb=${tb}: error ${err}`);
          for (const m of [C, B, A]) backend.free(m);
        }
      }
    });

    it("gemmBiasSigmoid gives σ(A·Wᵀ + b): edge tiles, several depth blocks, wide panels, threads by rows and columns", () => {
      for (const [M, N, K] of [
        [1, 1, 1],
        [3, 5, 7],
        [37, 29, 53],
        [9, 10, 1100], // three depth blocks: the sigmoid goes with the last
        [5, 2051, 3], // past one NC panel of 2048 columns
        [4100, 40, 64], // split across threads by rows
        [40, 4100, 64], // and by columns
        [6, 7, 0], // no depth: σ(b)
      ] as const) {
        const a = randomValues(M * K, -2, 2);
        const w = randomValues(N * K, -2, 2);
        const b = randomValues(N, -3, 3);
        const A = backend.fromValues(M, K, a);
        const W = backend.fromValues(N, K, w);
        const out = backend.fromValues(M, N, new Array(M * N).fill(Number.NaN));
        backend.gemmBiasSigmoid(A, W, backend.fromValues(1, N, b), out);
        const z = referenceGemm(false, true, M, N, K, 1, a, w, 0, new Array(M * N).fill(0));
        const expected = z.map((v, i) => sigmoid(v + (b[i % N] as number)));
        const err = relativeMaxError(out.data, expected);
        const bound = backend.dtype === "float32" ? 1e-6 * Math.max(8, K) : 1e-13;
        assert.ok(err <= bound, `${M}×${N}×${K}: error ${err}`);
      }
      assert.throws(
        () =>
          backend.gemmBiasSigmoid(backend.zeros(2, 3), backend.zeros(4, 3), backend.zeros(1, 5), backend.zeros(2, 4)),
        /b must have 4 elements/,
      );
    });

    it("reconstructionDelta gives the decoder's delta, its column sums and Σ (A3 − X)² for A3 = σ(H·Wᵀ + b)", () => {
      for (const [m, n, h] of [
        [1, 1, 1],
        [7, 13, 5],
        [300, 784, 20], // the first autoencoder's width; several blocks of rows
        [3000, 100, 40], // split across threads by rows
        [40, 3000, 100], // by columns, past one panel of 2048
        [9, 10, 1100], // three depth blocks: the delta goes with the last
      ] as const) {
        const hv = randomValues(m * h, 0, 1);
        const w = randomValues(n * h, -2, 2);
        const b = randomValues(n, -2, 2);
        const x = randomValues(m * n, 0, 1).map((v) => (v < 0.6 ? 0 : v)); // mostly zeros, as pixels are
        const delta = backend.fromValues(m, n, new Array(m * n).fill(Number.NaN));
        const sums = backend.fromValues(1, n, new Array(n).fill(Number.NaN));
        const H = backend.fromValues(m, h, hv);
        const W = backend.fromValues(n, h, w);
        const X = backend.fromValues(m, n, x);
        const x32 = Array.from(X.data);
        const squares = backend.reconstructionDelta(H, W, backend.fromValues(1, n, b), X, delta, sums, 0.5);
        const z = referenceGemm(false, true, m, n, h, 1, hv, w, 0, new Array(m * n).fill(0));
        const a3 = z.map((v, i) => sigmoid(v + (b[i % n] as number)));
        const d = a3.map((a, i) => (a - (x32[i] as number)) * a * (1 - a));
        const colSums = Array.from(
          { length: n },
          (_, j) => 0.5 * d.filter((_, i) => i % n === j).reduce((t, v) => t + v, 0),
        );
        const expected = a3.reduce((t, a, i) => t + (a - (x32[i] as number)) ** 2, 0);
        const bound = backend.dtype === "float32" ? 1e-6 * Math.max(8, h) : 1e-13;
        assert.ok(
          relativeMaxError(delta.data, d) <= bound,
          `${m}×${n}·${h}: delta error ${relativeMaxError(delta.data, d)}`,
        );
        assert.ok(relativeMaxError(sums.data, colSums) <= bound * 10, `${m}×${n}·${h}: sums`);
        assertClose(squares, expected, bound * 10, `${m}×${n}·${h}: Σ (A3 − X)²`);
      }
      // Shapes are checked before delta is written.
      const delta = backend.fromValues(2, 4, new Array(8).fill(7));
      const [H, W, b] = [backend.zeros(2, 3), backend.zeros(4, 3), backend.zeros(1, 4)];
      assert.throws(
        () => backend.reconstructionDelta(H, W, b, backend.zeros(2, 5), delta, backend.zeros(1, 4), 1),
        ShapeError,
      );
      assert.throws(
        () => backend.reconstructionDelta(H, W, b, backend.zeros(2, 4), delta, backend.zeros(1, 3), 1),
        /sums must have 4 elements/,
      );
      assert.throws(
        () =>
          backend.reconstructionDelta(H, W, backend.zeros(1, 3), backend.zeros(2, 4), delta, backend.zeros(1, 4), 1),
        /b must have 4 elements/,
      );
      assert.deepEqual(Array.from(delta.data), new Array(8).fill(7));
    });

    it("gemm with beta = 0 ignores NaN already in C: edge tiles, whole tiles, several depth blocks, threads, thin", () => {
      for (const [M, N, K, ta, tb] of [
        [3, 9, 2, false, false],
        [130, 40, 600, false, false],
        [301, 150, 203, false, false],
        [3001, 10, 203, false, true],
        [3001, 203, 10, false, false],
        [10, 203, 3001, true, false],
      ] as const) {
        const a = randomValues(M * K);
        const b = randomValues(K * N);
        const A = backend.fromValues(ta ? K : M, ta ? M : K, a);
        const B = backend.fromValues(tb ? N : K, tb ? K : N, b);
        const C = backend.fromValues(M, N, new Array(M * N).fill(Number.NaN));
        backend.gemm(ta, tb, 1, A, B, 0, C);
        const expected = referenceGemm(ta, tb, M, N, K, 1, a, b, 0, new Array(M * N).fill(0));
        const bound = backend.dtype === "float32" ? 1e-6 * K : 1e-13;
        assert.ok(relativeMaxError(C.data, expected) <= bound, `${M}×${N}×${K}`);
        for (const m of [C, B, A]) backend.free(m);
      }
    });

    it("gemm rejects operands whose shapes do not fit, naming both", () => {
      const A = backend.zeros(3, 4);
      const B = backend.zeros(5, 2);
      const C = backend.zeros(3, 2);
      assert.throws(
        () => backend.gemm(false, false, 1, A, B, 0, C),
        (e: Error) => {
          assert.ok(e instanceof ShapeError);
          assert.match(e.message, /inner dimensions.*3 × 4.*5 × 2/);
          return true;
        },
      );
      assert.throws(
        () => backend.gemm(false, true, 1, A, backend.zeros(2, 4), 0, backend.zeros(3, 3)),
        /C must be 3 × 2/,
      );
    });

    it("biasSigmoid, sigmoidGradMul and addRowSigmoidGradMul match the reference, including saturation", () => {
      // The last shape is over twice the 2^18-element threshold: two threads each take a part.
      for (const [m, n] of [
        [1, 1],
        [7, 13],
        [33, 4],
        [5, 130],
        [801, 701],
      ] as const) {
        const z = randomValues(m * n, -12, 12);
        z[0] = 200; // saturates to 1 without overflow
        if (z.length > 1) z[1] = -200; // saturates to 0
        const b = randomValues(n);
        const Z = backend.fromValues(m, n, z);
        const bias = backend.fromValues(1, n, b);
        const out = backend.zeros(m, n);
        backend.biasSigmoid(Z, bias, out);
        const expected = z.map((v, i) => sigmoid(v + (b[i % n] as number)));
        assert.ok(relativeMaxError(out.data, expected) < tol, `biasSigmoid ${m}×${n}`);
        assert.ok(out.data.every((v) => v >= 0 && v <= 1));

        const d = randomValues(m * n);
        const D = backend.fromValues(m, n, d);
        backend.sigmoidGradMul(out, D, D);
        const a = Array.from(out.data);
        assert.ok(
          relativeMaxError(
            D.data,
            d.map((v, i) => v * a[i]! * (1 - a[i]!)),
          ) < tol,
          "sigmoidGradMul",
        );

        const s = randomValues(n);
        const D2 = backend.fromValues(m, n, d);
        backend.addRowSigmoidGradMul(D2, backend.fromValues(1, n, s), out);
        const exp2 = d.map((v, i) => (v + s[i % n]!) * a[i]! * (1 - a[i]!));
        assert.ok(relativeMaxError(D2.data, exp2) < tol, "addRowSigmoidGradMul");
      }
    });

    it("biasSigmoid passes NaN through (so a diverging run is caught) and saturates ±∞", () => {
      const z = randomValues(4 * 37, -3, 3);
      z[2] = Number.NaN;
      z[40] = Number.POSITIVE_INFINITY;
      z[77] = Number.NEGATIVE_INFINITY;
      const Z = backend.fromValues(4, 37, z);
      const out = backend.zeros(4, 37);
      backend.biasSigmoid(Z, backend.zeros(1, 37), out);
      assert.ok(Number.isNaN(out.data[2]), `σ(NaN) = ${out.data[2]}`);
      assert.equal(out.data[40], 1);
      assert.ok((out.data[77] as number) < 1e-30, `σ(−∞) = ${out.data[77]}`);
      assert.equal(out.data.filter(Number.isNaN).length, 1);
    });

    it("float32 kernels write 0, not a subnormal, for element-wise results below 2^-126", (t) => {
      if (backend.name === "js") return t.skip("the JavaScript reference keeps subnormals");
      const subnormal = (v: number) => v !== 0 && Math.abs(v) < FLOAT32_MIN_NORMAL;
      // σ(−87.5) ≈ 1.1e-38 and products of 1e-20 and 1e-20 are subnormal; σ(−80) ≈ 1.8e-35 is not.
      const n = 9;
      const Z = backend.fromValues(1, n, [-87.5, -80, -200, -87.5, 0, -87.5, -87.5, -87.5, -87.5]);
      const A = backend.zeros(1, n);
      backend.biasSigmoid(Z, backend.zeros(1, n), A);
      assert.equal(A.data.filter(subnormal).length, 0, `σ: ${Array.from(A.data)}`);
      assert.equal(A.data[0], 0);
      assertClose(A.data[1] as number, sigmoid(-80), 1e-5, "σ(−80) is kept");
      const tinyA = backend.fromValues(1, n, new Array(n).fill(1e-20));
      const D = backend.fromValues(1, n, [1e-20, -1e-20, 1, 1e-20, 1e-20, 1e-20, 1e-20, 1e-20, 1e-20]);
      const out = backend.zeros(1, n);
      backend.sigmoidGradMul(tinyA, D, out);
      assert.equal(out.data.filter(subnormal).length, 0, `sigmoidGradMul: ${Array.from(out.data)}`);
      assertClose(out.data[2] as number, 1e-20, 1e-5, "1 · 1e-20 is kept");
      backend.addRowSigmoidGradMul(D, backend.zeros(1, n), tinyA);
      assert.equal(D.data.filter(subnormal).length, 0, `addRowSigmoidGradMul: ${Array.from(D.data)}`);
      const A3 = backend.fromValues(1, n, new Array(n).fill(1e-30));
      const X = backend.fromValues(1, n, new Array(n).fill(1e-9));
      const delta = backend.zeros(1, n);
      backend.squaredErrorDelta(A3, X, delta);
      assert.equal(delta.data.filter(subnormal).length, 0, `squaredErrorDelta: ${Array.from(delta.data)}`);
    });

    it("squaredErrorDelta, colSums, sumSquares, dot and axpy match the reference", () => {
      for (const [m, n] of [
        [1, 3],
        [9, 7],
        [700, 5],
        [3, 1030],
        [801, 701],
      ] as const) {
        const a3 = randomValues(m * n, 0, 1);
        const x = randomValues(m * n, 0, 1);
        const A3 = backend.fromValues(m, n, a3);
        const X = backend.fromValues(m, n, x);
        const delta = backend.zeros(m, n);
        const sq = backend.squaredErrorDelta(A3, X, delta);
        assertClose(
          sq,
          a3.reduce((s, v, i) => s + (v - x[i]!) ** 2, 0),
          tol,
          "Σ(A3 − X)²",
        );
        assert.ok(
          relativeMaxError(
            delta.data,
            a3.map((v, i) => (v - x[i]!) * v * (1 - v)),
          ) < tol,
          "delta",
        );

        // With column sums of delta in the same pass: as colSums gives them, to the last bit.
        const fusedDelta = backend.zeros(m, n);
        const fusedSums = backend.fromValues(1, n, new Array(n).fill(Number.NaN));
        const fusedSq = backend.squaredErrorDelta(backend.fromValues(m, n, a3), X, fusedDelta, fusedSums, 0.25);
        assertClose(fusedSq, sq, tol, "Σ(A3 − X)² with column sums");
        assert.deepEqual(fusedDelta.data, delta.data, "delta with column sums");
        const deltaSums = backend.zeros(1, n);
        backend.colSums(fusedDelta, 0.25, deltaSums);
        assert.deepEqual(fusedSums.data, deltaSums.data, `column sums of delta ${m}×${n}`);
        const expectedSums = new Array<number>(n).fill(0);
        a3.forEach((v, i) => {
          expectedSums[i % n] = (expectedSums[i % n] as number) + 0.25 * (v - x[i]!) * v * (1 - v);
        });
        assert.ok(relativeMaxError(fusedSums.data, expectedSums) < tol * 8, `column sums of delta ${m}×${n}`);

        const sums = backend.zeros(1, n);
        backend.colSums(A3, 1 / m, sums);
        const expected = new Array<number>(n).fill(0);
        a3.forEach((v, i) => {
          expected[i % n] = (expected[i % n] as number) + v / m;
        });
        assert.ok(relativeMaxError(sums.data, expected) < tol, `colSums ${m}×${n}`);

        assertClose(
          backend.sumSquares(X),
          x.reduce((s, v) => s + v * v, 0),
          tol,
          "sumSquares",
        );
        assertClose(
          backend.dot(A3, X),
          a3.reduce((s, v, i) => s + v * x[i]!, 0),
          tol,
          "dot",
        );
        backend.axpy(-0.5, X, A3);
        assert.ok(
          relativeMaxError(
            A3.data,
            a3.map((v, i) => v - 0.5 * x[i]!),
          ) < tol,
          "axpy",
        );
      }
    });

    it("colSums of many rows stays accurate (blocked summation)", () => {
      const m = 60000;
      const A = backend.fromValues(
        m,
        3,
        Array.from({ length: 3 * m }, (_, i) => 0.1 + (i % 7) * 0.01),
      );
      const out = backend.zeros(1, 3);
      backend.colSums(A, 1 / m, out);
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += 0.1 + ((i * 3 + j) % 7) * 0.01;
        assertClose(out.data[j] as number, s / m, tolerance, `column ${j}`);
      }
    });

    it("softmaxRows matches the float64 softmax and its cost: row tails, wide rows, large logits, threads", () => {
      for (const [m, k, offset] of [
        [1, 1, 0],
        [1, 3, 0],
        [4, 10, 0],
        [5, 10, 0], // one row past a group of four
        [6, 7, 1000], // two past; logits near 1000, where e^z overflows without the max subtracted
        [7, 17, -500], // three past
        [2, 200, 0],
        [9003, 10, 0], // split across threads
      ] as const) {
        const z = randomValues(m * k, -20, 20).map((v) => v + offset);
        const labels = Int32Array.from({ length: m }, () => Math.floor(rng.uniform() * k));
        const P = backend.fromValues(m, k, z);
        const z32 = Array.from(P.data); // the logits as the backend holds them
        const nll = backend.softmaxRows(P, labels);
        let expected = 0;
        // The cost's error scales with its terms, 1 + |log Σ e^(z − max)| + |z_y − max| a row: a
        // float32 sum of the exponentials (at least 1) is exact to a few ε, an absolute error of its log.
        let terms = 0;
        for (let i = 0; i < m; i++) {
          const row = z32.slice(i * k, (i + 1) * k);
          const max = Math.max(...row);
          const sum = row.reduce((acc, v) => acc + Math.exp(v - max), 0);
          const zy = (row[labels[i] as number] as number) - max;
          expected += Math.log(sum) - zy;
          terms += 1 + Math.abs(Math.log(sum)) + Math.abs(zy);
          for (let c = 0; c < k; c++) {
            const q = Math.exp((row[c] as number) - max) / sum;
            const got = P.data[i * k + c] as number;
            assert.ok(
              Math.abs(got - q) <= tolerance * (q + 1e-3),
              `${m}×${k} P[${i}][${c}]: expected ${q}, got ${got}`,
            );
          }
        }
        const costError = Math.abs(nll - expected) / Math.max(terms, 1e-300);
        assert.ok(costError <= tolerance, `${m}×${k} cost: expected ${expected}, got ${nll} (error ${costError})`);
        if (k === 1) assert.equal(nll, 0);
        backend.free(P);
      }
    });

    it("softmaxRows: a probability below 2^-126 is 0 on float32 and the cost stays finite; NaN and ∞ give NaN", () => {
      const P = backend.fromValues(1, 4, [0, -200, -87.5, -80]);
      const nll = backend.softmaxRows(P, Int32Array.of(1));
      const sum = 1 + Math.exp(-200) + Math.exp(-87.5) + Math.exp(-80);
      assertClose(nll, 200 + Math.log(sum), 1e-7, "cost of a label whose probability underflows");
      assert.equal(P.data[1], backend.dtype === "float32" ? 0 : Math.exp(-200) / sum);
      if (backend.dtype === "float32") assert.equal(P.data[2], 0, "e^-87.5 ≈ 9.8e-39 is below 2^-126");
      assertClose(P.data[3] as number, Math.exp(-80), 1e-5, "e^-80 ≈ 1.8e-35 is kept");
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const Q = backend.fromValues(5, 2, [0, 1, 2, 3, bad, 0, 4, 5, 6, 7]);
        assert.ok(Number.isNaN(backend.softmaxRows(Q, Int32Array.of(0, 1, 0, 1, 0))), `cost with a logit ${bad}`);
      }
    });

    it("softmaxRows rejects labels that do not fit P, naming the entry", () => {
      const P = backend.zeros(3, 4);
      assert.throws(() => backend.softmaxRows(P, Int32Array.of(0, 1)), /one entry per row of P \(3\), got 2/);
      assert.throws(
        () => backend.softmaxRows(P, Int32Array.of(0, 4, 1)),
        /labels\[1\] must be a class in \[0, 3\], got 4/,
      );
      assert.throws(() => backend.softmaxRows(P, Int32Array.of(0, 1, -1)), ArgumentError);
      assert.equal(backend.softmaxRows(backend.zeros(0, 4), new Int32Array(0)), 0);
    });

    it("gatherRows copies the listed rows, repeats included, over every thread's part", () => {
      const rng = new Rng(12);
      // 1,500 rows of 100 values: past the size that the wasm backend splits across its threads.
      const [m, n, count] = [2000, 100, 1500];
      const A = backend.fromValues(
        m,
        n,
        Float64Array.from({ length: m * n }, () => rng.uniform() - 0.5),
      );
      const rows = Int32Array.from({ length: count }, (_, i) => (i % 7 === 0 ? m - 1 : Math.floor(rng.uniform() * m)));
      rows[1] = 0;
      rows[2] = 0;
      const out = backend.zeros(count, n);
      backend.gatherRows(A, rows, out);
      for (let i = 0; i < count; i++) {
        const r = rows[i] as number;
        assert.deepEqual(out.data.subarray(i * n, (i + 1) * n), A.data.subarray(r * n, (r + 1) * n), `row ${i} (${r})`);
      }
      const one = backend.zeros(1, n);
      backend.gatherRows(A, Int32Array.of(17), one);
      assert.deepEqual(one.data, A.data.subarray(17 * n, 18 * n));
      backend.gatherRows(A, new Int32Array(0), backend.zeros(0, n));
      for (const M of [A, out, one]) backend.free(M);
    });

    it("gatherRows rejects rows outside A and an out of the wrong shape, leaving out as it was", () => {
      const A = backend.fromValues(3, 2, [1, 2, 3, 4, 5, 6]);
      const out = backend.fromValues(2, 2, [9, 9, 9, 9]);
      assert.throws(
        () => backend.gatherRows(A, Int32Array.of(0, 3), out),
        /rows\[1\] = 3 is not a row of A \(0 to 2\)/,
      );
      assert.throws(() => backend.gatherRows(A, Int32Array.of(-1, 0), out), ArgumentError);
      assert.throws(() => backend.gatherRows(A, Int32Array.of(0), out), ShapeError);
      assert.throws(() => backend.gatherRows(A, Int32Array.of(0, 1), backend.zeros(2, 3)), /out must be 2 × 2/);
      assert.deepEqual(Array.from(out.data), [9, 9, 9, 9]);
    });

    it("element-wise kernels reject mismatched shapes", () => {
      assert.throws(
        () => backend.biasSigmoid(backend.zeros(2, 3), backend.zeros(1, 4), backend.zeros(2, 3)),
        ShapeError,
      );
      assert.throws(() => backend.axpy(1, backend.zeros(1, 3), backend.zeros(1, 4)), ShapeError);
      assert.throws(() => backend.colSums(backend.zeros(5, 3), 1, backend.zeros(1, 2)), /out must have 3 elements/);
    });

    it("misuse: dimensions, arguments that are not matrices of its dtype, flags, scales, labels", () => {
      for (const [r, c, name] of [
        [-1, 2, "rows"],
        [2, -1, "cols"],
        [1.5, 2, "rows"],
        [Number.NaN, 2, "rows"],
        [2, Number.POSITIVE_INFINITY, "cols"],
        ["2", 2, "rows"],
      ] as const) {
        misuse(() => backend.zeros(bad(r), bad(c)), new RegExp(`^zeros: ${name} must be a non-negative integer`));
        misuse(() => backend.fromValues(bad(r), bad(c), []), new RegExp(`^fromValues: ${name} must be`));
      }
      misuse(
        () => backend.fromValues(1, 2, bad(null)),
        /^fromValues: values must be an array or a typed array, got null/,
      );
      const A = backend.fromValues(2, 2, [1, 2, 3, 4]);
      const B = backend.fromValues(2, 2, [5, 6, 7, 8]);
      const C = backend.zeros(2, 2);
      misuse(
        () => backend.gemm(false, false, 1, bad([1, 2, 3, 4]), B, 0, C),
        /^gemm: A must be a Matrix, got an array/,
      );
      misuse(() => backend.gemm(false, false, 1, A, bad(undefined), 0, C), /^gemm: B must be a Matrix, got undefined/);
      const foreign =
        backend.dtype === "float32" ? Matrix.of(2, 2, new Float64Array(4)) : Matrix.of(2, 2, new Float32Array(4));
      misuse(
        () => backend.dot(A, foreign),
        /^dot: y holds a Float(32|64)Array, this backend's matrices are float(32|64)/,
      );
      misuse(() => backend.gemm(bad(1), false, 1, A, B, 0, C), /^gemm: transA must be true or false, got 1/);
      misuse(() => backend.gemm(false, bad("yes"), 1, A, B, 0, C), /^gemm: transB must be true or false/);
      misuse(() => backend.gemm(false, false, bad("2"), A, B, 0, C), /^gemm: alpha must be a number, got "2"/);
      misuse(() => backend.axpy(bad(null), A, B), /^axpy: alpha must be a number/);
      misuse(() => backend.colSums(A, bad(undefined), backend.zeros(1, 2)), /^colSums: scale must be a number/);
      misuse(() => backend.softmaxRows(A, bad([0, 1])), /^softmaxRows: labels must be an Int32Array, got an array/);
      misuse(() => backend.gatherRows(A, bad([0, 1]), C), /^gatherRows: rows must be an Int32Array/);
      misuse(() => backend.free(bad({ rows: 2, cols: 2 })), /^free: m must be a Matrix, got a object/);
      assert.deepEqual(Array.from(C.data), [0, 0, 0, 0], "nothing was written");
      for (const m of [A, B, C]) backend.free(m);
    });

    it("misuse: an output that shares memory with an input it overwrites (gemm with C = A, a view into A)", () => {
      const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
      const big = backend.fromValues(4, 3, values);
      const A = big.sliceRows(0, 3);
      const B = backend.fromValues(3, 3, [1, 0, 2, 0, 1, 0, 3, 0, 1]);
      misuse(() => backend.gemm(false, false, 1, A, B, 0, A), /^gemm: C shares memory with A: .*give C its own matrix/);
      misuse(() => backend.gemm(false, false, 1, B, A, 0, A), /^gemm: C shares memory with B/);
      misuse(() => backend.gemm(true, false, 1, A, B, 1, big.sliceRows(1, 3)), /^gemm: C shares memory with A/);
      misuse(() => backend.gemmBiasSigmoid(A, B, backend.zeros(1, 3), B), /^gemmBiasSigmoid: out shares memory with W/);
      misuse(() => backend.gemmBiasSigmoid(A, B, backend.zeros(1, 3), A), /^gemmBiasSigmoid: out shares memory with A/);
      misuse(
        () => backend.gatherRows(big, Int32Array.of(2, 0), big.sliceRows(2, 2)),
        /^gatherRows: out shares memory with A/,
      );
      misuse(() => backend.colSums(big, 1, big.view(3, 1, 3)), /^colSums: out shares memory with A/);
      misuse(() => backend.biasSigmoid(A, A.view(0, 1, 3), A), /^biasSigmoid: out shares memory with b/);
      misuse(
        () => backend.biasSigmoid(A, backend.zeros(1, 3), big.sliceRows(1, 3)),
        /^biasSigmoid: out shares memory with Z \(it may be the same matrix, not a part of it\)/,
      );
      const H = backend.zeros(3, 2);
      const W = backend.zeros(3, 2);
      const b3 = backend.zeros(1, 3);
      misuse(
        () => backend.reconstructionDelta(H, W, b3, A, A, backend.zeros(1, 3), 1),
        /^reconstructionDelta: delta shares memory with X/,
      );
      assert.deepEqual(Array.from(big.data), values, "nothing was written");
      // In place where the interface allows it: the same matrix, whole.
      const Z = backend.fromValues(1, 3, [0, 0, 0]);
      backend.biasSigmoid(Z, backend.zeros(1, 3), Z);
      assert.deepEqual(Array.from(Z.data), [0.5, 0.5, 0.5]);
      backend.axpy(1, Z, Z);
      assert.deepEqual(Array.from(Z.data), [1, 1, 1]);
      for (const m of [big, B, H, W, b3, Z]) backend.free(m);
    });

    it("misuse: a freed matrix is not read, written or freed again (its bytes may be another matrix's); a view is not freed", () => {
      const m = backend.fromValues(2, 2, [1, 2, 3, 4]);
      const row = m.sliceRows(1, 1);
      misuse(() => backend.free(row), /^free: m \(1 × 2\) is a view of another matrix/);
      backend.free(m);
      // The WebAssembly backend hands m's bytes to the next matrix of its size.
      const next = backend.fromValues(2, 2, [5, 6, 7, 8]);
      const other = backend.fromValues(2, 2, [1, 1, 1, 1]);
      misuse(() => m.data, /matrix has been freed \(backend\.free\)/);
      misuse(() => row.data, /matrix has been freed/);
      misuse(() => m.get(0, 0), /has been freed/);
      misuse(() => backend.dot(m, next), /^dot: x \(2 × 2\) has been freed/);
      misuse(() => backend.gemm(false, false, 1, next, other, 0, m), /^gemm: C \(2 × 2\) has been freed/);
      misuse(() => backend.axpy(1, next, row), /^axpy: y \(1 × 2\) has been freed/);
      misuse(() => backend.free(m), /^free: m \(2 × 2\) has already been freed/);
      assert.deepEqual(Array.from(next.data), [5, 6, 7, 8], "the matrix now in m's place is untouched");
      backend.free(next);
      backend.free(other);
    });

    it("matrices survive the memory growing under them, and freed memory is reused", () => {
      const small = backend.fromValues(1, 4, [1, 2, 3, 4]);
      const big = backend.zeros(2000, 2000); // 16 MB: grows the WebAssembly memory
      assert.deepEqual(Array.from(small.data), [1, 2, 3, 4]);
      backend.free(big);
      const again = backend.zeros(2000, 2000);
      assert.ok(
        again.data.every((v) => v === 0),
        "zeros() after free() is zero-filled",
      );
      backend.free(again);
    });
  });
}
