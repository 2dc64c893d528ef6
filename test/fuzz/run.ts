// `npm run fuzz [-- --seconds N] [--seed S]`: fuzzes the file readers until the time is up (or
// for --cases N rounds, one case of each format a round), prints a summary (one JSON object with
// --json), writes each failing input to fuzz-failures/, and exits 1 when there is any. A case
// fails when it throws anything but a StackaeError, takes over 2 s, or leaves the process's
// resident set above 1 GiB.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fuzz, targets } from "./fuzz.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    cases: { type: "string" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    json: { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const report = fuzz(targets(), {
  cases: values.cases === undefined ? Number.MAX_SAFE_INTEGER : Number(values.cases),
  seed,
  ...(values.cases === undefined ? { deadline: Date.now() + seconds * 1000 } : {}),
});
if (values.json) {
  const { failures, ...summary } = report;
  console.log(JSON.stringify({ seed, ...summary, failures: failures.map(({ bytes: _, ...f }) => f) }));
} else {
  console.log(
    `seed ${seed}: ${report.cases} cases, ${report.rejected} rejected with a typed error, ${report.accepted} accepted, ${report.failures.length} failures; slowest ${report.slowestMs.toFixed(1)} ms (${report.slowest}); peak heap + buffers ${(report.peakBytes / 2 ** 20).toFixed(0)} MiB, peak resident set ${(report.peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const [target, { accepted, rejected }] of Object.entries(report.targets))
    console.log(`  ${target}: ${rejected} rejected, ${accepted} accepted`);
}
if (report.failures.length > 0) {
  mkdirSync("fuzz-failures", { recursive: true });
  for (const [i, f] of report.failures.entries()) {
    const file = join("fuzz-failures", `${f.target}-${i}.bin`);
    writeFileSync(file, f.bytes);
    if (!values.json) console.log(`${file}: ${f.target} case ${f.case} (${f.mutation}): ${f.problem}`);
  }
  process.exitCode = 1;
}
