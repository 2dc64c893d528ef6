import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel, saveModel, WriteError } from "../../src/io/files.ts";
import { decodeModel, encodeModel } from "../../src/io/model-file.ts";
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, ModelFileError } from "../../src/io/safetensors.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { modelLayout, type StackedModel } from "../../src/nn/model.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-io-"));
const rng = new Rng(2);
const sizes = [6, 4, 3];
const classes = 3;
const model: StackedModel = {
  sizes,
  classes,
  params: Float32Array.from({ length: modelLayout({ sizes, classes }).length }, () => rng.normal()),
};

function throwsFile(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A safetensors file with a hand-made header. */
function withHeader(header: unknown, data = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("model files", () => {
  it("round-trip bit for bit through a file", () => {
    const path = join(dir, "m.safetensors");
    saveModel(path, model, { note: "hello" });
    const { model: back, metadata } = loadModel(path);
    assert.deepEqual(back.sizes, sizes);
    assert.equal(back.classes, classes);
    assert.deepEqual(new Uint8Array(back.params.buffer), new Uint8Array(model.params.buffer));
    assert.equal(metadata.note, "hello");
    assert.equal(metadata.format, "stackae-model");
    assert.equal(metadata.activation, "sigmoid");
  });
  it("are plain safetensors: header JSON, 8-byte aligned data, little-endian float32", () => {
    const bytes = encodeModel(model);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(header.W1, { dtype: "F32", shape: [4, 6], data_offsets: [0, 96] });
    assert.deepEqual(header.b1.shape, [4]);
    assert.deepEqual(header.theta.shape, [3, 3]);
    assert.equal(header.__metadata__.sizes, "[6,4,3]");
    const first = new DataView(bytes.buffer, 8 + n).getFloat32(0, true);
    assert.equal(first, model.params[0]);
  });
  it("are written atomically: a failed write leaves the old file and no temporary", () => {
    const path = join(dir, "keep.safetensors");
    saveModel(path, model);
    const before = readFileSync(path);
    assert.throws(
      () => saveModel(join(dir, "no-such-folder", "x.safetensors"), model),
      (e: Error) => {
        assert.ok(e instanceof WriteError);
        assert.match(e.message, /its folder does not exist/);
        return true;
      },
    );
    assert.throws(() => saveModel(dir, model), WriteError, "a folder is not a file");
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });
});

describe("hostile or wrong model files get a ModelFileError naming the file", () => {
  const good = encodeSafetensors([["a", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]);
  it("too short, or a header length beyond the file", () => {
    throwsFile(() => decodeSafetensors(new Uint8Array(3), "f"), /^f: 3 bytes is too short/);
    throwsFile(
      () => decodeSafetensors(withHeader({}, new Uint8Array(0), 1000n), "f"),
      /header length 1000 runs past the end of the file/,
    );
  });
  it("a huge header length is refused before anything is allocated", () => {
    throwsFile(() => decodeSafetensors(withHeader({}, new Uint8Array(0), 2n ** 63n), "f"), /runs past the end/);
    const big = new Uint8Array(8 + MAX_HEADER_BYTES + 16);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true);
    throwsFile(() => decodeSafetensors(big, "f"), /exceeds the limit/);
  });
  it("bad JSON, unknown dtypes, bad shapes", () => {
    throwsFile(() => decodeSafetensors(withHeader("{not json"), "f"), /header is not valid JSON/);
    throwsFile(() => decodeSafetensors(withHeader("[1,2]"), "f"), /not a JSON object/);
    throwsFile(
      () =>
        decodeSafetensors(
          withHeader({ a: { dtype: "F33", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
          "f",
        ),
      /unknown dtype "F33"/,
    );
    throwsFile(
      () =>
        decodeSafetensors(
          withHeader({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
          "f",
        ),
      /shape must be a list of non-negative integers/,
    );
    throwsFile(
      () =>
        decodeSafetensors(
          withHeader({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
          "f",
        ),
      /reads only F32, F64 and I32/,
    );
  });
  it("offsets out of bounds, overlapping, leaving gaps, or not matching the shape", () => {
    const d = new Uint8Array(16);
    throwsFile(
      () => decodeSafetensors(withHeader({ a: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, d), "f"),
      /lie outside the 16 data bytes/,
    );
    throwsFile(
      () =>
        decodeSafetensors(
          withHeader(
            {
              a: { dtype: "F32", shape: [3], data_offsets: [0, 12] },
              b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
            },
            d,
          ),
          "f",
        ),
      /overlap or leave a gap/,
    );
    throwsFile(
      () => decodeSafetensors(withHeader({ a: { dtype: "F32", shape: [2], data_offsets: [8, 16] } }, d), "f"),
      /begin at 8 where 0 was expected/,
    );
    throwsFile(
      () => decodeSafetensors(withHeader({ a: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, d), "f"),
      /needs 12 bytes, its offsets span 16/,
    );
    throwsFile(
      () => decodeSafetensors(withHeader({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, d), "f"),
      /cover 8 of the 16 data bytes/,
    );
  });
  it("metadata that is not strings", () => {
    throwsFile(
      () => decodeSafetensors(withHeader({ __metadata__: { x: 1 } }), "f"),
      /__metadata__\.x must be a string/,
    );
  });
  it("duplicate keys anywhere in the header, which the format forbids, are refused", () => {
    const data = new Uint8Array(8);
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    for (const [header, key] of [
      [`{"W1":${entry},"W1":${entry}}`, "W1"],
      [`{"__metadata__":{"format":"x"},"W1":${entry},"__metadata__":{"format":"y"}}`, "__metadata__"],
      [`{"__metadata__":{"a":"1","a":"2"},"W1":${entry}}`, "a"],
      [`{"W1":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, "dtype"],
      [`{"W1":${entry},"W\\u0031":${entry}}`, "W1"],
    ] as const) {
      throwsFile(
        () => decodeSafetensors(withHeader(header, data), "dup.safetensors"),
        new RegExp(`^dup\\.safetensors: the header holds the key "${key}" twice`),
      );
    }
    assert.equal(
      decodeSafetensors(
        withHeader(`{"W1":${entry},"W2":{"W1":0,"dtype":"F32","shape":[0],"data_offsets":[8,8]}}`, data),
        "f",
      ).tensors.size,
      2,
    );
  });
  it("metadata sizes or classes that the tensors do not hold are refused before memory is allocated for them", () => {
    const { tensors, metadata } = decodeSafetensors(encodeModel(model), "m");
    for (const [field, value] of [
      ["classes", "1000000000000"],
      ["sizes", "[6,1e300,3]"],
      ["sizes", "[100000000,4,3]"],
      ["sizes", "[6,4,9007199254740991]"],
    ] as const) {
      const bytes = encodeSafetensors([...tensors.entries()], { ...metadata, [field]: value });
      throwsFile(() => decodeModel(bytes, "big.safetensors"), /^big\.safetensors: /);
    }
  });
  it("valid safetensors that is not a stackae model, or whose shapes disagree with its sizes", () => {
    throwsFile(
      () => decodeModel(good, "other.safetensors"),
      /not a stackae model .* train one with `stackae train --out FILE`/,
    );
    const bytes = encodeModel(model);
    // Without its checksums, as another program would write it: the checks below are those of its contents.
    const { tensors, metadata: withSums } = decodeSafetensors(bytes, "m");
    const { checksums: _, ...metadata } = withSums;
    const wrongSizes = encodeSafetensors([...tensors.entries()], { ...metadata, sizes: "[6,5,3]" });
    throwsFile(
      () => decodeModel(wrongSizes, "m"),
      /tensor W1 has shape \[4,6\], but layer sizes \[6,5,3\] need \[5,6\]/,
    );
    const newer = encodeSafetensors([...tensors.entries()], { ...metadata, version: "9" });
    throwsFile(() => decodeModel(newer, "m"), /version 9; this stackae reads version 1/);
    const missing = encodeSafetensors(
      [...tensors.entries()].filter(([n]) => n !== "theta"),
      metadata,
    );
    throwsFile(() => decodeModel(missing, "m"), /has no tensor theta/);
    const integers = encodeSafetensors(
      [...tensors.entries()].map(([n, t]) =>
        n === "b1" ? [n, { dtype: "I32", shape: t.shape, data: new Int32Array(t.data.length) }] : [n, t],
      ),
      metadata,
    );
    throwsFile(() => decodeModel(integers, "m"), /tensor b1 holds integers \(I32\); a model's tensors are F32/);
  });
  it("a missing file", () => {
    throwsFile(() => loadModel(join(dir, "absent.safetensors")), /absent\.safetensors: no such file/);
    assert.ok(!existsSync(join(dir, "absent.safetensors")));
  });
  it("round-trips through the generic reader too", () => {
    const path = join(dir, "g.safetensors");
    writeFileSync(path, good);
    const { tensors } = decodeSafetensors(readFileSync(path), path);
    assert.deepEqual(Array.from(tensors.get("a")?.data ?? []), [1, 2]);
  });
  it("with `views`, takes aligned tensors as views of the bytes and copies the others", () => {
    // One float32, then a float64 four bytes on: the second is not aligned to its 8 bytes.
    const bytes = encodeSafetensors([
      ["f", { dtype: "F32", shape: [1], data: Float32Array.of(1.5) }],
      ["d", { dtype: "F64", shape: [2], data: Float64Array.of(-2.25, 1e300) }],
    ]);
    const copied = decodeSafetensors(bytes, "x.safetensors").tensors;
    const viewed = decodeSafetensors(bytes, "x.safetensors", { views: true }).tensors;
    for (const name of ["f", "d"]) assert.deepEqual(viewed.get(name), copied.get(name));
    assert.equal(viewed.get("f")?.data.buffer, bytes.buffer, "aligned: a view");
    assert.notEqual(viewed.get("d")?.data.buffer, bytes.buffer, "unaligned: a copy");
    assert.notEqual(copied.get("f")?.data.buffer, bytes.buffer, "without views: a copy");
  });
});

describe("damaged models: checksums, and models that are not finite", () => {
  const bytes = encodeModel(model, { inputScale: "255" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));

  it("a flipped bit in any tensor is refused, naming the file and the tensor", () => {
    for (const name of ["W1", "b1", "W2", "b2", "theta"]) {
      const [begin] = header[name].data_offsets as [number, number];
      const damaged = bytes.slice();
      // The lowest bit of the tensor's first value: changed in its last place, still finite.
      damaged[8 + n + begin] = (damaged[8 + n + begin] as number) ^ 1;
      throwsFile(
        () => decodeModel(damaged, "m.safetensors"),
        new RegExp(`^m\\.safetensors: tensor ${name} does not match its checksum`),
      );
    }
  });

  it("a changed metadata value is refused, naming it", () => {
    const { tensors, metadata } = decodeSafetensors(bytes, "m");
    const changed = encodeSafetensors([...tensors], { ...metadata, inputScale: "275" });
    throwsFile(
      () => decodeModel(changed, "m.safetensors"),
      /^m\.safetensors: metadata "inputScale" does not match its checksum/,
    );
  });

  it("a model written before checksums loads as it did", () => {
    const { tensors, metadata } = decodeSafetensors(bytes, "m");
    const { checksums: _, ...old } = metadata;
    const back = decodeModel(encodeSafetensors([...tensors], old), "old.safetensors");
    assert.deepEqual(back.model.params, model.params);
    assert.equal(back.metadata.inputScale, "255");
  });

  it("a model that is not finite is not saved: ERR_NUMERICAL naming the tensor, and the file it would replace is kept", () => {
    const path = join(dir, "finite.safetensors");
    saveModel(path, model);
    const before = readFileSync(path);
    const params = model.params.slice();
    params[params.length - 2] = Number.NEGATIVE_INFINITY;
    assert.throws(() => saveModel(path, { ...model, params }), {
      name: "NonFiniteModelError",
      code: "ERR_NUMERICAL",
      message: /^the model's tensor theta holds -Infinity at index 7: a model that is not finite is not saved/,
    });
    assert.deepEqual(readFileSync(path), before);
  });
});
