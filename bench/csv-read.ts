// The time to read MNIST as Kaggle's CSV layout (mnist_train.csv, mnist_test.csv: header
// `label,pixel0,…,pixel783`, the label first; 110 + 18 MB) against the same data as IDX files,
// both sets each way, plain and gzipped. Issue #27 asks for CSV ≤ 3× IDX. Wall and CPU time,
// median of ROUNDS (5 by default); CPU time is the fairer figure on a machine that others share.
// Usage: node --import tsx bench/csv-read.ts
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readCsv } from "../src/data/csv-file.ts";
import { MNIST_FILES, mnistDataDir, readDataDir, readIdx } from "../src/data/files.ts";

const rounds = Number(process.env.ROUNDS ?? 5);
const source = mnistDataDir();
const dir = mkdtempSync(join(tmpdir(), "stackae-bench-csv-"));
const plain = join(dir, "idx");
const gz = join(dir, "idx-gz");
mkdirSync(plain);
mkdirSync(gz);

// 1. The IDX files, as they are and gzipped.
for (const name of Object.values(MNIST_FILES)) {
  copyFileSync(join(source, name), join(plain, name));
  writeFileSync(join(gz, `${name}.gz`), gzipSync(readFileSync(join(source, name))));
}

// 2. The same data in Kaggle's CSV layout, as they are and gzipped.
function writeCsv(images: string, labels: string, name: string): void {
  const pixels = readIdx(join(source, images)).data;
  const ys = readIdx(join(source, labels)).data;
  const lines = [`label,${Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(",")}`];
  for (let i = 0; i < ys.length; i++) lines.push(`${ys[i]},${pixels.subarray(i * 784, (i + 1) * 784).join(",")}`);
  const text = `${lines.join("\n")}\n`;
  writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
}
writeCsv(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, "mnist_train.csv");
writeCsv(MNIST_FILES.testImages, MNIST_FILES.testLabels, "mnist_test.csv");

// 3. Time each, the four interleaved in every round.
interface Time {
  wall: number;
  cpu: number;
}
async function time(fn: () => unknown): Promise<Time> {
  const u = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const c = process.cpuUsage(u);
  return { wall, cpu: (c.user + c.system) / 1000 };
}
const csvPair = (ext: string) => () =>
  Promise.all([readCsv(join(dir, `mnist_train.csv${ext}`)), readCsv(join(dir, `mnist_test.csv${ext}`))]);
const cases: [string, () => unknown][] = [
  ["IDX", () => readDataDir(plain)],
  ["CSV", csvPair("")],
  ["IDX .gz", () => readDataDir(gz)],
  ["CSV .gz", csvPair(".gz")],
];
const times = new Map<string, Time[]>(cases.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) for (const [name, fn] of cases) times.get(name)?.push(await time(fn));
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const stat = (name: string, key: keyof Time) => median((times.get(name) ?? []).map((t) => t[key]));
console.log(`MNIST, both sets (70,000 examples), median of ${rounds} rounds`);
for (const [name] of cases) {
  console.log(
    `  ${name.padEnd(8)} wall ${stat(name, "wall").toFixed(0).padStart(5)} ms   cpu ${stat(name, "cpu").toFixed(0).padStart(5)} ms`,
  );
}
for (const ext of ["", " .gz"]) {
  const wall = stat(`CSV${ext}`, "wall") / stat(`IDX${ext}`, "wall");
  const cpu = stat(`CSV${ext}`, "cpu") / stat(`IDX${ext}`, "cpu");
  console.log(`  CSV${ext} ÷ IDX${ext}: wall ${wall.toFixed(2)}×, cpu ${cpu.toFixed(2)}× (issue #27: at most 3×)`);
}
