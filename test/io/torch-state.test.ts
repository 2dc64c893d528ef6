// The PyTorch hand-off: the state_dict's names and shapes, reading it back, and the round trip
// through real PyTorch (test/io/torch-state.py) where a python3 with torch is installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { modelDataMetadata } from "../../src/io/model-data.ts";
import { encodeModel } from "../../src/io/model-file.ts";
import { decodeSafetensors, encodeSafetensors, ModelFileError, type Tensor } from "../../src/io/safetensors.ts";
import { decodeTorchState, encodeTorchState, torchStateKeys } from "../../src/io/torch-state.ts";
import { createBackend } from "../../src/linalg/index.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { modelLayout, predictProbabilities, type StackedModel } from "../../src/nn/model.ts";
import { trainedModel } from "./trained-model.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stackae-torch-"));
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

const shape = { sizes: [6, 5, 4], classes: 3 };
const rng = new Rng(3);
const small: StackedModel = {
  ...shape,
  params: Float32Array.from({ length: modelLayout(shape).length }, () => rng.normal()),
};

function throwsFile(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The small model's state_dict with `change` applied to its tensors. */
function state(change: (tensors: Map<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(encodeTorchState({ model: small, metadata: {} }), "x");
  change(tensors);
  return encodeSafetensors([...tensors], metadata);
}

describe("PyTorch state_dict", () => {
  it("names and shapes are nn.Sequential(Linear, Sigmoid, …, Linear(bias=False))'s state_dict", () => {
    const { tensors, metadata } = decodeSafetensors(encodeTorchState({ model: small, metadata: {} }), "x");
    assert.deepEqual(
      [...tensors].map(([k, t]) => [k, t.dtype, t.shape]),
      [
        ["0.weight", "F32", [5, 6]],
        ["0.bias", "F32", [5]],
        ["2.weight", "F32", [4, 5]],
        ["2.bias", "F32", [4]],
        ["4.weight", "F32", [3, 4]],
      ],
    );
    assert.deepEqual(torchStateKeys(2), ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight"]);
    assert.equal(metadata.format, "pt");
    assert.equal(metadata.sizes, "[6,5,4]");
    assert.equal(metadata.inputScale, "255");
    assert.equal(
      metadata.module,
      "nn.Sequential(nn.Linear(6, 5), nn.Sigmoid(), nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 3, bias=False))",
    );
  });

  it("leaves out the model file's checksums, which name the model's tensors", () => {
    const { metadata } = decodeSafetensors(encodeModel(small, { createdBy: "test" }), "m");
    assert.ok(metadata.checksums);
    const exported = decodeSafetensors(encodeTorchState({ model: small, metadata }), "x").metadata;
    assert.equal(exported.checksums, undefined);
    assert.equal(exported.createdBy, "test");
  });

  it("reads back into the same model, with the data metadata of --like", () => {
    const bytes = encodeTorchState({ model: small, metadata: { settings: "{}" } });
    const like = { ...modelDataMetadata({ classNames: ["a", "b", "c"], inputScale: 16 }), settings: "old run" };
    const back = decodeTorchState(bytes, "state.safetensors", like);
    assert.deepEqual(back.model, small);
    assert.equal(back.metadata.classNames, '["a","b","c"]');
    assert.equal(back.metadata.inputScale, "16");
    assert.equal(back.metadata.settings, undefined, "how stackae trained it is not how PyTorch went on");
    assert.equal(back.metadata.createdBy, "stackae import");
  });

  it("takes DistributedDataParallel's module. prefix, float64, and a zero softmax bias", () => {
    const bytes = state((t) => {
      for (const [k, v] of [...t]) {
        t.delete(k);
        t.set(`module.${k}`, { ...v, dtype: "F64", data: Float64Array.from(v.data) });
      }
      t.set("module.4.bias", { dtype: "F32", shape: [3], data: new Float32Array(3) });
    });
    assert.deepEqual(decodeTorchState(bytes, "ddp.safetensors").model, small);
  });

  it("refuses what the module would not load, naming the file, the key and what to do", () => {
    throwsFile(
      () =>
        decodeTorchState(
          state((t) => t.set("4.bias", { dtype: "F32", shape: [3], data: Float32Array.of(0, 1, 0) })),
          "f",
        ),
      /^f: tensor 4\.bias is the softmax's bias.*bias=False/,
    );
    throwsFile(
      () =>
        decodeTorchState(
          state((t) => t.delete("2.bias")),
          "f",
        ),
      /has no tensor 2\.bias/,
    );
    throwsFile(
      () =>
        decodeTorchState(
          state((t) => t.set("extra", { dtype: "F32", shape: [1], data: new Float32Array(1) })),
          "f",
        ),
      /has keys extra that the module/,
    );
    throwsFile(
      () =>
        decodeTorchState(
          state((t) => t.set("2.weight", { dtype: "F32", shape: [4, 6], data: new Float32Array(24) })),
          "f",
        ),
      /tensor 2\.weight \(encoder 2's weight\) has shape \[4,6\], where \[out, 5\] was expected/,
    );
    throwsFile(
      () =>
        decodeTorchState(
          state((t) => {
            const w = t.get("0.weight") as Tensor;
            w.data[3] = Number.NaN;
          }),
          "f",
        ),
      /tensor 0\.weight holds a non-finite value at index 3/,
    );
    throwsFile(
      () =>
        decodeTorchState(encodeSafetensors([["weight", { dtype: "F32", shape: [1], data: new Float32Array(1) }]]), "f"),
      /holds 0 nn\.Linear weight/,
    );
    throwsFile(
      () => decodeTorchState(encodeTorchState({ model: small, metadata: {} }), "f", { classNames: '["a"]' }),
      /classNames/,
    );
  });
});

/** A python3 that imports torch: the one on PATH, else Debian's, whose python3-torch it may be. */
function torchPython(): string | null {
  for (const python of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(python, ["-c", "import torch, numpy"], { stdio: "ignore" }).status === 0) return python;
  }
  return null;
}

/** The module's code as docs/scale-out.md gives it: the python block that defines stackae_module. */
function moduleFromDocs(): string {
  const docs = readFileSync(join(root, "docs/scale-out.md"), "utf8");
  const block = [...docs.matchAll(/```python\n([\s\S]*?)```/g)].find((m) => m[1]?.includes("def stackae_module"));
  assert.ok(block?.[1], "docs/scale-out.md gives the module in a python block");
  return block[1];
}

const python = torchPython();
if (python === null)
  process.stderr.write("test: no python3 with torch and numpy here, so the PyTorch round trip is skipped\n");

describe("PyTorch round trip", {
  skip: python === null ? "no python3 with torch and numpy is installed" : false,
}, () => {
  it("PyTorch gives stackae's probabilities (≤ 1e-5); after a step in PyTorch, the import gives PyTorch's", async () => {
    const { model, test } = await trainedModel();
    const backend = await createBackend();
    const metadata = modelDataMetadata({ classNames: NAMES });
    const exported = join(dir, "torch.safetensors");
    writeFileSync(exported, encodeTorchState({ model, metadata }));
    const modulePy = join(dir, "module.py");
    writeFileSync(modulePy, moduleFromDocs());
    const inputs = Float32Array.from(test.pixels, (v) => v / 255);
    writeFileSync(join(dir, "x.f32"), new Uint8Array(inputs.buffer));
    writeFileSync(join(dir, "y.i32"), new Uint8Array(Int32Array.from(test.labels).buffer));
    const stepped = join(dir, "stepped.safetensors");
    const r = spawnSync(
      python as string,
      [
        join(root, "test/io/torch-state.py"),
        modulePy,
        exported,
        join(dir, "x.f32"),
        join(dir, "y.i32"),
        "1000",
        stepped,
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { keys: string[]; before: number[]; after: number[] };
    assert.deepEqual(out.keys, torchStateKeys(2));

    const ours = predictProbabilities(backend, model, test.pixels);
    const before = maxAbsDiff(out.before, ours);
    assert.ok(before <= 1e-5, `before the step: max |PyTorch − stackae| = ${before.toExponential(2)}`);

    const imported = decodeTorchState(readFileSync(stepped), stepped, metadata);
    assert.equal(imported.metadata.classNames, metadata.classNames);
    const changed = maxAbsDiff(imported.model.params, model.params);
    assert.ok(changed > 1e-4, `the step in PyTorch changed the parameters (by ${changed})`);
    const after = maxAbsDiff(out.after, predictProbabilities(backend, imported.model, test.pixels));
    assert.ok(after <= 1e-5, `after the step: max |PyTorch − stackae| = ${after.toExponential(2)}`);
    process.stderr.write(
      `torch: max |PyTorch − stackae| = ${before.toExponential(2)} before, ${after.toExponential(2)} after a step in PyTorch, on 1,000 test images\n`,
    );
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}
