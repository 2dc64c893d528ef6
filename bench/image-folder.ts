// `node --import tsx bench/image-folder.ts [N]`: the time to read an image folder of N of MNIST's
// training digits (default 10,000) written out as PNGs under class folders zero … nine, against
// the time to read all 70,000 as IDX files, and the pictures read a second. Each picture is read,
// decoded by pngjs, made gray and prepared as predict prepares it (imageToInput).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { readMnist } from "../src/data/files.ts";
import { readImageFolder } from "../src/data/image-folder-file.ts";

const count = Number(process.argv[2] ?? 10000);
const names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const t0 = performance.now();
const { train } = readMnist();
const idxMs = performance.now() - t0;
if (!(count >= 1 && count <= train.count)) throw new Error(`N must be 1 … ${train.count}, got ${process.argv[2]}`);

// 1. Write the folder (not timed as reading).
const dir = mkdtempSync(join(tmpdir(), "stackae-bench-images-"));
try {
  for (const name of names) mkdirSync(join(dir, name));
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const data = PNG.sync.write(
      Object.assign(png, { data: Buffer.from(train.pixels.subarray(i * 784, (i + 1) * 784)) }),
      {
        colorType: 0,
        inputColorType: 0,
        inputHasAlpha: false,
      },
    );
    bytes += data.length;
    writeFileSync(join(dir, names[train.labels[i] as number] as string, `${i}.png`), data);
  }
  // 2. Read it, three times; the median is reported.
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const { train: read } = await readImageFolder(dir);
    times.push(performance.now() - t);
    if (read.labels.length !== count) throw new Error(`read ${read.labels.length} pictures, wrote ${count}`);
  }
  const ms = times.sort((a, b) => a - b)[1] as number;
  console.log(
    `${count} PNGs of 28 × 28 (${(bytes / 1e6).toFixed(1)} MB): read in ${(ms / 1000).toFixed(2)} s ` +
      `(runs ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s), ${Math.round(count / (ms / 1000))} pictures/s; ` +
      `MNIST's 70,000 as IDX: ${(idxMs / 1000).toFixed(2)} s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
