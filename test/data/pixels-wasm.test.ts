// The reading thread's pixel scaling: WebAssembly SIMD and its JS fallback against scalePixels
// (inputsToMatrix's), every byte and every tail length, and the embedded module against a build.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { PixelScaler, usePixelsWasm } from "../../src/data/pixels-wasm.ts";
import { PIXELS_WASM } from "../../src/data/pixels-wasm-bytes.ts";
import { ArgumentError } from "../../src/errors.ts";
import { scalePixels } from "../../src/linalg/inputs.ts";
import { Rng } from "../../src/linalg/rng.ts";

after(() => usePixelsWasm(true));

for (const wasm of [true, false]) {
  describe(`PixelScaler, ${wasm ? "WebAssembly SIMD" : "JS"}`, () => {
    const make = (capacity: number) => {
      usePixelsWasm(wasm);
      const s = new PixelScaler(capacity);
      usePixelsWasm(true);
      assert.equal(s.wasm, wasm);
      return s;
    };

    it("gives every byte the float32 scalePixels gives it: Math.fround(b / 255)", () => {
      const s = make(256);
      for (let b = 0; b < 256; b++) s.bytes[b] = b;
      s.scale(256);
      const want = new Float32Array(256);
      scalePixels(s.bytes.slice(), want);
      for (let b = 0; b < 256; b++) {
        assert.equal(s.floats[b], want[b], `byte ${b}`);
        assert.equal(s.floats[b], Math.fround(b / 255), `byte ${b}`);
      }
    });

    it("scales exactly `count` values, whatever the count's remainder by 16, and leaves the rest", () => {
      const rng = new Rng(7);
      const s = make(784 * 3);
      for (const count of [0, 1, 15, 16, 17, 783, 784, 785, 784 * 3]) {
        s.floats.fill(-1);
        for (let i = 0; i < s.bytes.length; i++) s.bytes[i] = rng.int(256);
        s.scale(count);
        const want = new Float32Array(count);
        scalePixels(s.bytes.subarray(0, count), want);
        assert.deepEqual(s.floats.subarray(0, count), want, `count ${count}`);
        assert.ok(
          s.floats.subarray(count).every((x) => x === -1),
          `count ${count}: wrote past it`,
        );
      }
    });

    it("refuses a count beyond its room or not a whole number", () => {
      const s = make(100);
      assert.throws(() => s.scale(101), ArgumentError);
      assert.throws(() => s.scale(2.5), ArgumentError);
      assert.throws(() => s.scale(-1), ArgumentError);
    });
  });
}

describe("the embedded pixel module", () => {
  it("compiles in Node, from bytes that match a fresh build of assembly/pixels.ts", () => {
    assert.equal(new PixelScaler(16).wasm, true);
    const built = new URL("../../wasm/pixels.wasm", import.meta.url);
    if (existsSync(built)) assert.equal(PIXELS_WASM, readFileSync(built).toString("base64"));
  });
});
