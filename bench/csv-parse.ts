// The CSV parse alone, the JS parser against its WebAssembly fast path (src/data/csv-wasm.ts),
// on Kaggle's MNIST training CSV (110 MB, written from the IDX files) held in memory in 1 MiB
// chunks, so that no file reading is timed: each parse makes its new 47 MB output array, as a read
// does. Both in every round (ROUNDS, 9 by default), medians and minima of CPU and wall time, with
// the load average. Usage: node --import tsx bench/csv-parse.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsvSync } from "../src/data/csv.ts";
import { useCsvWasm } from "../src/data/csv-wasm.ts";
import { MNIST_FILES, mnistDataDir, readIdx } from "../src/data/files.ts";

const rounds = Number(process.env.ROUNDS ?? 9);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const pixels = readIdx(join(mnistDataDir(), MNIST_FILES.trainImages)).data;
const ys = readIdx(join(mnistDataDir(), MNIST_FILES.trainLabels)).data;
const lines = [`label,${Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(",")}`];
for (let i = 0; i < ys.length; i++) lines.push(`${ys[i]},${pixels.subarray(i * 784, (i + 1) * 784).join(",")}`);
const text = new TextEncoder().encode(`${lines.join("\n")}\n`);
lines.length = 0;
const chunks: Uint8Array[] = [];
for (let i = 0; i < text.length; i += 2 ** 20) chunks.push(text.subarray(i, i + 2 ** 20));

const cases = [
  ["JS parser alone", false],
  ["WebAssembly fast path", true],
] as const;
const cpu: number[][] = cases.map(() => []);
const wall: number[][] = cases.map(() => []);
const loadBefore = loadavg();
for (let r = 0; r < rounds; r++) {
  for (const [i, [, wasm]] of cases.entries()) {
    useCsvWasm(wasm);
    const u = process.cpuUsage();
    const t = performance.now();
    parseCsvSync(chunks, { file: "mnist_train.csv", expectedBytes: text.length });
    wall[i]?.push(performance.now() - t);
    const c = process.cpuUsage(u);
    cpu[i]?.push((c.user + c.system) / 1000);
  }
}
useCsvWasm(true);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ms = (x: number) => x.toFixed(0).padStart(5);
console.log(
  `MNIST training CSV (${(text.length / 1e6).toFixed(0)} MB) parsed from memory, ${rounds} rounds; load average ${loadBefore} → ${loadavg()}`,
);
for (const [i, [name]] of cases.entries()) {
  const c = cpu[i] as number[];
  const w = wall[i] as number[];
  console.log(
    `  ${name.padEnd(22)} cpu median ${ms(median(c))} ms, min ${ms(Math.min(...c))}   wall median ${ms(median(w))} ms, min ${ms(Math.min(...w))}`,
  );
}
