import assert from "node:assert/strict";
import { test } from "node:test";
import { checkStreamShuffle, shuffleStream } from "../../src/data/stream-order.ts";
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

test("chunks of unequal sizes (a CSV's): the same order as equal ones where the starts are c × chunkRows; checked", () => {
  const m = 1000;
  const starts = Array.from({ length: 11 }, (_, c) => Math.min(m, c * 100));
  const given = new Int32Array(m);
  shuffleStream(
    given,
    { examples: m, chunkRows: 100, chunkStarts: starts, bufferRows: 50, sequential: false },
    new Rng(3),
  );
  assert.deepEqual(given, orderOf(m, 100, 50, false, 3));
  // Unequal chunks in file order, a buffer of one: each chunk's rows come before the next chunk's last.
  const uneven = [0, 3, 40, 41, 300, 1000];
  const order = new Int32Array(m);
  shuffleStream(
    order,
    { examples: m, chunkRows: 700, chunkStarts: uneven, bufferRows: 1, sequential: true },
    new Rng(4),
  );
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: m }, (_, i) => i),
  );
  for (let c = 1; c < uneven.length - 1; c++) {
    const end = uneven[c] as number;
    assert.ok(
      order.subarray(0, end - 1).every((r) => r < end),
      `chunk ${c}`,
    );
  }
  for (const bad of [
    [0, 500],
    [1, 1000],
    [0, 800, 1000],
    [0, 500, 500, 1000],
  ]) {
    assert.throws(
      () => checkStreamShuffle({ examples: m, chunkRows: 700, chunkStarts: bad, bufferRows: 1, sequential: false }),
      /chunkStarts must rise from 0 to 1000 in steps of 1 to 700/,
    );
  }
});
