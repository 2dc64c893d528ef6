// Mutation fuzzing of the file readers: valid IDX, CSV, PNG, JPEG, model and checkpoint files are
// damaged (bit flips, bytes set to extremes, truncation, random tails, random header lengths,
// random values in the JSON header, CSV tokens; PNG chunks keep valid CRCs half the time, so that
// damage reaches past the checksum) and decoded. Each decode must return or throw a StackaeError,
// within a time limit, with memory bounded. Used by test/fuzz/fuzz.test.ts (a bounded number of
// cases) and by `npm run fuzz` (test/fuzz/run.ts, as long as asked).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { crc32, gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { parseCsvSync } from "../../src/data/csv.ts";
import { decodeImageGray } from "../../src/data/decode-image.ts";
import { decodeIdxFile } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { digitToInput, imageToInput } from "../../src/data/images.ts";
import { StackaeError } from "../../src/errors.ts";
import { type CheckpointHeader, decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import { CHECKSUMS_KEY, TensorValuesError } from "../../src/io/checksum.ts";
import { loadModelOrCheckpoint, loadModelOrCheckpointHeader } from "../../src/io/files.ts";
import { modelDataMetadata, modelDataOf } from "../../src/io/model-data.ts";
import { decodeModel, encodeModel } from "../../src/io/model-file.ts";
import { concatBytes, decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { type TrainCheckpoint, trainStackedAutoencoder } from "../../src/train/pipeline.ts";

export interface Target {
  name: string;
  seeds: Uint8Array[];
  decode(bytes: Uint8Array): unknown;
  /** Repairs a mutated file's checksums (PNG's CRCs), applied to half the cases. */
  repair?(bytes: Uint8Array): Uint8Array;
}

export interface FuzzFailure {
  target: string;
  case: number;
  mutation: string;
  problem: string;
  bytes: Uint8Array;
}

export interface FuzzReport {
  cases: number;
  accepted: number;
  rejected: number;
  slowestMs: number;
  /** The slowest case's target and damage. */
  slowest: string;
  /** The largest V8 heap + array buffers seen after a case. */
  peakBytes: number;
  /** The largest resident set size seen after a case. */
  peakRss: number;
  /** Cases accepted and rejected of each target. */
  targets: Record<string, { accepted: number; rejected: number }>;
  failures: FuzzFailure[];
}

/** A checkpoint without its tensors' values: what checkpointHeaderOf gives for its file. */
export function withoutValues(c: TrainCheckpoint): CheckpointHeader {
  const { params: _p, costs: _c, optimizer: o, stages, ...rest } = c;
  let optimizer: CheckpointHeader["optimizer"] = null;
  if (o?.kind === "lbfgs") {
    const { x: _x, g: _g, S, Y: _y, rho: _r, ...scalars } = o;
    optimizer = { ...scalars, pairs: S.length };
  } else if (o) {
    const { x: _x, last: _l, order: _o, moments, ...scalars } = o;
    optimizer = { ...scalars, moments: moments.length };
  }
  return { ...rest, stages: stages.map(({ costs: _, ...r }) => r), optimizer };
}

/** A scratch file for the readers that take a path, removed when the process exits. */
const scratch = (() => {
  let path: string | null = null;
  return () => {
    if (path === null) {
      const dir = mkdtempSync(join(tmpdir(), "stackae-fuzz-"));
      process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
      path = join(dir, "fuzz.checkpoint");
    }
    return path;
  };
})();

/**
 * `stackae info`'s reader, which reads a checkpoint's header alone from its file, must refuse
 * exactly what the whole file's reader refuses, with the same message, and agree with it on what
 * it accepts.
 */
function readBothWays(bytes: Uint8Array): unknown {
  const path = scratch();
  writeFileSync(path, bytes);
  const attempt = <R>(read: () => R): { value: R } | { error: StackaeError } => {
    try {
      return { value: read() };
    } catch (error) {
      if (error instanceof StackaeError) return { error };
      throw error;
    }
  };
  const full = attempt(() => {
    const r = loadModelOrCheckpoint(path);
    return r.kind === "model" ? r : { kind: r.kind, checkpoint: withoutValues(r.checkpoint) };
  });
  const head = attempt(() => loadModelOrCheckpointHeader(path));
  const said = (o: typeof full) => ("error" in o ? `refused it (${o.error.message})` : "accepted it");
  if ("error" in full && "error" in head && full.error.message === head.error.message) throw full.error;
  if ("value" in full && "value" in head && isDeepStrictEqual(full.value, head.value)) return head.value;
  // What only the tensors' data shows (a checksum, a value a checkpoint cannot hold), the header cannot.
  if ("value" in head && "error" in full && full.error instanceof TensorValuesError) throw full.error;
  throw new Error(`the header-only reader ${said(head)} where the full reader ${said(full)}, or they disagree`);
}

/** `bytes` (a PNG) with each chunk's CRC made right again, as far as its chunk lengths hold. */
export function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return out;
}

/** Small valid PNGs: gray, gray + alpha, RGB and RGBA, 8 and 16 bits. */
function pngSeeds(rng: Rng): Uint8Array[] {
  return [
    [0, 8, 5, 4],
    [4, 8, 3, 3],
    [2, 16, 4, 2],
    [6, 8, 6, 5],
  ].map(([colorType, bitDepth, width, height]) => {
    const png = new PNG({ width: width as number, height: height as number });
    for (let i = 0; i < png.data.length; i++) png.data[i] = rng.nextUint32() & 0xff;
    return new Uint8Array(PNG.sync.write(png, { colorType: colorType as 0, bitDepth: bitDepth as 8 }));
  });
}

/** Small valid baseline JPEGs (jpeg-js writes no other kind). */
function jpegSeeds(rng: Rng): Uint8Array[] {
  return [
    [16, 16, 50],
    [24, 8, 90],
    [9, 13, 75],
  ].map(([width, height, quality]) => {
    const data = Buffer.from(
      Uint8Array.from({ length: (width as number) * (height as number) * 4 }, () => rng.nextUint32() & 0xff),
    );
    return new Uint8Array(jpeg.encode({ width: width as number, height: height as number, data }, quality).data);
  });
}

/** A picture decoded and prepared as predict prepares it, both ways. */
function decodePicture(bytes: Uint8Array, file: string): unknown {
  const image = decodeImageGray(bytes, file);
  return [digitToInput(image, 8, 8), imageToInput(image, 8, 8)];
}

/** Small CSV files: a header and numbers, string labels and quotes, no header and a tab. */
const CSV_SEEDS = [
  "label,a,b,c\n0,1,2,3\n1,4,5,6\n2,7.5,8e1,-9\n1,0,0,0\n",
  'x,y,"class"\n0.5,1,"cat"\n2,3,"dog, big"\n4,5,"cat"\n"6",7,"""bird"""\n',
  "3\t1\t2\r\n4\t0\t1\r\n5\t1\t0\r\n",
].map((text) => new TextEncoder().encode(text));

/** Bytes in chunks of 7, as a stream would hand them over, so that records cross chunk ends. */
function chunked(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 7) out.push(bytes.subarray(at, at + 7));
  return out;
}

