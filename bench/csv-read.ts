// The time to read MNIST as Kaggle's CSV layout (mnist_train.csv, mnist_test.csv: header
// `label,pixel0,…,pixel783`, the label first; 110 + 18 MB) against the same data as IDX files,
// both sets each way, plain and gzipped. Issue #27 asks for CSV ≤ 3× IDX. Wall and CPU time
// (the process's, every thread: gunzip and file reads run on libuv's pool), median of ROUNDS
// (7 by default), every case once in each round so that a change in the machine's load falls on
// all alike; the load average is printed beside the figures. CPU time is the fairer figure on a
// machine that others share. Besides the readers it times what bounds them: the CSV's bytes read
// and nothing done with them, the CSV gunzipped and nothing done, and a fresh 70,000 × 784 array
// filled, of bytes (what a CSV read of MNIST gives, as the IDX reader does) and of float32 (what
// it gave before it kept integers 0–255 as bytes; "CSV float32" times that read, `float32: true`).
// Usage: node --import tsx bench/csv-read.ts   (ROUNDS=N to change the rounds)
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip, gzipSync } from "node:zlib";
import { readCsv } from "../src/data/csv-file.ts";
import { MNIST_FILES, mnistDataDir, readDataDir, readIdx } from "../src/data/files.ts";

const rounds = Number(process.env.ROUNDS ?? 7);
const source = mnistDataDir();
const dir = mkdtempSync(join(tmpdir(), "stackae-bench-csv-"));
const plain = join(dir, "idx");
const gz = join(dir, "idx-gz");
mkdirSync(plain);
mkdirSync(gz);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// 1. The IDX files, as they are and gzipped (as MNIST's site gives them).
for (const name of Object.values(MNIST_FILES)) {
  const bytes = readFileSync(join(source, name));
  writeFileSync(join(plain, name), bytes);
  writeFileSync(join(gz, `${name}.gz`), gzipSync(bytes));
}

// 2. The same data in Kaggle's CSV layout, as they are (as Kaggle gives them) and gzipped.
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
const csvFiles = (ext: string) => [join(dir, `mnist_train.csv${ext}`), join(dir, `mnist_test.csv${ext}`)];

// 3. What bounds a CSV read, each done to both files at once as readCsv's pair is.
async function readBytes(path: string): Promise<void> {
  const file = await open(path, "r");
  const buf = new Uint8Array(2 ** 20);
  while ((await file.read(buf, 0, buf.length, null)).bytesRead > 0);
  await file.close();
}
async function gunzipOnly(path: string): Promise<void> {
  for await (const _ of createReadStream(path, { highWaterMark: 2 ** 20 }).pipe(createGunzip({ chunkSize: 2 ** 20 })));
}
function float32Out(): number {
  const out = new Float32Array(70_000 * 784).fill(1); // a native fill: the new memory's cost, no parsing
  return out[12345] as number;
}
function bytesOut(): number {
  const out = new Uint8Array(70_000 * 784).fill(1);
  return out[12345] as number;
}

// 4. Time each case, all of them in every round.
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
const cases: [string, () => unknown][] = [
  ["IDX", () => readDataDir(plain)],
  ["CSV", () => Promise.all(csvFiles("").map((f) => readCsv(f)))],
  ["IDX .gz", () => readDataDir(gz)],
  ["CSV .gz", () => Promise.all(csvFiles(".gz").map((f) => readCsv(f)))],
  ["CSV float32", () => Promise.all(csvFiles("").map((f) => readCsv(f, { float32: true })))],
  ["CSV bytes read", () => Promise.all(csvFiles("").map(readBytes))],
  ["CSV .gz gunzipped", () => Promise.all(csvFiles(".gz").map(gunzipOnly))],
  ["bytes out", bytesOut],
  ["float32 out", float32Out],
];
const times = new Map<string, Time[]>(cases.map(([name]) => [name, []]));
const loadBefore = loadavg();
for (let r = 0; r < rounds; r++) for (const [name, fn] of cases) times.get(name)?.push(await time(fn));
const loadAfter = loadavg();
rmSync(dir, { recursive: true, force: true });

// 5. Report.
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const stat = (name: string, key: keyof Time) => median((times.get(name) ?? []).map((t) => t[key]));
const ms = (x: number) => x.toFixed(0).padStart(5);
console.log(
  `MNIST, both sets (70,000 examples), median of ${rounds} rounds; load average ${loadBefore} → ${loadAfter}`,
);
for (const [name] of cases)
  console.log(`  ${name.padEnd(18)} wall ${ms(stat(name, "wall"))} ms   cpu ${ms(stat(name, "cpu"))} ms`);
const ratio = (a: string, b: string, what: string, target = false) => {
  const wall = stat(a, "wall") / stat(b, "wall");
  const cpu = stat(a, "cpu") / stat(b, "cpu");
  const verdict = target ? (cpu <= 3 ? "  [≤ 3× by cpu]" : "  [OVER 3× by cpu]") : "";
  console.log(
    `  ${`${a} ÷ ${b}`.padEnd(30)} wall ${wall.toFixed(2).padStart(5)}×   cpu ${cpu.toFixed(2).padStart(5)}×   ${what}${verdict}`,
  );
};
console.log("Ratios (issue #27: at most 3×):");
ratio("CSV", "IDX", "both plain", true);
ratio("CSV .gz", "IDX .gz", "both gzipped", true);
ratio("CSV", "IDX .gz", "as distributed: Kaggle's plain CSV, MNIST's gzipped IDX", true);
ratio("CSV float32", "IDX", "both plain, the CSV read into float32 (as before bytes)");
console.log("What bounds them (the floor of a CSV read, against the IDX read):");
ratio("CSV bytes read", "IDX", "reading the CSV's bytes, nothing done with them");
ratio("bytes out", "IDX", "filling a new array of the 70,000 × 784 bytes a CSV read of MNIST gives");
ratio("float32 out", "IDX", "the same as float32 values (what a CSV read gave before)");
ratio("CSV .gz gunzipped", "IDX .gz", "inflating the CSV, nothing done with the text");
