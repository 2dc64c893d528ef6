import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { decodeNpy, encodeNpy, type NpyArray } from "../../src/io/npy.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-npy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const hasNumpy = spawnSync("python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0;

/** The arrays tried: edge values of each type, and shapes with 0, 1 and 2 axes and an empty axis. */
const cases: { name: string; data: NpyArray; shape: number[]; dtype: string }[] = [
  {
    name: "float32 2 × 3 with NaN, ±∞, −0, the smallest subnormal and the largest float32",
    data: new Float32Array([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      1e-45,
      3.4028234663852886e38,
    ]),
    shape: [2, 3],
    dtype: "float32",
  },
  {
    name: "float32 7 × 5 of values with all 24 bits used",
    data: Float32Array.from({ length: 35 }, (_, i) => Math.fround(Math.sin(i + 1) / 3)),
    shape: [7, 5],
    dtype: "float32",
  },
  {
    name: "int32 labels, one axis, with −2³¹ and 2³¹ − 1",
    data: new Int32Array([0, 9, -1, -(2 ** 31), 2 ** 31 - 1]),
    shape: [5],
    dtype: "int32",
  },
  {
    name: "uint8 3 × 2 × 2",
    data: Uint8Array.from({ length: 12 }, (_, i) => i * 23),
    shape: [3, 2, 2],
    dtype: "uint8",
  },
  { name: "float32 0 × 4 (no examples)", data: new Float32Array(0), shape: [0, 4], dtype: "float32" },
  { name: "int32 scalar (no axes)", data: new Int32Array([42]), shape: [], dtype: "int32" },
];

const hex = (a: NpyArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

describe("encodeNpy writes NumPy's format 1.0", () => {
  it("a magic, version 1.0, a header dict padded to 64 bytes with a newline, then the data", () => {
    const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = (bytes[8] as number) + 256 * (bytes[9] as number);
    assert.equal((10 + headerLength) % 64, 0);
    const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString("latin1");
    assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    assert.equal(bytes.length, 10 + headerLength + 24);
    assert.deepEqual(Array.from(new Float32Array(bytes.slice(10 + headerLength).buffer)), [1, 2, 3, 4, 5, 6]);
  });

  it("a one-axis shape as a Python 1-tuple, and one-byte data without a byte order", () => {
    const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");
    assert.match(
      text(encodeNpy(new Int32Array(3), [3])),
      /'descr': '<i4', 'fortran_order': False, 'shape': \(3,\), \}/,
    );
    assert.match(text(encodeNpy(new Uint8Array(1), [])), /'descr': '\|u1', 'fortran_order': False, 'shape': \(\), \}/);
  });

  for (const c of cases) {
    it(`numpy.load reads ${c.name} bit for bit`, (t) => {
      const bytes = encodeNpy(c.data, c.shape);
      const back = decodeNpy(bytes);
      assert.deepEqual(back.shape, c.shape);
      assert.equal(hex(back.data), hex(c.data));
      if (!hasNumpy) {
        t.skip("python3 with numpy is not installed");
        return;
      }
      const path = join(dir, `${c.dtype}-${c.shape.join("x")}.npy`);
      writeFileSync(path, bytes);
      const script =
        "import json, sys, numpy as np\n" +
        "a = np.load(sys.argv[1])\n" +
        "print(json.dumps({'dtype': str(a.dtype), 'shape': list(a.shape), 'hex': a.astype(a.dtype.newbyteorder('<')).tobytes().hex(), 'c': bool(a.flags.c_contiguous)}))";
      const got = JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" }));
      assert.deepEqual(got, { dtype: c.dtype, shape: c.shape, hex: hex(c.data), c: true });
    });
  }

  it("decodeNpy reads what numpy.save writes", (t) => {
    if (!hasNumpy) {
      t.skip("python3 with numpy is not installed");
      return;
    }
    const path = join(dir, "from-numpy.npy");
    const script = "import sys, numpy as np\nnp.save(sys.argv[1], (np.arange(12, dtype=np.float32) / 7).reshape(3, 4))";
    execFileSync("python3", ["-c", script, path]);
    const { data, shape } = decodeNpy(readFileSync(path), path);
    assert.deepEqual(shape, [3, 4]);
    assert.deepEqual(
      Array.from(data),
      Array.from({ length: 12 }, (_, i) => Math.fround(Math.fround(i) / 7)),
    );
  });

  it("refuses a shape that does not hold the data, or is not whole numbers ≥ 0", () => {
    assert.throws(() => encodeNpy(new Float32Array(6), [2, 2]), {
      name: "ArgumentError",
      message: "encodeNpy: shape (2, 2) holds 4 values, data has 6",
    });
    assert.throws(() => encodeNpy(new Float32Array(6), [-2, -3]), ArgumentError);
    assert.throws(() => encodeNpy(new Float32Array(6), [2, 3.5 as number]), /whole numbers/);
    assert.throws(() => encodeNpy(new Float64Array(2) as never, [2]), /Float32Array, Int32Array or Uint8Array/);
  });

  it("decodeNpy names the file and the problem", () => {
    assert.throws(() => decodeNpy(new Uint8Array(20), "x.npy"), /x\.npy: not a \.npy file/);
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    assert.throws(
      () => decodeNpy(bytes.subarray(0, bytes.length - 1), "x.npy"),
      /x\.npy: shape \(2, 3\) of <f4 needs 24 bytes, found 23/,
    );
  });
});
