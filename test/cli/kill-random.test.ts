// A short kill -9 run for the default suite; `npm run test:kill` runs many more (kill-random.ts).
import assert from "node:assert/strict";
import { it } from "node:test";
import { killAndResume, killSeed } from "./kill-random.ts";

it("SIGKILL at 3 random moments, resumed each time, ends in the uninterrupted run's model", {
  timeout: 120_000,
}, async () => {
  const seed = killSeed();
  const r = await killAndResume(3, seed);
  process.stderr.write(`kill test (seed ${seed}): ${JSON.stringify(r)}\n`);
  assert.equal(r.kills, 3);
  assert.equal(r.resumable + r.beforeFirstCheckpoint, r.kills);
});
