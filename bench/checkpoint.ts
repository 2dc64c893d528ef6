// `npm run bench:checkpoint`: the time to write (flushed to disk) and read back a checkpoint of
// the reference experiment's largest stage: the first autoencoder (784 → 200 → 784, 314,584
// parameters) with a full L-BFGS history of 100 correction pairs, 255 MB, and to read its header
// alone, as `stackae info` does. Synthetic values; the size, not the values, sets the time.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, crc32Js } from "../src/io/checksum.ts";
import { loadCheckpoint, loadModelOrCheckpointHeader, saveCheckpoint } from "../src/io/files.ts";
import { Rng } from "../src/linalg/rng.ts";
import { checkpointVectors, firstNonFinite } from "../src/train/checkpoint.ts";
import type { TrainCheckpoint } from "../src/train/pipeline.ts";
import { resolveSettings } from "../src/train/settings.ts";

const n = 784 * 200 * 2 + 200 + 784;
const rng = new Rng(1);
const vector = () => Float32Array.from({ length: n }, () => rng.uniform());
const checkpoint: TrainCheckpoint = {
  settings: resolveSettings(),
  data: { examples: 60000, inputSize: 784, classes: 10, unlabeled: null, checksum: "00000000" },
  stage: 0,
  params: new Float32Array(784 * 200 + 200 + 200 * 200 + 200 + 10 * 200),
  rng: rng.state,
  stages: [],
  optimizer: {
    kind: "lbfgs",
    x: vector(),
    g: vector(),
    cost: 1,
    iterations: 300,
    evaluations: 310,
    S: Array.from({ length: 100 }, vector),
    Y: Array.from({ length: 100 }, vector),
    rho: Array.from({ length: 100 }, () => 1),
    hDiag: 1,
  },
  costs: Array.from({ length: 300 }, () => 1),
  seconds: 0,
};
const dir = mkdtempSync(join(tmpdir(), "stackae-bench-"));
const file = join(dir, "checkpoint.safetensors");
console.log("checkpoint of autoencoder 1 with 100 L-BFGS pairs (median of 5)");
const writes: number[] = [];
const reads: number[] = [];
const headers: number[] = [];
for (let i = 0; i < 5; i++) {
  let t = performance.now();
  saveCheckpoint(file, checkpoint);
  writes.push(performance.now() - t);
  t = performance.now();
  loadCheckpoint(file);
  reads.push(performance.now() - t);
  t = performance.now();
  loadModelOrCheckpointHeader(file);
  headers.push(performance.now() - t);
}
// The parts of a write and of a read that check the file: the CRC-32 of every tensor (Node's
// zlib, and the JavaScript one browsers use), and the scan for values that are not finite.
const bytesOf = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
const vectors = checkpointVectors(checkpoint);
const timed = (f: (v: Float32Array | Float64Array) => unknown) => {
  const t = performance.now();
  for (const [, v] of vectors) f(v as Float32Array | Float64Array);
  return performance.now() - t;
};
const crcs = Array.from({ length: 5 }, () => timed((v) => crc32(bytesOf(v))));
const scans = Array.from({ length: 5 }, () => timed(firstNonFinite));
const crcJs = timed((v) => crc32Js(bytesOf(v)));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] as number;
console.log(`size ${(statSync(file).size / 1e6).toFixed(0)} MB`);
console.log(
  `write (temporary file, fsync, rename): ${(median(writes) / 1000).toFixed(2)} s (${writes.map((w) => (w / 1000).toFixed(2)).join(", ")})`,
);
console.log(
  `read and check: ${(median(reads) / 1000).toFixed(2)} s (${reads.map((r) => (r / 1000).toFixed(2)).join(", ")})`,
);
console.log(
  `read and check the header alone (stackae info): ${median(headers).toFixed(2)} ms (${headers.map((h) => h.toFixed(2)).join(", ")})`,
);
console.log(
  `of which, each way: CRC-32 of every tensor ${median(crcs).toFixed(0)} ms (JavaScript, as in browsers: ${crcJs.toFixed(0)} ms), finiteness scan ${median(scans).toFixed(0)} ms`,
);
rmSync(dir, { recursive: true, force: true });
