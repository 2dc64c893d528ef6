import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { gzipSync } from "node:zlib";
import { type CsvOptions, csvNumber, parseCsv, parseCsvSync } from "../../src/data/csv.ts";
import { readCsv } from "../../src/data/csv-file.ts";
import { inputScaleOf, isPixels, scaleInputs } from "../../src/data/source.ts";
import { splitExamples } from "../../src/data/split.ts";
import { DataError } from "../../src/errors.ts";
import { inputsToMatrix } from "../../src/linalg/inputs.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { describeBothParsers } from "./csv-parsers.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-csv-"));
const enc = new TextEncoder();

/** Parses `text` cut into chunks of `size` bytes (all at once by default). */
function parse(text: string, options: Partial<CsvOptions> = {}, size = Number.POSITIVE_INFINITY) {
  const bytes = enc.encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(size, bytes.length)) chunks.push(bytes.subarray(i, i + size));
  return parseCsvSync(chunks, { file: "t.csv", ...options });
}

function throwsData(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describeBothParsers("CSV parsing", () => {
  it("reads a header, the label first, and the features row by row", () => {
    const e = parse("label,a,b\n1,0.5,2\n0,-3,4e2\n");
    assert.deepEqual(e.header, ["label", "a", "b"]);
    assert.equal(e.labelColumn, 0);
    assert.equal(e.inputSize, 2);
    assert.deepEqual(Array.from(e.inputs), [0.5, 2, -3, 400]);
    assert.deepEqual(Array.from(e.labels), [1, 0]);
    assert.deepEqual(e.classNames, ["0", "1"]);
  });

  it("parses every float as Number() does, rounded to float32", () => {
    const rng = new Rng(7);
    const texts: string[] = [
      ".5",
      "-.5",
      "+.5",
      "1e-3",
      "-0",
      "0",
      "1.",
      "5E+3",
      "3.4e38",
      "1e-45",
      "007",
      "123456789012345678",
    ];
    for (let i = 0; i < 3000; i++) {
      const x = (rng.uniform() - 0.5) * 10 ** Math.floor(rng.uniform() * 20 - 10);
      const form = i % 4;
      texts.push(
        form === 0
          ? String(x)
          : form === 1
            ? x.toExponential(i % 17)
            : form === 2
              ? x.toFixed(i % 12)
              : x.toPrecision(1 + (i % 21)),
      );
    }
    const rows = texts.map((t, i) => `${i % 2},${t}`).join("\n");
    const e = parse(rows, {}, 4096);
    assert.equal(e.inputs.length, texts.length);
    for (const [i, t] of texts.entries())
      assert.ok(Object.is(e.inputs[i], Math.fround(Number(t))), `${t}: ${e.inputs[i]}`);
  });

  it("gives the same result whatever the chunks' sizes", () => {
    const text = 'y,"a ""1""",b\r\n"x",1,"2\n"\r\n\r\nz,2.25,-7\r\n"x",3,4';
    const whole = parse(text, { labelColumn: "y", header: true }, Number.POSITIVE_INFINITY);
    assert.deepEqual(whole.header, ["y", 'a "1"', "b"]);
    assert.deepEqual(Array.from(whole.inputs), [1, 2, 2.25, -7, 3, 4]);
    assert.deepEqual(whole.classNames, ["x", "z"]);
    for (const size of [1, 2, 3, 7, 16]) assert.deepEqual(parse(text, { labelColumn: "y", header: true }, size), whole);
  });

  it("detects a header, and tells a string label from one", () => {
    assert.equal(parse("1,2\n0,3\n").header, null);
    assert.deepEqual(parse("a,b\n0,3\n1,4\n").header, ["a", "b"]);
    const iris = parse("setosa,5.1,3.5\nvirginica,6,3\nsetosa,4.9,3\n");
    assert.equal(iris.header, null);
    assert.deepEqual(iris.classNames, ["setosa", "virginica"]);
    assert.deepEqual(Array.from(iris.labels), [0, 1, 0]);
    const last = parse("5.1,3.5,setosa\n6,3,virginica\n", { labelColumn: "last" });
    assert.equal(last.header, null);
    assert.deepEqual(Array.from(last.inputs), [5.1, 3.5, 6, 3].map(Math.fround));
  });

  it("chooses the label column by option, by a header named label/class/target/y, else the first", () => {
    assert.equal(parse("f,Class,g\n1,0,1\n0,1,0\n").labelColumn, 1);
    assert.equal(parse("f,g,h\n1,0,1\n0,1,0\n").labelColumn, 0);
    assert.equal(parse("f,g,h\n1,0,1\n0,1,0\n", { labelColumn: "g" }).labelColumn, 1);
    assert.equal(parse("1,0,1\n0,1,0\n", { labelColumn: 2 }).labelColumn, 2);
    assert.equal(parse("1,0,1\n0,1,0\n", { labelColumn: "last" }).labelColumn, 2);
  });

  it("keeps plain integer labels as indices and sorts other labels", () => {
    const ints = parse("2,0.1\n1,0.2\n0,0.3\n2,0.4\n");
    assert.deepEqual(ints.classNames, ["0", "1", "2"]);
    assert.deepEqual(Array.from(ints.labels), [2, 1, 0, 2]);
    const signed = parse("1,0\n-1,0\n10,0\n");
    assert.deepEqual(signed.classNames, ["-1", "1", "10"]);
    assert.deepEqual(Array.from(signed.labels), [1, 0, 2]);
    const names = parse("b,0\nä,0\na,0\n");
    assert.deepEqual(names.classNames, ["a", "b", "ä"]);
    const given = parse("cat,0\n1,0\n", { classNames: ["dog", "cat"] });
    assert.deepEqual(Array.from(given.labels), [1, 1]);
    assert.deepEqual(given.classNames, ["dog", "cat"]);
  });

  it("refuses integer labels that leave a class with no example, unless the classes are named", () => {
    // Labels 1–10, as in UFLDL's MATLAB files: class 0 would be one the softmax never sees.
    const oneBased = Array.from({ length: 10 }, (_, i) => `${i + 1},0.5`).join("\n");
    throwsData(
      () => parse(`${oneBased}\n10,0.5\n`),
      /t\.csv: label 10 \(column 0, 2 of 11 rows\) makes 11 classes, but class 0 has no example: .*--class-names/,
    );
    throwsData(() => parse("2,0\n5,0\n0,0\n"), /classes 1 and 3 to 4 have no example/);
    const named = parse("2,0\n0,0\n", { classNames: ["a", "b", "c"] });
    assert.deepEqual(Array.from(named.labels), [2, 0]);
  });

  it("drops a BOM, skips blank lines and takes a last row without a newline", () => {
    const e = parse("\uFEFFlabel,x\n\n0,1\n\n1,2", {}, 3);
    assert.deepEqual(e.header, ["label", "x"]);
    assert.deepEqual(Array.from(e.inputs), [1, 2]);
  });

  it("takes chunks from an async iterable", async () => {
    async function* chunks() {
      yield enc.encode("label,x\n0,1\n1");
      yield enc.encode(",2\n");
    }
    const e = await parseCsv(chunks(), { file: "a.csv" });
    assert.deepEqual(Array.from(e.inputs), [1, 2]);
  });

  it("says which file, line and column is wrong, and what to do", () => {
    throwsData(() => parse(""), /t\.csv: is empty/);
    throwsData(() => parse("label,x\n"), /header but no rows/);
    throwsData(() => parse("label,x\n0,1\n1,abc\n"), /line 3, column 1 \("x"\): "abc" is not a number/);
    throwsData(() => parse("label,x,y\n0,1,2\n1,,3\n"), /line 3, column 1 \("x"\): is empty/);
    throwsData(
      () => parse("label,x,y\n0,1,2\n1,2\n"),
      /line 3, column 1 \("x"\): the row ends after 2 fields, but the header has 3/,
    );
    throwsData(() => parse("0,1\n1,2,3\n"), /line 2, column 1: the row has 3 fields .* the first row has 2/);
    throwsData(() => parse("label,x\n0,1\n0,2\n"), /every row has the label "0".*at least two classes/);
    throwsData(() => parse('label,x\n0,"1\n"\n1,z\n'), /line 4, column 1/);
    throwsData(() => parse('label,x\n0,"1\n'), /line 2, column 1 \("x"\): a quoted field is not closed/);
    throwsData(() => parse("label,x\n0,1e39\n1,0\n"), /outside float32's range/);
    throwsData(() => parse("label,x\n0,NaN\n1,0\n"), /"NaN" is not a number/);
    throwsData(() => parse("x\n1\n"), /one field only/);
    throwsData(() => parse("a,b\n0,1\n1,0\n", { labelColumn: "c" }), /no column named "c": its columns are "a", "b"/);
    throwsData(
      () => parse("bird,0\n", { classNames: ["dog", "cat"] }),
      /line 1, column 0: the label "bird" is none of the classes/,
    );
    throwsData(() => parseCsvSync([gzipSync("a,b\n")], { file: "g.csv" }), /gzip-compressed/);
  });

  it("checks a number's syntax as a decimal only", () => {
    for (const t of ["1", " 2 ", "-.5", "1e5", "1.", "+3"]) assert.equal(csvNumber(t), Number(t));
    for (const t of ["0x10", "NaN", "Infinity", "", "1e", ".", "1,5", "1_0"]) assert.ok(Number.isNaN(csvNumber(t)), t);
  });
});

describeBothParsers("CSV files", () => {
  const text = "label,p0,p1\n1,0,255\n0,17,0\n";
  const expected = { inputs: [0, 255, 17, 0], labels: [1, 0] };
  const check = (e: Awaited<ReturnType<typeof readCsv>>) => {
    assert.deepEqual(Array.from(e.inputs), expected.inputs);
    assert.deepEqual(Array.from(e.labels), expected.labels);
  };

  it("reads a plain, a gzipped and a gzipped-but-named-.csv file alike", async () => {
    writeFileSync(join(dir, "a.csv"), text);
    writeFileSync(join(dir, "a.csv.gz"), gzipSync(text));
    writeFileSync(join(dir, "b.csv"), gzipSync(text));
    for (const name of ["a.csv", "a.csv.gz", "b.csv"]) check(await readCsv(join(dir, name)));
  });

  it("reads a file of many chunks as one", async () => {
    const rows = ["label,x,y"];
    for (let i = 0; i < 100_000; i++) rows.push(`${i % 3},${i},"${(i / 7).toFixed(3)}"`);
    writeFileSync(join(dir, "big.csv.gz"), gzipSync(rows.join("\n")));
    const e = await readCsv(join(dir, "big.csv.gz"));
    assert.equal(e.labels.length, 100_000);
    assert.equal(e.inputs[2 * 99_999], 99_999);
    assert.equal(e.inputs[2 * 99_999 + 1], Math.fround(Number((99_999 / 7).toFixed(3))));
  });

  it("names the file when it is missing or its gzip stream is corrupt", async () => {
    await assert.rejects(readCsv(join(dir, "none.csv")), /none\.csv: cannot be read \(no such file\)/);
    const gz = gzipSync(text);
    writeFileSync(join(dir, "bad.csv.gz"), gz.subarray(0, gz.length - 9));
    await assert.rejects(
      readCsv(join(dir, "bad.csv.gz")),
      (e: Error) => e instanceof DataError && /bad\.csv\.gz/.test(e.message),
    );
  });
});

describeBothParsers("CSV inputs as bytes or float32", () => {
  /** A header (or none) and `rows` rows of `n` features of byte values (many zeros), the label first. */
  function grid(rows: number, n: number, seed: number): string[][] {
    const rng = new Rng(seed);
    return Array.from({ length: rows }, (_, i) => [
      String(i % 3),
      ...Array.from({ length: n }, () => String(rng.uniform() < 0.5 ? 0 : Math.floor(rng.uniform() * 256))),
    ]);
  }
  const csvText = (cells: string[][], header: boolean) =>
    `${header ? `label,${cells[0]?.slice(1).map((_, j) => `p${j}`)}\n` : ""}${cells.map((r) => r.join(",")).join("\n")}\n`;
  /** Every feature as Math.fround(Number(text)): what the float32 reading gives (csvNumber's syntax). */
  const expected = (cells: string[][]) =>
    cells.flatMap((r) => r.slice(1).map((t) => Math.fround(Number(t.trim().replace(/^"(.*)"$/, "$1")))));
  const same = (got: ArrayLike<number>, want: number[], what: string) => {
    assert.equal(got.length, want.length, what);
    for (let i = 0; i < want.length; i++)
      assert.ok(Object.is(got[i], want[i]), `${what}: [${i}] ${got[i]} ≠ ${want[i]}`);
  };

  it("gives bytes when every feature is an integer 0–255, as written or not, and float32 when asked", () => {
    const cells = grid(20, 30, 1);
    cells[3]?.splice(1, 7, "7.0", "1e2", "+3", " 9", '"12"', "007", "2.55e2");
    cells[19]?.splice(30, 1, "255");
    for (const size of [1, 4, 13, Number.POSITIVE_INFINITY]) {
      const e = parse(csvText(cells, true), {}, size);
      assert.ok(e.inputs instanceof Uint8Array, `chunks of ${size}`);
      assert.equal(e.integerBytes, true);
      same(e.inputs, expected(cells), `chunks of ${size}`);
      const f = parse(csvText(cells, true), { float32: true }, size);
      assert.ok(f.inputs instanceof Float32Array);
      assert.equal(f.integerBytes, undefined);
      same(f.inputs, expected(cells), `float32, chunks of ${size}`);
    }
  });

  it("widens to float32 at the first other value, on any path, at any row, cell and chunk boundary", () => {
    // Each takes another path: plainCells stops at 256, the integer loop at 1000, storeDecimal
    // at -1, 0.5 and -0 (which float32 keeps negative), the cell's text for a quoted 300.
    const others = ["256", "999", "1000", "65535", "-1", "0.5", "-0", "1e3", "3.4e38", '"300"', " 256"];
    const rows = 9;
    const n = 12;
    const base = grid(rows, n, 2);
    const places = [
      [0, 1],
      [0, n],
      [4, 6],
      [rows - 1, 1],
      [rows - 1, n],
    ] as const;
    for (const header of [true, false]) {
      for (const [r, c] of places) {
        for (const other of others) {
          const cells = base.map((row) => [...row]);
          (cells[r] as string[])[c] = other;
          const want = expected(cells);
          for (const size of [1, 3, 11, 64, Number.POSITIVE_INFINITY]) {
            const what = `${other} at row ${r}, cell ${c}, header ${header}, chunks of ${size}`;
            const e = parse(csvText(cells, header), { header }, size);
            assert.ok(e.inputs instanceof Float32Array, what);
            assert.equal(e.integerBytes, undefined, what);
            same(e.inputs, want, what);
          }
        }
      }
    }
  });

  it("widens in the label-last layout too, and names a bad cell after widening as before", () => {
    const e = parse("1,2,300,0\n4,5,6,1\n7,8,-9,0\n", { labelColumn: "last" });
    assert.ok(e.inputs instanceof Float32Array);
    assert.deepEqual(Array.from(e.inputs), [1, 2, 300, 4, 5, 6, 7, 8, -9]);
    throwsData(() => parse("label,x\n0,1\n1,256\n0,abc\n"), /line 4, column 1 \("x"\): "abc" is not a number/);
    throwsData(() => parse("label,x\n0,1\n1,1e39\n"), /line 3, column 1 \("x"\): 1e39 is outside float32's range/);
  });

  it("reads a file into bytes, and widens on its last row across many chunks", async () => {
    const rows = ["label,a,b,c"];
    for (let i = 0; i < 60_000; i++) rows.push(`${i % 2},${i % 256},0,${(i * 7) % 256}`);
    writeFileSync(join(dir, "bytes.csv"), `${rows.join("\n")}\n`);
    const e = await readCsv(join(dir, "bytes.csv"));
    assert.ok(e.inputs instanceof Uint8Array);
    assert.equal(e.inputs.length, 180_000);
    assert.equal(e.inputs[3 * 59_999 + 2], (59_999 * 7) % 256);
    rows[60_000] = "1,5,0,1000";
    writeFileSync(join(dir, "wide.csv"), rows.join("\n"));
    writeFileSync(join(dir, "wide.csv.gz"), gzipSync(rows.join("\n")));
    for (const name of ["wide.csv", "wide.csv.gz"]) {
      const w = await readCsv(join(dir, name));
      assert.ok(w.inputs instanceof Float32Array, name);
      assert.equal(w.inputs.length, 180_000);
      for (let i = 0; i < 59_999; i++) assert.equal(w.inputs[3 * i + 2], (i * 7) % 256);
      assert.deepEqual(Array.from(w.inputs.subarray(3 * 59_999)), [5, 0, 1000]);
    }
  });

  it("gives a float32 network the same inputs from bytes as from float32, scaled by the data's largest value", () => {
    const text = csvText(grid(50, 40, 3), true);
    const bytes = parse(text);
    const floats = parse(text, { float32: true });
    assert.ok(bytes.inputs instanceof Uint8Array && floats.inputs instanceof Float32Array);
    let max = 0;
    for (const v of floats.inputs) max = Math.max(max, v);
    // Scaled by the largest value, not ÷ 255 as pixels: also after a split, and at a largest value of 255.
    assert.equal(inputScaleOf(bytes, undefined), max);
    assert.equal(inputScaleOf(splitExamples(bytes, 0.2, 1).kept, undefined), inputScaleOf(floats, undefined));
    assert.equal(isPixels(splitExamples(bytes, 0.2, 1).held), false);
    const small = parse("label,a,b\n0,16,3\n1,0,9\n");
    assert.ok(small.inputs instanceof Uint8Array);
    assert.equal(inputScaleOf(small, undefined), 16);
    const backend = new JsBackend("float32");
    for (const scale of [max, 255, 16, 1, 200, 7, 0.5]) {
      const a = inputsToMatrix(backend, 50, 40, scaleInputs(bytes.inputs, scale)).data;
      const b = inputsToMatrix(backend, 50, 40, scaleInputs(floats.inputs, scale)).data;
      same(a, Array.from(b), `scale ${scale}`);
      same(
        a,
        Array.from(floats.inputs, (v) => Math.fround(v / scale)),
        `scale ${scale}, against v / scale`,
      );
    }
  });
});
