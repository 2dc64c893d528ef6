import assert from "node:assert/strict";
import { test } from "node:test";
import { shuffleStream } from "../../src/data/stream-order.ts";
import { Rng } from "../../src/linalg/rng.ts";

const orderOf = (examples: number, chunkRows: number, bufferRows: number, sequential: boolean, seed: number) => {
  const order = new Int32Array(examples);
  shuffleStream(order, { examples, chunkRows, bufferRows, sequential }, new Rng(seed));
  return order;
};

test("an epoch's order is a permutation of the examples, and the same for the same seed", () => {
  for (const [m, c, b, seq] of [
    [1000, 64, 100, false],
    [1000, 64, 100, true],
    [999, 1000, 1, false],
    [5, 2, 50, false],
  ] as const) {
    const a = orderOf(m, c, b, seq, 7);
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: m }, (_, i) => i),
    );
    assert.deepEqual(a, orderOf(m, c, b, seq, 7));
    if (m > 10) assert.notDeepEqual(a, orderOf(m, c, b, seq, 8));
  }
});

test("a row is never drawn before its chunk could have been read: the buffer bounds what is pending", () => {
  const m = 5000;
  const c = 100;
  const b = 300;
  for (const sequential of [false, true]) {
    const order = orderOf(m, c, b, sequential, 3);
    // Reading chunks when their first row is wanted, the rows read but not yet drawn stay under
    // the buffer and a chunk, as the reader (idx-stream-file.ts) relies on.
    const read = new Set<number>();
    const drawn = new Uint8Array(m);
    let pending = 0;
    let most = 0;
    let lastChunk = -1;
    for (const r of order) {
      const chunk = Math.floor(r / c);
      const upTo = sequential ? chunk : -1;
      for (let k = lastChunk + 1; k <= upTo; k++) if (!read.has(k)) [read.add(k), (pending += c)];
      if (sequential) lastChunk = Math.max(lastChunk, chunk);
      if (!read.has(chunk)) [read.add(chunk), (pending += c)];
      drawn[r] = 1;
      pending--;
      most = Math.max(most, pending);
    }
    assert.ok(most <= b + c, `${sequential ? "sequential" : "shuffled"}: ${most} rows pending`);
    if (sequential) {
      // Gzip: the chunks come in file order, so the first rows drawn are from the first chunks.
      assert.ok(Math.max(...order.subarray(0, 100)) < b + c);
    }
  }
});

test("a buffer of the whole set makes the chunk order irrelevant: a uniform shuffle", () => {
  // The mean position of row 0 over seeds is near the middle, as for any uniform shuffle.
  let sum = 0;
  for (let seed = 0; seed < 400; seed++) sum += orderOf(100, 10, 100, true, seed).indexOf(0);
  assert.ok(Math.abs(sum / 400 - 49.5) < 6, `mean position ${sum / 400}`);
});