/** The file formats, each with a few valid files to start from; checkpoints read two ways. */
export function targets(): Target[] {
  const rng = new Rng(1);
  const pixels = Uint8Array.from({ length: 6 * 7 * 5 }, () => rng.nextUint32() & 0xff);
  const labels = Uint8Array.from({ length: 6 }, (_, i) => i % 3);
  const idx = [encodeIdx([6, 7, 5], pixels), encodeIdx([6], labels)];

  const backend = new JsBackend("float32");
  const inputs = Float32Array.from({ length: 12 * 6 }, () => rng.uniform());
  const checkpoints: TrainCheckpoint[] = [];
  const trained = trainStackedAutoencoder(
    backend,
    { inputs, labels: Array.from({ length: 12 }, (_, i) => i % 2), inputSize: 6 },
    {
      settings: {
        layers: [3],
        autoencoder: { iterations: 3 },
        softmax: { iterations: 2 },
        fineTune: { iterations: 2 },
      },
      checkpointEvery: 2,
      onCheckpoint: (c) => void checkpoints.push(structuredClone(c)),
    },
  );
  const adamRun: TrainCheckpoint[] = [];
  trainStackedAutoencoder(
    backend,
    { inputs, labels: Array.from({ length: 12 }, (_, i) => i % 2), inputSize: 6 },
    {
      settings: {
        layers: [2],
        autoencoder: { optimizer: "adam", iterations: 1, batchSize: 5 },
        fineTune: { iterations: 1 },
      },
      checkpointEvery: 1,
      onCheckpoint: (c) => void adamRun.push(structuredClone(c)),
    },
  );
  const withState = [...checkpoints, ...adamRun].filter((c) => c.optimizer !== null);
  return [
    {
      name: "IDX",
      seeds: [...idx, ...idx.map((b) => gzipSync(b))],
      decode: (bytes) => decodeIdxFile(bytes, "fuzz.idx"),
    },
    {
      name: "CSV",
      seeds: CSV_SEEDS,
      decode: (bytes) =>
        parseCsvSync(chunked(bytes), { file: "fuzz.csv", ...(bytes[0] === 0x33 ? { delimiter: "\t" } : {}) }),
    },
    { name: "PNG", seeds: pngSeeds(rng), decode: (bytes) => decodePicture(bytes, "fuzz.png"), repair: fixPngCrcs },
    { name: "JPEG", seeds: jpegSeeds(rng), decode: (bytes) => decodePicture(bytes, "fuzz.jpg") },
    {
      name: "model",
      seeds: withAndWithoutChecksums([
        encodeModel(trained.model, { createdBy: "fuzz" }),
        encodeModel(
          trained.model,
          modelDataMetadata({ classNames: ["a", "b"], inputScale: 255, preparation: "resize" }),
        ),
      ]),
      decode: (bytes) => {
        const { model, metadata } = decodeModel(bytes, "fuzz.safetensors");
        return modelDataOf(metadata, model.classes, "fuzz.safetensors");
      },
    },
    {
      name: "checkpoint",
      seeds: withAndWithoutChecksums(withState.slice(0, 3).map((c) => concatBytes(encodeCheckpoint(c)))),
      decode: (bytes) => decodeCheckpoint(bytes, "fuzz.checkpoint"),
    },
    {
      name: "checkpoint-header",
      seeds: withAndWithoutChecksums(
        [...withState.slice(0, 2), ...adamRun.filter((c) => c.optimizer !== null).slice(0, 1)].map((c) =>
          concatBytes(encodeCheckpoint(c)),
        ),
      ),
      decode: readBothWays,
    },
  ];
}

