// enableRelaxedSimd turns the fused multiply-add kernels on without a word on stderr: Node 20
// needs the V8 flag, and Node 22 and later, which have relaxed SIMD on, print "unrecognized flag"
// for it (and `node --experimental-wasm-relaxed-simd` exits there with "bad option").
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./relaxed-simd-child.ts", import.meta.url));

it("turns relaxed SIMD on in a fresh process, agrees with the shipped kernels and prints nothing", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", child], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  const { before, enabled, after } = JSON.parse(r.stdout);
  assert.equal(before.probe, before.kernel, "the probe and kernels-relaxed.wasm disagree before");
  assert.deepEqual(after, { probe: true, kernel: true });
  assert.equal(enabled, true);
});
