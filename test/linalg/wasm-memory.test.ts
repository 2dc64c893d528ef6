// The wasm backend's memory (src/linalg/wasm/memory.ts): matrices live in its one WebAssembly
// memory, which grows on demand up to maxMemory and no further.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { Matrix } from "../../src/linalg/matrix.ts";
import { createWasmBackend, OutOfMemoryError } from "../../src/linalg/wasm/index.ts";

const MiB = 2 ** 20;

describe("a wasm backend's memory", () => {
  it("refuses a matrix that is not in it", async () => {
    const wasm = await createWasmBackend({ threads: 1 });
    const outside = () => Matrix.of(2, 2, new Float32Array(4));
    assert.throws(
      () => wasm.gemm(false, false, 1, outside(), outside(), 0, outside()),
      (e: Error) => {
        assert.ok(e instanceof ArgumentError);
        assert.match(e.message, /not in the WebAssembly memory/);
        return true;
      },
    );
  });

  it("refuses to free the same matrix twice, and gives back what it frees", async () => {
    const wasm = await createWasmBackend({ threads: 1 });
    const before = wasm.bytesInUse;
    const m = wasm.zeros(3, 3);
    assert.ok(wasm.bytesInUse > before);
    wasm.free(m);
    assert.equal(wasm.bytesInUse, before);
    assert.throws(() => wasm.free(m), /freed twice/);
  });
});

describe("a wasm backend's memory limit (maxMemory)", () => {
  it("raises OutOfMemoryError past it, naming the limit and what to do, and keeps what it holds", async () => {
    const small = await createWasmBackend({ threads: 1, maxMemory: 32 * MiB });
    try {
      const kept = small.fromValues(2, 2, [1, 2, 3, 4]);
      assert.throws(
        () => small.zeros(4096, 4096), // 64 MiB
        (e: unknown) =>
          e instanceof OutOfMemoryError && /its limit is 32 MiB/.test(e.message) && /--backend native/.test(e.message),
      );
      assert.deepEqual(Array.from(kept.data), [1, 2, 3, 4]);
      const fits = small.zeros(1024, 4096); // 16 MiB still fits
      small.free(fits);
    } finally {
      await small.dispose();
    }
  });

  it("is checked: at least 16 MiB and the kernels' buffers, at most 4 GiB", async () => {
    await assert.rejects(createWasmBackend({ threads: 1, maxMemory: 8 * MiB }), ArgumentError);
    await assert.rejects(createWasmBackend({ threads: 1, maxMemory: 2 ** 33 }), ArgumentError);
    await assert.rejects(createWasmBackend({ threads: 1, maxMemory: Number.NaN }), ArgumentError);
    // Each thread packs into 4.2 MiB of its own: 8 threads' buffers do not fit 16 MiB.
    await assert.rejects(
      createWasmBackend({ threads: 8, maxMemory: 16 * MiB }),
      (e: unknown) => e instanceof ArgumentError && /maxMemory: 16 MiB .* 8 threads/.test(e.message),
    );
  });
});
