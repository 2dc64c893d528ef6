// The checksums of model and checkpoint files: CRC-32 as zlib computes it (checked against the
// standard check value and Python's zlib), kept in the metadata key "checksums".
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as zlib from "node:zlib";
import {
  CHECKSUMS_KEY,
  checkMetadataChecksums,
  checkTensorChecksums,
  crc32,
  crc32Js,
  TensorValuesError,
  withChecksums,
} from "../../src/io/checksum.ts";
// Node's reader and writer of these files, which installs zlib's CRC-32 for crc32.
import "../../src/io/files.ts";
import { encodeModel } from "../../src/io/model-file.ts";
import { encodeSafetensors, ModelFileError, type Tensor, tensor } from "../../src/io/safetensors.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { modelLayout } from "../../src/nn/model.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-checksum-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const rng = new Rng(7);
const tensors: [string, Tensor][] = [
  [
    "W1",
    tensor(
      Float32Array.from({ length: 12 }, () => rng.normal()),
      [3, 4],
    ),
  ],
  ["rho", tensor(Float64Array.from({ length: 5 }, () => rng.normal()))],
  ["order", tensor(Int32Array.from({ length: 7 }, (_, i) => 6 - i))],
];
const metadata = { format: "x", state: '{"stage":1,"name":"é ∞"}' };

describe("crc32", () => {
  it("gives the standard check value of CRC-32, cbf43926 for the ASCII digits 1 to 9, in Node and in JavaScript", () => {
    const digits = new TextEncoder().encode("123456789");
    assert.equal(crc32(digits), 0xcbf43926);
    assert.equal(crc32Js(digits), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });

  it("is the same in Node's zlib and in the JavaScript used in browsers, on any view of any buffer", () => {
    for (const n of [1, 3, 8, 15, 16, 17, 255, 1000, 1 << 20]) {
      const bytes = Uint8Array.from({ length: n }, () => rng.nextUint32() & 0xff);
      assert.equal(crc32(bytes), crc32Js(bytes), `${n} bytes`);
      assert.equal(crc32(bytes), zlib.crc32(bytes), `${n} bytes`);
      const shared = new Uint8Array(new SharedArrayBuffer(n + 3));
      shared.set(bytes, 3);
      assert.equal(crc32(shared.subarray(3)), crc32Js(bytes), `${n} bytes at offset 3 of a SharedArrayBuffer`);
    }
  });
});

describe("the checksums key", () => {
  it("holds what Python's zlib.crc32 computes of each tensor's bytes and each metadata value's UTF-8", (t) => {
    if (spawnSync("python3", ["-c", "import zlib"], { stdio: "ignore" }).status !== 0) {
      t.skip("python3 is not installed");
      return;
    }
    const path = join(dir, "f.safetensors");
    writeFileSync(path, encodeSafetensors(tensors, withChecksums(tensors, metadata)));
    const script = `import json, struct, sys, zlib
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); m = h.pop("__metadata__"); d = b[8 + n:]
print(json.dumps({
  "tensors": {k: "%08x" % zlib.crc32(d[e["data_offsets"][0]:e["data_offsets"][1]]) for k, e in h.items()},
  "metadata": {k: "%08x" % zlib.crc32(v.encode("utf-8")) for k, v in m.items() if k != "checksums"},
  "written": json.loads(m["checksums"]),
}))`;
    const got = JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" }));
    assert.deepEqual(got.written, { tensors: got.tensors, metadata: got.metadata });
    assert.deepEqual(Object.keys(got.tensors).sort(), ["W1", "order", "rho"]);
    assert.deepEqual(Object.keys(got.metadata).sort(), ["format", "state"]);
  });

  it("is checked by docs/model-format.md's Python as by stackae: a model passes, a flipped bit fails", (t) => {
    if (spawnSync("python3", ["-c", "import numpy, zlib"], { stdio: "ignore" }).status !== 0) {
      t.skip("python3 with numpy is not installed");
      return;
    }
    const doc = readFileSync(new URL("../../docs/model-format.md", import.meta.url), "utf8");
    const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    assert.equal(blocks.length, 2, "the reading example and the checksums' check");
    const sizes = [6, 4, 3];
    const params = Float32Array.from({ length: modelLayout({ sizes, classes: 3 }).length }, () => rng.normal());
    const bytes = encodeModel({ sizes, classes: 3, params }, { createdBy: "test" });
    const good = join(dir, "good.safetensors");
    const bad = join(dir, "bad.safetensors");
    writeFileSync(good, bytes);
    const damaged = bytes.slice();
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 1;
    writeFileSync(bad, damaged);
    const check = (path: string) =>
      spawnSync("python3", ["-c", blocks.join("\n").replace("models/mnist.safetensors", path)], { encoding: "utf8" });
    const ok = check(good);
    assert.equal(ok.status, 0, ok.stderr);
    const refused = check(bad);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /AssertionError: theta/);
  });

  it("replaces a checksums key it is given, and is checked back", () => {
    const written = withChecksums(tensors, { ...metadata, [CHECKSUMS_KEY]: "stale" });
    const sums = checkMetadataChecksums(written, ["W1", "rho", "order"], "f");
    assert.ok(sums);
    checkTensorChecksums(new Map(tensors), sums, "f");
  });

  it("is optional: a file without it (written before it, or by another program) is read as it is", () => {
    assert.equal(checkMetadataChecksums(metadata, ["W1"], "f"), null);
  });

  it("refuses a tensor whose bytes changed, naming the file and the tensor", () => {
    const written = withChecksums(tensors, metadata);
    const sums = checkMetadataChecksums(written, ["W1", "rho", "order"], "f") as Map<string, string>;
    const changed = tensor(Float64Array.from(tensors[1]?.[1].data as Float64Array));
    const bytes = new Uint8Array(changed.data.buffer);
    bytes[3] = (bytes[3] as number) ^ 1;
    assert.throws(
      () => checkTensorChecksums(new Map([...tensors, ["rho", changed]]), sums, "f"),
      (e: unknown) =>
        e instanceof TensorValuesError &&
        e.tensor === "rho" &&
        /^f: tensor rho does not match its checksum \(CRC-32 [0-9a-f]{8}, written [0-9a-f]{8}\)/.test(e.message),
    );
  });

  it("refuses changed, added or removed metadata, tensors it does not list, and a malformed key", () => {
    const written = withChecksums(tensors, metadata);
    const names = ["W1", "rho", "order"];
    const refused = (md: Record<string, string>, pattern: RegExp, held = names) =>
      assert.throws(
        () => checkMetadataChecksums(md, held, "f"),
        (e: unknown) => e instanceof ModelFileError && pattern.test(e.message),
      );
    refused({ ...written, state: '{"stage":2,"name":"é ∞"}' }, /^f: metadata "state" does not match its checksum/);
    refused({ ...written, note: "x" }, /^f: metadata "note" has no checksum/);
    const { format: _, ...noFormat } = written;
    refused(noFormat, /^f: metadata "format" is missing, but "checksums" lists it/);
    refused(written, /^f: tensor extra has no checksum/, [...names, "extra"]);
    refused(written, /^f: tensor order is missing, but metadata "checksums" lists it/, ["W1", "rho"]);
    for (const bad of ["", "[]", '{"tensors":{}}', '{"tensors":{"W1":"12"},"metadata":{}}']) {
      refused({ ...written, [CHECKSUMS_KEY]: bad }, /^f: metadata "checksums" must be a JSON object/);
    }
  });
});
