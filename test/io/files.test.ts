// Model and checkpoint files on disk: the header-only reader that `stackae info` uses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import {
  loadCheckpoint,
  loadModelOrCheckpoint,
  loadModelOrCheckpointHeader,
  saveCheckpoint,
  saveModel,
} from "../../src/io/files.ts";
import { ModelFileError } from "../../src/io/safetensors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { type TrainCheckpoint, trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import { withoutValues } from "../fuzz/fuzz.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const { train } = readMnist();
const data = train.head(100);
const checkpoints: TrainCheckpoint[] = [];
const run = trainStackedAutoencoder(
  new JsBackend("float32"),
  { inputs: data.pixels, labels: data.labels, inputSize: 784 },
  {
    settings: { layers: [8], autoencoder: { iterations: 3 }, softmax: { iterations: 3 }, fineTune: { iterations: 2 } },
    checkpointEvery: 2,
    onCheckpoint: (c) => void checkpoints.push(structuredClone(c)),
  },
);

describe("loadModelOrCheckpointHeader", () => {
  it("gives a checkpoint's state without its tensors' values, as the full reader has it", () => {
    const inside = checkpoints.filter((c) => c.optimizer?.kind === "lbfgs" && c.stages.length > 0);
    assert.ok(inside.length > 0, "a checkpoint inside a stage after the first");
    for (const c of [checkpoints[0] as TrainCheckpoint, ...inside]) {
      const path = join(dir, "run.ckpt");
      saveCheckpoint(path, c);
      const head = loadModelOrCheckpointHeader(path);
      assert.equal(head.kind, "checkpoint");
      if (head.kind !== "checkpoint") return;
      assert.deepEqual(head.checkpoint, withoutValues(c));
      const full = loadModelOrCheckpoint(path);
      assert.equal(full.kind, "checkpoint");
      if (full.kind === "checkpoint") assert.deepEqual(head.checkpoint, withoutValues(full.checkpoint));
    }
  });

  it("reads a model whole", () => {
    const path = join(dir, "model.safetensors");
    saveModel(path, run.model, { createdBy: "test" });
    const m = loadModelOrCheckpointHeader(path);
    assert.equal(m.kind, "model");
    if (m.kind === "model") assert.deepEqual(Array.from(m.model.params), Array.from(run.model.params));
  });

  it("reads only the header: a checkpoint of 2.2 GB (a sparse file), which cannot be read whole", () => {
    // The last checkpoint's file, with its cost curve `costs` grown to 275 M values (the one tensor
    // whose length its state does not set), the other tensors around it.
    const small = join(dir, "small.ckpt");
    saveCheckpoint(small, checkpoints.at(-1) as TrainCheckpoint);
    const bytes = new Uint8Array(readFileSync(small));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const costs = header.costs as { shape: number[]; data_offsets: [number, number] };
    const [begin, end] = costs.data_offsets;
    const count = 275_000_000;
    const grow = count * 8 - (end - begin);
    for (const [name, e] of Object.entries(header)) {
      if (name === "__metadata__" || name === "costs") continue;
      const entry = e as { data_offsets: [number, number] };
      if (entry.data_offsets[0] >= end)
        entry.data_offsets = [entry.data_offsets[0] + grow, entry.data_offsets[1] + grow];
    }
    costs.shape = [count];
    costs.data_offsets = [begin, begin + count * 8];
    let json = JSON.stringify(header);
    json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
    const head = new Uint8Array(8 + Buffer.byteLength(json));
    new DataView(head.buffer).setBigUint64(0, BigInt(Buffer.byteLength(json)), true);
    head.set(new TextEncoder().encode(json), 8);
    const big = join(dir, "big.ckpt");
    const fd = openSync(big, "w");
    writeSync(fd, head, 0, head.length, 0);
    const before = bytes.subarray(8 + n, 8 + n + begin);
    writeSync(fd, before, 0, before.length, head.length);
    const rest = bytes.subarray(8 + n + end);
    writeSync(fd, rest, 0, rest.length, head.length + begin + count * 8);
    closeSync(fd);

    const info = loadModelOrCheckpointHeader(big);
    assert.equal(info.kind, "checkpoint");
    if (info.kind === "checkpoint") assert.deepEqual(info.checkpoint, withoutValues(loadCheckpoint(small)));
    assert.throws(
      () => loadCheckpoint(big),
      (e) => e instanceof ModelFileError && /cannot be read/.test(e.message),
    );
  });

  it("refuses what the full reader refuses: a truncated checkpoint, a missing file", () => {
    const path = join(dir, "cut.ckpt");
    const c = checkpoints.at(-1) as TrainCheckpoint;
    saveCheckpoint(path, c);
    truncateSync(path, 4000);
    assert.throws(
      () => loadModelOrCheckpointHeader(path),
      /cut\.ckpt: tensor .* lie outside the .* data bytes|runs past the end/,
    );
    assert.throws(() => loadModelOrCheckpointHeader(join(dir, "none.ckpt")), /none\.ckpt: no such file/);
    assert.throws(() => loadModelOrCheckpointHeader(dir), /cannot be read \(it is a folder\)/);
  });
});

describe("leftover temporary files", () => {
  it("a write removes the temporary files of dead processes beside its target, not those of live ones", () => {
    const folder = mkdtempSync(join(dir, "leftovers-"));
    const target = join(folder, "model.safetensors");
    // A PID that was alive a moment ago and is now gone; the test's own parent is alive.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const live = process.ppid;
    const name = (pid: number, time: number) => join(folder, `.model.safetensors.${pid}.${time}.tmp`);
    const leftovers = [name(dead, Date.now() - 5000), name(process.pid, Date.now() - 3_600_000)];
    const others = [name(live, Date.now()), join(folder, `.other.safetensors.${dead}.1.tmp`), join(folder, "a.tmp")];
    for (const f of [...leftovers, ...others]) writeFileSync(f, "partial");
    saveModel(target, run.model);
    for (const f of leftovers) assert.ok(!existsSync(f), `${f} is removed`);
    for (const f of others) assert.ok(existsSync(f), `${f} stays`);
    assert.deepEqual(loadModelOrCheckpoint(target).kind, "model");
  });
});
