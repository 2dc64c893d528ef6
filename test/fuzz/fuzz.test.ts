// A bounded fuzz run in the test suite: 1,000 damaged files of each format (IDX, CSV, PNG, JPEG,
// model; checkpoints twice: the full reader and the header-only one must agree), in a child
// process that is killed after 120 s, so that a reader that hangs fails the test instead of
// stalling the suite. `npm run fuzz` runs longer (docs/errors-data.md).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

it("damaged IDX, CSV, PNG, JPEG, model and checkpoint files give typed errors only, quickly, in bounded memory", (t) => {
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(new URL("run.ts", import.meta.url)),
      "--cases",
      "1000",
      "--seed",
      "20261125",
      "--json",
    ],
    { encoding: "utf8", timeout: 120_000, cwd: fileURLToPath(new URL("../..", import.meta.url)) },
  );
  assert.equal(run.signal, null, `the fuzz run was killed (${run.signal}): a reader hangs`);
  const report = JSON.parse(run.stdout) as {
    cases: number;
    accepted: number;
    rejected: number;
    slowestMs: number;
    peakBytes: number;
    peakRss: number;
    targets: Record<string, { accepted: number; rejected: number }>;
    failures: { target: string; case: number; mutation: string; problem: string }[];
  };
  t.diagnostic(
    `${report.cases} cases: ${report.rejected} rejected with a typed error, ${report.accepted} accepted; slowest ${report.slowestMs.toFixed(1)} ms; peak heap + buffers ${(report.peakBytes / 2 ** 20).toFixed(0)} MiB, resident set ${(report.peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.deepEqual(
    report.failures.slice(0, 5).map((f) => `${f.target} case ${f.case} (${f.mutation}): ${f.problem}`),
    [],
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(report.cases, 7000);
  for (const [target, { accepted, rejected }] of Object.entries(report.targets)) {
    assert.ok(accepted > 0 && rejected > 0, `${target}: ${accepted} accepted, ${rejected} rejected; each sees both`);
  }
  assert.equal(Object.keys(report.targets).length, 7);
  assert.ok(report.rejected > report.cases / 2, "most damage is detected");
});