/**
 * Each file as written, and as a file of before checksums: most damage to the first is caught by
 * its checksums, so the second keeps the checks behind them fuzzed.
 */
function withAndWithoutChecksums(files: Uint8Array[]): Uint8Array[] {
  return files.flatMap((bytes) => {
    const { tensors, metadata } = decodeSafetensors(bytes, "seed");
    const { [CHECKSUMS_KEY]: _, ...rest } = metadata;
    return [bytes, encodeSafetensors([...tensors], rest)];
  });
}

/** One random damage to a copy of `seed`, and its name. */
export function mutate(seed: Uint8Array, rng: Rng): [Uint8Array, string] {
  const pick = (n: number) => rng.nextUint32() % n;
  const b = seed.slice();
  switch (pick(10)) {
    case 0: {
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) {
        const at = pick(b.length);
        b[at] = (b[at] as number) ^ (1 << pick(8));
      }
      return [b, `${flips} bit flip(s)`];
    }
    case 1: {
      const at = pick(b.length);
      const value = [0, 0xff, 0x7f, 0x80, 1][pick(5)] as number;
      b[at] = value;
      return [b, `byte ${at} set to ${value}`];
    }
    case 2: {
      const at = pick(b.length);
      return [b.subarray(0, at), `truncated to ${at} bytes`];
    }
    case 3: {
      const extra = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
      return [concatBytes([b, extra]), `${extra.length} random bytes appended`];
    }
    case 4: {
      // A random 64-bit little-endian length at the start (safetensors' header length).
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (b.length >= 8) {
        const hi = [0, 1, 0xffff, 0xffffffff][pick(4)] as number;
        view.setUint32(0, rng.nextUint32(), true);
        view.setUint32(4, hi, true);
      }
      return [b, "random leading length"];
    }
    case 5: {
      // A big-endian 32-bit field (IDX dimensions) set to a random or extreme value.
      const at = 4 * pick(Math.max(1, Math.min(8, b.length >> 2)));
      // Moderate sizes too: a PNG declaring 20000 × 20000 was allocated for, where 2^31 was refused.
      const value = [0, 1, 0x7fffffff, 0xffffffff, rng.nextUint32(), 20000, 1000 + pick(9000)][pick(7)] as number;
      if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, value, false);
      return [b, `uint32 at ${at} set to ${value}`];
    }
    case 6: {
      // A number in the JSON header replaced: offsets, shapes, lengths, counts.
      const text = new TextDecoder("latin1").decode(b);
      const numbers = [...text.matchAll(/\d+/g)].filter((m) => (m.index ?? 0) < 4096);
      if (numbers.length === 0) return [b, "no number to replace"];
      const m = numbers[pick(numbers.length)] as RegExpMatchArray;
      const value = ["0", "-1", "1e400", "9007199254740993", String(rng.nextUint32()), '"x"', "null"][
        pick(7)
      ] as string;
      const replaced = text.slice(0, m.index) + value + text.slice((m.index ?? 0) + m[0].length);
      return [Uint8Array.from(replaced, (c) => c.charCodeAt(0) & 0xff), `header number ${m[0]} → ${value}`];
    }
    case 9: {
      // A JPEG frame's height or width (a big-endian uint16 5 or 7 bytes after an SOFn marker).
      const sofs = [...b.keys()].filter((i) => b[i] === 0xff && ((b[i + 1] as number) & 0xf0) === 0xc0);
      const at = sofs.length > 0 ? (sofs[pick(sofs.length)] as number) + [5, 7][pick(2)]! : pick(b.length);
      const value = [0, 1, 0xffff, 20000, 1000 + pick(9000)][pick(5)] as number;
      if (at + 2 <= b.length) new DataView(b.buffer, b.byteOffset).setUint16(at, value, false);
      return [b, `uint16 at ${at} set to ${value}`];
    }
    case 8: {
      // A token that means something to a text format, inserted: quotes, separators, extreme numbers.
      const token = ['"', ",", "\n", "\r", "\t", '""', "1e309", "-0", "NaN", "9007199254740993", "\u00e9", "label"][
        pick(12)
      ] as string;
      const at = pick(b.length + 1);
      return [
        concatBytes([b.subarray(0, at), new TextEncoder().encode(token), b.subarray(at)]),
        `${JSON.stringify(token)} at ${at}`,
      ];
    }
    default: {
      const a = pick(b.length);
      const len = pick(Math.min(256, b.length - a) + 1);
      return [concatBytes([b.subarray(0, a), b.subarray(a + len)]), `${len} bytes cut at ${a}`];
    }
  }
}

