import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cellError, columnText, wrongLengthText } from "../../src/data/csv-errors.ts";
import { DataError } from "../../src/errors.ts";

const enc = new TextEncoder();
const COMMA = 44;

describe("CSV error texts", () => {
  it("name a column by its index, and by its header name when there is one", () => {
    assert.equal(columnText(null, 3), "column 3");
    assert.equal(columnText(["label", 'say "hi"'], 1), 'column 1 ("say \\"hi\\"")');
    assert.equal(columnText(["label"], 2), "column 2");
  });

  it("place a cell's error at its file, line and column", () => {
    const e = cellError("a.csv", ["label", "x"], 7, 1, "is empty");
    assert.ok(e instanceof DataError);
    assert.equal(e.file, "a.csv");
    assert.equal(e.message, 'a.csv: line 7, column 1 ("x"): is empty');
  });

  it("say a row ended early, or count its fields by the delimiters up to the newline", () => {
    const short = enc.encode("1,2\n3,4,5\n");
    assert.equal(
      wrongLengthText(short, 3, 1, COMMA, 3, true),
      "the row ends after 2 fields, but the header has 3; every row needs the same number",
    );
    const long = enc.encode("1,2,3,4\n5,6\n");
    assert.equal(
      wrongLengthText(long, 3, 1, COMMA, 2, false),
      "the row has 4 fields (roughly, counting delimiters), but the first row has 2; every row needs the same number",
    );
    assert.match(wrongLengthText(enc.encode("1;2;3"), 1, 0, 59, 1, false), /the row has 3 fields/);
  });
});
