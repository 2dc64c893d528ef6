import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCsvSync } from "../../src/data/csv.ts";
import { plainCells, plainEnd } from "../../src/data/csv-number.ts";
import { DataError } from "../../src/errors.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { describeBothParsers } from "./csv-parsers.ts";

const enc = new TextEncoder();

/** plainCells over `text`: the values it stored and where it stopped. */
function cells(text: string, count: number, delimiter = ",", bytes = false) {
  const text8 = enc.encode(text);
  const out = bytes ? new Uint8Array(count) : new Float32Array(count); // zeros, as plainCells needs
  const view = new DataView(text8.buffer, text8.byteOffset, text8.byteLength);
  const o = plainCells(view, 0, count, out, 0, delimiter.charCodeAt(0), text8.length - 4, bytes ? 255 : 999);
  return { values: Array.from(out.subarray(0, o)), stop: plainEnd.p };
}

describe("plainCells", () => {
  it("stores cells of one to three digits and stops at anything else", () => {
    assert.deepEqual(cells("7,12,255,007,1234,9\n", 9), { values: [7, 12, 255, 7], stop: 13 });
    for (const other of ["-1", "+1", "1.5", ".5", "1e3", " 1", '"1"', "", "x"])
      assert.deepEqual(cells(`3,${other},4,5,6\n`, 4), { values: [3], stop: 2 }, other);
  });

  it("into bytes, stops at a three-digit cell above 255", () => {
    assert.deepEqual(cells("7,12,255,007,9\n", 5, ",", true), { values: [7, 12, 255, 7], stop: 13 });
    assert.deepEqual(cells("0,0,99,256,1,2,3,4\n", 5, ",", true), { values: [0, 0, 99], stop: 7 });
    assert.deepEqual(cells("0,0,99,256,1,2,3,4\n", 5), { values: [0, 0, 99, 256, 1], stop: 13 });
  });

  it("takes zeros two and four at a time, but never more cells than asked", () => {
    const zeros = "0,".repeat(20);
    for (let count = 1; count <= 20; count++) {
      const { values, stop } = cells(`${zeros}5\n`, count);
      assert.deepEqual(values, new Array(count).fill(0), `count ${count}`);
      assert.equal(stop, 2 * count);
    }
  });

  it("reads no byte past lim + 3, and uses the delimiter it is given", () => {
    assert.deepEqual(cells("1;0;0;22;", 5, ";"), { values: [1, 0, 0], stop: 6 });
    assert.deepEqual(cells("1\t0\t0\t0\t0\t0\t22\t9\n", 7, "\t"), { values: [1, 0, 0, 0, 0, 0, 22], stop: 15 });
    assert.deepEqual(cells("1,0,0,0,0,0,22,9\n", 7, ";"), { values: [], stop: 0 });
  });
});

/** The CSV as a naive reader sees it: lines, split at the delimiter, a cell's quotes dropped, Number(). */
function reference(text: string, d: string, label: number) {
  const rows = text.split("\n").filter((line) => line.replace(/\r$/, "") !== "");
  const values: number[] = [];
  const labels: string[] = [];
  for (const row of rows) {
    const fields = row.replace(/\r$/, "").split(d);
    for (const [j, f] of fields.entries()) {
      const cell = f.trim().replace(/^"(.*)"$/, "$1");
      if (j === label) labels.push(cell);
      else values.push(Math.fround(Number(cell)));
    }
  }
  return { values, labels };
}

describeBothParsers("CSV cells on every path", () => {
  const texts = ["0", "0", "0", "0", "00", "000", "0000", "7", "12", "255", "007", "1234", "65535", "123456789012"];
  texts.push(
    "-0",
    "-3",
    "+4",
    "0.5",
    "2.25",
    "1e3",
    "-1.5e-7",
    " 9",
    "8 ",
    '"3"',
    '"0"',
    "16777217",
    "9007199254740993",
  );

  it("gives Math.fround(Number(text)) for every cell, bit for bit, whatever the chunks and the label's column", () => {
    const rng = new Rng(27);
    const pick = <T>(xs: T[]) => xs[Math.floor(rng.uniform() * xs.length)] as T;
    for (let trial = 0; trial < 300; trial++) {
      const d = pick([",", ";", "\t", "|"]);
      const n = 2 + Math.floor(rng.uniform() * 12);
      const label = Math.floor(rng.uniform() * n);
      const eol = rng.uniform() < 0.3 ? "\r\n" : "\n";
      const lines: string[] = [];
      const rows = 1 + Math.floor(rng.uniform() * 8);
      for (let i = 0; i < rows; i++) {
        const row = Array.from({ length: n }, () => (rng.uniform() < 0.6 ? "0" : pick(texts)));
        row[label] = String(i % 2);
        lines.push(row.join(d));
      }
      const text = lines.join(eol) + (rng.uniform() < 0.5 ? eol : "");
      const bytes = enc.encode(text);
      const size = 1 + Math.floor(rng.uniform() * 40);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const e = parseCsvSync(chunks, {
        file: "t.csv",
        delimiter: d,
        labelColumn: label,
        header: false,
        classNames: ["0", "1"],
      });
      const want = reference(text, d, label);
      assert.equal(e.inputs.length, want.values.length, text);
      for (const [i, v] of want.values.entries())
        assert.ok(Object.is(e.inputs[i], v), `${JSON.stringify(text)}: [${i}]`);
      assert.deepEqual(
        Array.from(e.labels, (y) => e.classNames[y]),
        want.labels,
      );
    }
  });

  it("takes a tab delimiter right after a closing quote", () => {
    const e = parseCsvSync([enc.encode('"a"\t1\t"2"\n"b"\t3\t4\n')], { file: "t.csv", delimiter: "\t" });
    assert.deepEqual(Array.from(e.inputs), [1, 2, 3, 4]);
    assert.deepEqual(e.classNames, ["a", "b"]);
  });

  it("names the line and column of a bad cell after a run of plain ones", () => {
    const bad = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parseCsvSync([enc.encode(text)], { file: "t.csv" }),
        (e: Error) => e instanceof DataError && pattern.test(e.message),
      );
    bad("y,a,b,c,d,e\n1,0,0,0,0,0\n0,0,0,0,x,0\n", /^t\.csv: line 3, column 4 \("d"\): "x" is not a number/);
    bad("y,a,b,c,d,e\n1,0,0,0,0,0\n0,0,0,0,,0\n", /^t\.csv: line 3, column 4 \("d"\): is empty/);
    bad(
      "y,a,b,c,d,e\n1,0,0,0,0,0\n0,0,0,0\n",
      /^t\.csv: line 3, column 3 \("c"\): the row ends after 4 fields, but the header has 6/,
    );
    bad("y,a,b,c\n1,0,0,0,0,0\n", /^t\.csv: line 2, column 3 \("c"\): the row has 6 fields/);
  });
});