/** Runs `cases` mutations per target (or until `deadline`, ms since the epoch), from `seed`. */
export function fuzz(
  list: Target[],
  options: { cases: number; seed: number; deadline?: number; timeLimitMs?: number; memoryLimitBytes?: number },
): FuzzReport {
  const rng = new Rng(options.seed);
  const timeLimit = options.timeLimitMs ?? 2000;
  const memoryLimit = options.memoryLimitBytes ?? 1024 * 1024 * 1024;
  const report: FuzzReport = {
    cases: 0,
    accepted: 0,
    rejected: 0,
    slowestMs: 0,
    slowest: "",
    peakBytes: 0,
    peakRss: 0,
    targets: Object.fromEntries(list.map((t) => [t.name, { accepted: 0, rejected: 0 }])),
    failures: [],
  };
  for (let i = 0; i < options.cases; i++) {
    if (options.deadline !== undefined && Date.now() > options.deadline) break;
    for (const t of list) {
      let [bytes, mutation] = mutate(t.seeds[i % t.seeds.length] as Uint8Array, rng);
      if (t.repair && rng.nextUint32() % 2 === 0) {
        bytes = t.repair(bytes);
        mutation += ", checksums repaired";
      }
      const fail = (problem: string) =>
        report.failures.push({ target: t.name, case: i, mutation, problem, bytes: bytes.slice() });
      const started = performance.now();
      const counts = report.targets[t.name] as { accepted: number; rejected: number };
      try {
        t.decode(bytes);
        report.accepted++;
        counts.accepted++;
      } catch (error) {
        if (error instanceof StackaeError) {
          report.rejected++;
          counts.rejected++;
        } else fail(`threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
      }
      const ms = performance.now() - started;
      if (ms > report.slowestMs) {
        report.slowestMs = ms;
        report.slowest = `${t.name} case ${i} (${mutation})`;
      }
      if (ms > timeLimit) fail(`took ${ms.toFixed(0)} ms`);
      const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
      report.peakBytes = Math.max(report.peakBytes, heapUsed + arrayBuffers);
      report.peakRss = Math.max(report.peakRss, rss);
      if (rss > memoryLimit) fail(`the resident set reached ${rss} bytes`);
      report.cases++;
    }
  }
  return report;
}
