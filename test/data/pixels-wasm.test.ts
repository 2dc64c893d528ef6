// The reading thread's row store: WebAssembly SIMD and its JS fallback against scalePixels
// (inputsToMatrix's), every byte and every tail length, rows kept through the slab's growth, and
// the embedded module against a build.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { RowStore, usePixelsWasm } from "../../src/data/pixels-wasm.ts";
import { PIXELS_WASM } from "../../src/data/pixels-wasm-bytes.ts";
import { ArgumentError } from "../../src/errors.ts";
import { scalePixels } from "../../src/linalg/inputs.ts";
import { Rng } from "../../src/linalg/rng.ts";

after(() => usePixelsWasm(true));

for (const wasm of [true, false]) {
  describe(`RowStore, ${wasm ? "WebAssembly SIMD" : "JS"}`, () => {
    const make = (n: number, chunkRows: number, slabRows: number) => {
      usePixelsWasm(wasm);
      try {
        const s = new RowStore(n, chunkRows, slabRows);
        assert.equal(s.wasm, wasm);
        return s;
      } finally {
        usePixelsWasm(true);
      }
    };
    /** Fills the chunk with random bytes; returns a copy of them. */
    const readChunk = (s: RowStore, rows: number, rng: Rng) => {
      const bytes = Uint8Array.from({ length: rows * s.n }, () => rng.int(256));
      s.memory.set(bytes, s.chunkAt);
      return bytes;
    };

    it("gives every byte the float32 scalePixels gives it: Math.fround(b / 255)", () => {
      const s = make(256, 1, 1);
      s.memory.set(
        Uint8Array.from({ length: 256 }, (_, b) => b),
        s.chunkAt,
      );
      s.keep(0, 0);
      const floats = s.gather(Int32Array.of(0), 1);
      for (let b = 0; b < 256; b++) assert.equal(floats[b], Math.fround(b / 255), `byte ${b}`);
    });

    it("keeps and gathers float32 rows as they are (a CSV's values), the slab grown under them", () => {
      const s = new RowStore(5, 3, 2, "f32");
      assert.equal(s.rowBytes, 20);
      const values = Float32Array.of(0.5, -1, 3e30, Number.MIN_VALUE, 7, 1, 2, 3, 4, 5, -0, 9, 8, 7, 6);
      new Float32Array(s.memory.buffer, s.chunkAt, 15).set(values);
      s.keep(2, 1);
      s.keep(0, 0);
      s.growSlab();
      s.keep(1, 3);
      assert.deepEqual(
        s.gather(Int32Array.of(1, 3, 0), 3),
        Float32Array.of(...values.subarray(10), ...values.subarray(5, 10), ...values.subarray(0, 5)),
      );
    });

    it("gathers the listed slots' rows in the list's order, for row sizes of every remainder by 16", () => {
      const rng = new Rng(7);
      for (const n of [1, 15, 16, 17, 784, 785]) {
        const s = make(n, 5, 8);
        const bytes = readChunk(s, 5, rng);
        for (let i = 0; i < 5; i++) s.keep(i, 7 - i); // chunk row i in slot 7 − i
        const list = Int32Array.of(3, 7, 5, 3, 0);
        const floats = s.gather(list, 4);
        assert.equal(floats.length, 4 * n);
        const want = new Float32Array(4 * n);
        [4, 0, 2, 4].forEach((i, k) => {
          scalePixels(bytes.subarray(i * n, (i + 1) * n), want.subarray(k * n, (k + 1) * n));
        });
        assert.deepEqual(floats, want, `n = ${n}`);
      }
    });

    it("keeps the slab's rows when it grows, and the chunk's", () => {
      const rng = new Rng(8);
      const n = 784;
      const s = make(n, 4, 2);
      const bytes = readChunk(s, 4, rng);
      s.keep(0, 0);
      s.keep(1, 1);
      for (let g = 0; g < 6; g++) s.growSlab(); // 128 slots: the memory grows past its first pages
      assert.equal(s.slabRows, 128);
      s.keep(2, 127);
      s.keep(3, 64);
      const want = new Float32Array(4 * n);
      scalePixels(bytes, want);
      assert.deepEqual(s.gather(Int32Array.of(0, 1, 127, 64), 4), want);
    });

    it("refuses slots outside the slab and counts beyond the list", () => {
      const s = make(4, 2, 3);
      assert.throws(() => s.keep(0, 3), ArgumentError);
      assert.throws(() => s.gather(Int32Array.of(0, 3), 2), ArgumentError);
      assert.throws(() => s.gather(Int32Array.of(0), 2), ArgumentError);
      assert.throws(() => s.gather(Int32Array.of(0), 0.5), ArgumentError);
      assert.throws(() => make(0, 1, 1), ArgumentError);
    });
  });
}

describe("the embedded pixel module", () => {
  it("compiles in Node, from bytes that match a fresh build of assembly/pixels.ts", () => {
    assert.equal(new RowStore(1, 1, 1).wasm, true);
    const built = new URL("../../wasm/pixels.wasm", import.meta.url);
    if (existsSync(built)) assert.equal(PIXELS_WASM, readFileSync(built).toString("base64"));
  });
});
