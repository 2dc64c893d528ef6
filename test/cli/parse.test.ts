import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { InvalidArgumentError } from "commander";
import { byteSize, classNames, imageSize, inputScale, labelColumn } from "../../src/cli/parse.ts";

describe("the data flags' values", () => {
  it("--label-column: digits are a 0-based index, anything else a name (first and last included)", () => {
    assert.equal(labelColumn("0"), 0);
    assert.equal(labelColumn(" 64 "), 64);
    assert.equal(labelColumn("last"), "last");
    assert.equal(labelColumn("label"), "label");
    assert.equal(labelColumn("-1"), "-1", "not an index: a column of that name");
    assert.throws(() => labelColumn(" "), InvalidArgumentError);
  });
  it("--image-size WxH: width first", () => {
    assert.deepEqual(imageSize("32x24"), { width: 32, height: 24 });
    assert.deepEqual(imageSize("28X28"), { width: 28, height: 28 });
    for (const bad of ["28", "0x5", "28x", "a x b", "28x28x3"])
      assert.throws(() => imageSize(bad), InvalidArgumentError, bad);
  });
  it("--input-scale: max, none or a number above 0", () => {
    assert.equal(inputScale("max"), "max");
    assert.equal(inputScale("none"), "none");
    assert.equal(inputScale("16"), 16);
    assert.equal(inputScale("2.5e2"), 250);
    for (const bad of ["0", "-1", "", "zero", "Infinity"])
      assert.throws(() => inputScale(bad), InvalidArgumentError, bad);
  });
  it("--class-names: two or more, none empty, none twice", () => {
    assert.deepEqual(classNames("cat, dog"), ["cat", "dog"]);
    for (const bad of ["cat", "cat,", "cat,cat", ",dog"])
      assert.throws(() => classNames(bad), InvalidArgumentError, bad);
  });
});

test("byteSize: a number with K, M, G or T (powers of 1024, with or without B, iB), or bytes", () => {
  assert.equal(byteSize("1500000000"), 1500000000);
  assert.equal(byteSize("512M"), 512 * 2 ** 20);
  assert.equal(byteSize("4G"), 4 * 2 ** 30);
  assert.equal(byteSize("1.5GiB"), 1.5 * 2 ** 30);
  assert.equal(byteSize("2 gb"), 2 * 2 ** 30);
  for (const bad of ["", "G", "-1G", "0", "4X", "1e9"]) assert.throws(() => byteSize(bad), /Expected a size/);
});
