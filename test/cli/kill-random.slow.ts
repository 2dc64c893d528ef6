// `npm run test:kill`: 24 SIGKILLs at random moments of runs resumed each time (issue 30: at least 20).
import assert from "node:assert/strict";
import { it } from "node:test";
import { killAndResume, killSeed } from "./kill-random.ts";

const kills = Number(process.env.STACKAE_KILLS ?? 24);

it(`SIGKILL at ${kills} random moments, resumed each time, always leaves a resumable checkpoint and ends in the uninterrupted run's model`, {
  timeout: 1_800_000,
}, async () => {
  const seed = killSeed();
  const r = await killAndResume(kills, seed);
  process.stderr.write(`kill test (seed ${seed}): ${JSON.stringify(r)}\n`);
  assert.equal(r.kills, kills);
  assert.equal(r.resumable + r.beforeFirstCheckpoint, r.kills);
  // Most kills land inside training, not all before the first checkpoint.
  assert.ok(r.resumable >= kills / 2, JSON.stringify(r));
});
