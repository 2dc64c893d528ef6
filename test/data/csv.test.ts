import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { type CsvOptions, csvNumber, parseCsv, parseCsvSync } from "../../src/data/csv.ts";
import { readCsv } from "../../src/data/csv-file.ts";
import { DataError } from "../../src/errors.ts";
import { Rng } from "../../src/linalg/rng.ts";

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

describe("CSV parsing", () => {
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
    assert.equal(parse("f,Class,g\n1,0,2\n3,1,4\n").labelColumn, 1);
    assert.equal(parse("f,g,h\n1,0,2\n3,1,4\n").labelColumn, 0);
    assert.equal(parse("f,g,h\n1,0,2\n3,1,4\n", { labelColumn: "g" }).labelColumn, 1);
    assert.equal(parse("1,0,2\n3,1,4\n", { labelColumn: 2 }).labelColumn, 2);
    assert.equal(parse("1,0,2\n3,1,4\n", { labelColumn: "last" }).labelColumn, 2);
  });

  it("keeps plain integer labels as indices and sorts other labels", () => {
    const ints = parse("2,0.1\n1,0.2\n2,0.3\n");
    assert.deepEqual(ints.classNames, ["0", "1", "2"]);
    assert.deepEqual(Array.from(ints.labels), [2, 1, 2]);
    const signed = parse("1,0\n-1,0\n10,0\n");
    assert.deepEqual(signed.classNames, ["-1", "1", "10"]);
    assert.deepEqual(Array.from(signed.labels), [1, 0, 2]);
    const names = parse("b,0\nä,0\na,0\n");
    assert.deepEqual(names.classNames, ["a", "b", "ä"]);
    const given = parse("cat,0\n1,0\n", { classNames: ["dog", "cat"] });
    assert.deepEqual(Array.from(given.labels), [1, 1]);
    assert.deepEqual(given.classNames, ["dog", "cat"]);
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

describe("CSV files", () => {
  const text = "label,p0,p1\n3,0,255\n1,17,0\n";
  const expected = { inputs: [0, 255, 17, 0], labels: [3, 1] };
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
