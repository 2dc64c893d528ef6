// A bounded fuzz run in the test suite: 1,500 damaged files of each format. `npm run fuzz` runs longer.
import assert from "node:assert/strict";
import { it } from "node:test";
import { fuzz, targets } from "./fuzz.ts";

// The timeout turns a hang (a reader looping for ever) into a failure rather than a stuck suite.
it("damaged IDX, model and checkpoint files give typed errors only, quickly, in bounded memory", {
  timeout: 120_000,
}, (t) => {
  const report = fuzz(targets(), { cases: 1500, seed: 20261125, timeLimitMs: 2000, memoryLimitBytes: 1 << 30 });
  t.diagnostic(
    `${report.cases} cases: ${report.rejected} rejected with a typed error, ${report.accepted} accepted; slowest ${report.slowestMs.toFixed(1)} ms; peak heap + buffers ${(report.peakBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.deepEqual(
    report.failures.slice(0, 5).map((f) => `${f.target} case ${f.case} (${f.mutation}): ${f.problem}`),
    [],
  );
  assert.equal(report.cases, 4500);
  assert.ok(report.rejected > report.cases / 2, "most damage is detected");
});
