// `npm run fuzz [-- --seconds N] [--seed S]`: fuzzes the file readers until the time is up, prints
// a summary, writes each failing input to fuzz-failures/, and exits 1 when there is any.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fuzz, targets } from "./fuzz.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
  },
});
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const list = targets();
const report = fuzz(list, { cases: Number.MAX_SAFE_INTEGER, seed, deadline: Date.now() + seconds * 1000 });
console.log(
  `seed ${seed}, ${seconds} s: ${report.cases} cases, ${report.rejected} rejected with a typed error, ${report.accepted} accepted, ${report.failures.length} failures; slowest ${report.slowestMs.toFixed(1)} ms; peak heap + buffers ${(report.peakBytes / 2 ** 20).toFixed(0)} MiB`,
);
if (report.failures.length > 0) {
  mkdirSync("fuzz-failures", { recursive: true });
  for (const [i, f] of report.failures.entries()) {
    const file = join("fuzz-failures", `${f.target}-${i}.bin`);
    writeFileSync(file, f.bytes);
    console.log(`${file}: ${f.target} case ${f.case} (${f.mutation}): ${f.problem}`);
  }
  process.exitCode = 1;
}
