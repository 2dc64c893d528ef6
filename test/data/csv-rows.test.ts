import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CsvRows } from "../../src/data/csv-rows.ts";
import { DataError } from "../../src/errors.ts";

const enc = new TextEncoder();

/** Stores `values`, whole rows of `rows.features`, each through put, labels 0, 1, …, as a parser would. */
function fill(rows: CsvRows, values: number[]): void {
  for (let i = 0; i < values.length; i++) {
    const o = rows.m * rows.features + (i % rows.features);
    if (rows.out.length <= o) rows.grow(undefined);
    rows.put(o, values[i] as number);
    if (i % rows.features === rows.features - 1) rows.ids[rows.m] = rows.m++;
  }
}

describe("CsvRows", () => {
  it("grows to 64 rows, then twice as many, or to the expected rows when given, keeping what it holds", () => {
    const rows = new CsvRows("f.csv", 3, false);
    rows.grow(undefined);
    assert.equal(rows.out.length, 64 * 3);
    assert.equal(rows.ids.length, 64);
    fill(rows, [1, 2, 3, 4, 5, 6]);
    rows.grow(undefined);
    assert.equal(rows.out.length, 128 * 3);
    rows.grow(1000);
    assert.equal(rows.out.length, 1000 * 3);
    rows.grow(10); // an estimate below what it holds still leaves room for 64 more rows
    assert.equal(rows.ids.length, 1064);
    assert.deepEqual(Array.from(rows.out.subarray(0, 6)), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(rows.ids.subarray(0, 2)), [0, 1]);
  });

  it("keeps bytes while every value is an integer 0–255, and widens once at the first other value", () => {
    for (const other of [256, -1, 0.5, -0]) {
      const rows = new CsvRows("f.csv", 3, false);
      fill(rows, [0, 255, 7]);
      assert.ok(rows.out instanceof Uint8Array, `${other}`);
      assert.equal(rows.top, 255);
      fill(rows, [other, 9, 10]);
      assert.ok(rows.out instanceof Float32Array, `${other}`);
      assert.equal(rows.top, 999);
      assert.deepEqual(Array.from(rows.values()), [0, 255, 7, other, 9, 10]);
      assert.ok(Object.is(rows.values()[3], other), `${other} kept as it is`);
    }
  });

  it("stores in float32 from the start when asked", () => {
    const rows = new CsvRows("f.csv", 2, true);
    fill(rows, [1, 2]);
    assert.ok(rows.out instanceof Float32Array);
    assert.equal(rows.top, 999);
  });

  it("storeOne reads a decimal cell into bytes through put, widening when it is not a byte", () => {
    const rows = new CsvRows("f.csv", 2, false);
    rows.grow(undefined);
    const text = enc.encode("12,3.25\n");
    assert.equal(rows.storeOne(text, 0, 44, false, 0), 3);
    assert.equal(rows.out.constructor, Uint8Array);
    assert.equal(rows.storeOne(text, 3, 44, true, 1), 8); // past the newline
    assert.equal(rows.out.constructor, Float32Array);
    assert.deepEqual(Array.from(rows.out.subarray(0, 2)), [12, 3.25]);
    assert.equal(rows.storeOne(enc.encode("x,1"), 0, 44, false, 0), -1);
  });

  it("take hands over the rows since the last take and forgets them", () => {
    const rows = new CsvRows("f.csv", 2, false);
    fill(rows, [1, 2, 3, 4]);
    const a = rows.take();
    assert.equal(a.count, 2);
    assert.deepEqual(Array.from(a.values), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(a.ids), [0, 1]);
    assert.equal(rows.m, 0);
    fill(rows, [5, 6]);
    const b = rows.take();
    assert.deepEqual([Array.from(b.values), b.count], [[5, 6], 1]);
  });

  it("gives its values as a view when little room is spare, else as a copy", () => {
    const rows = new CsvRows("f.csv", 1, false);
    rows.grow(68);
    fill(
      rows,
      Array.from({ length: 64 }, (_, i) => i),
    ); // 4 spare of 68: ≤ 1/16 of 64
    assert.equal(rows.values().buffer, rows.out.buffer);
    rows.grow(undefined);
    assert.notEqual(rows.values().buffer, rows.out.buffer);
    assert.deepEqual(
      Array.from(rows.values()),
      Array.from({ length: 64 }, (_, i) => i),
    );
  });

  it("names the file and the size when the rows do not fit in memory", () => {
    const rows = new CsvRows("big.csv", 2 ** 20, false);
    assert.throws(
      () => rows.grow(2 ** 30),
      (e: Error) =>
        e instanceof DataError &&
        e.file === "big.csv" &&
        /^big\.csv: 1073741824 rows × 1048576 values do not fit in memory/.test(e.message),
    );
  });
});
