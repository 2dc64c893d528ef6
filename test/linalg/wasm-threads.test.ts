import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

// A lost wake-up once hung the pool: the worker read the state a second time as Atomics.wait's
// expected value, and slept through the main thread's only notify. The race is narrow, so this
// is a guard, not a reproduction: many hand-overs, in a child process with a hard timeout.
it("the worker pool survives 10,000 back-to-back hand-overs without deadlock", () => {
  const script = fileURLToPath(new URL("./pool-stress.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "10000"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.signal, null, `killed by ${run.signal} after 120 s: the pool deadlocked`);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^ok 10000 40\.5$/m, "every product is right (162 × 0.5 × 0.5 = 40.5)");
});
