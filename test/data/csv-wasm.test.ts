import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type CsvExamples, type CsvOptions, parseCsvSync } from "../../src/data/csv.ts";
import { readCsv } from "../../src/data/csv-file.ts";
import { CSV_PARSE_WASM } from "../../src/data/csv-parse-wasm.ts";
import { csvWasmAvailable, csvWasmTaken, useCsvWasm } from "../../src/data/csv-wasm.ts";
import { Rng } from "../../src/linalg/rng.ts";

const enc = new TextEncoder();

/** `text` in chunks of `size` bytes, read by the fast path (`wasm`) or the JS parser alone: the result, or the error's message. */
function read(text: string | Uint8Array, options: Partial<CsvOptions>, size: number, wasm: boolean) {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  useCsvWasm(wasm);
  try {
    return parseCsvSync(chunks, { file: "t.csv", ...options });
  } catch (e) {
    return (e as Error).message;
  } finally {
    useCsvWasm(true);
  }
}

/** Cells as the fast path's SIMD steps meet them: runs of one-digit cells, one to three digits, and others. */
const TEXTS = ["0", "7", "12", "255", "256", "999", "007", "1000", "65535", "-3", "+4", "0.5", "-0", "2.25", "1e3"];
const ODD = [" 9", '"3"', "", "x", "1e400", "0x1", "1.5.5"];

function randomCsv(rng: Rng, n: number, rows: number, odd: number, eol: string, d: string, label: number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rng.uniform() * xs.length)] as T;
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const zeros = rng.uniform() < 0.5;
    const row = Array.from({ length: n }, () =>
      rng.uniform() < odd ? pick(ODD) : zeros && rng.uniform() < 0.8 ? "0" : pick(TEXTS.slice(0, 4 + (i % 12))),
    );
    row[label] = rng.uniform() < 0.02 ? `"${i % 3}"` : String(i % 3);
    lines.push(row.join(d));
  }
  return lines.join(eol) + (rng.uniform() < 0.5 ? eol : "");
}

describe("CSV fast path (WebAssembly)", () => {
  it("compiles in Node, from bytes that match a fresh build of assembly/csv-parse.ts", () => {
    assert.equal(csvWasmAvailable(), true);
    const built = new URL("../../wasm/csv-parse.wasm", import.meta.url);
    if (existsSync(built)) assert.equal(CSV_PARSE_WASM, readFileSync(built).toString("base64"));
  });

  it("gives Math.fround(Number(text)) for every cell of long rows, and the JS parser's result or error", () => {
    const rng = new Rng(2027);
    for (let trial = 0; trial < 120; trial++) {
      const n = 2 + Math.floor(rng.uniform() * 120);
      const label = rng.uniform() < 0.5 ? 0 : rng.uniform() < 0.5 ? n - 1 : Math.floor(rng.uniform() * n);
      const d = rng.uniform() < 0.8 ? "," : rng.uniform() < 0.5 ? ";" : "\t";
      const eol = rng.uniform() < 0.3 ? "\r\n" : "\n";
      const odd = trial % 3 === 0 ? 0.002 : 0;
      const text = randomCsv(rng, n, 1 + Math.floor(rng.uniform() * 60), odd, eol, d, label);
      const options = { delimiter: d, labelColumn: label, header: false, classNames: ["0", "1", "2"] };
      const js = read(text, options, text.length + 1, false);
      for (const size of [
        1 + Math.floor(rng.uniform() * 40),
        100 + Math.floor(rng.uniform() * 3000),
        text.length + 1,
      ]) {
        const fast = read(text, options, size, true);
        assert.deepEqual(fast, js, `trial ${trial}, chunks of ${size}`);
      }
      if (typeof js === "string") continue;
      // Independently of either parser: split, trim, unquote, Number(), fround.
      const want: number[] = [];
      for (const line of text.split(eol).filter((l) => l !== ""))
        for (const [j, cell] of line.split(d).entries())
          if (j !== label) want.push(Math.fround(Number(cell.trim().replace(/^"(.*)"$/, "$1"))));
      assert.equal(js.inputs.length, want.length);
      for (const [i, v] of want.entries()) assert.ok(Object.is(js.inputs[i], v), `trial ${trial}: [${i}]`);
    }
  });

  it("gives the JS parser's errors, with line and column, for bad cells among plain rows", () => {
    const rows = Array.from(
      { length: 300 },
      (_, i) => `${i % 2},${Array.from({ length: 40 }, (_, j) => (i * j) % 300).join(",")}`,
    );
    const set = (i: number, j: number, cell: string) => {
      const r = (rows[i] as string).split(",");
      r[j] = cell;
      return r.join(",");
    };
    const cases: [number, string][] = [
      [150, "1,2,3"],
      [150, `${rows[150]},7`],
      [200, set(200, 17, "")],
      [250, set(250, 1, "abc")],
      [299, set(299, 40, "1e39")],
      [100, set(100, 3, '"7')],
      [120, set(120, 0, "")],
    ];
    for (const [at, bad] of cases) {
      const text = [`y,${Array.from({ length: 40 }, (_, j) => `p${j}`).join(",")}`, ...rows];
      text[at + 1] = bad;
      const js = read(text.join("\n"), {}, 1e9, false);
      assert.equal(typeof js, "string", bad);
      assert.match(js as string, new RegExp(`^t\\.csv: line ${at + 2}, column \\d+`));
      for (const size of [7, 4096, 1e9])
        assert.equal(read(text.join("\n"), {}, size, true), js, `${bad}, chunks of ${size}`);
    }
  });

  it("reads a text of several windows in one chunk, and a file, widening in the last, as the JS parser does", async () => {
    const rng = new Rng(5);
    const lines = ["label,a,b,c,d,e,f,g,h"];
    for (let i = 0; i < 150_000; i++)
      lines.push(
        `${i % 10},${Array.from({ length: 8 }, () => (rng.uniform() < 0.6 ? 0 : Math.floor(rng.uniform() * 256))).join(",")}`,
      );
    const text = `${lines.join("\n")}\n`;
    assert.ok(text.length > 3 * 2 ** 20);
    const taken = csvWasmTaken.rows;
    const bytes = read(text, {}, text.length, true) as CsvExamples;
    assert.ok(csvWasmTaken.rows - taken > 149_000, `${csvWasmTaken.rows - taken} rows by the fast path`);
    assert.ok(bytes.inputs instanceof Uint8Array);
    assert.deepEqual(bytes, read(text, {}, text.length, false));
    // A file read into the fast path's own buffers, parsed where it lies.
    const path = join(mkdtempSync(join(tmpdir(), "stackae-csv-wasm-")), "t.csv");
    writeFileSync(path, text);
    const before = csvWasmTaken.rows;
    assert.deepEqual(await readCsv(path, { file: "t.csv" }), bytes);
    assert.ok(csvWasmTaken.rows - before > 149_000);
    const wide = `${text}3,1,2,3,4,5,6,7,0.25\n`;
    const fast = read(wide, {}, wide.length, true) as CsvExamples;
    assert.ok(fast.inputs instanceof Float32Array);
    assert.deepEqual(fast, read(wide, {}, wide.length, false));
  });
});
