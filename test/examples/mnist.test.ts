// The example a user copies from must run as it stands, on every Node the suite runs on.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

it("examples/mnist.ts (QUICK=1) trains, prints both accuracies and nothing on stderr", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "examples/mnist.ts")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, QUICK: "1" },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  const percent = (label: string) => {
    const m = r.stdout.match(new RegExp(`test accuracy ${label} fine-tuning: (\\d+\\.\\d\\d)%`));
    assert.ok(m, `no "${label}" line in:\n${r.stdout}`);
    return Number(m[1]);
  };
  // 2,000 images and 40 iterations a stage: about 81 % before and 91 % after here.
  const before = percent("before");
  const after = percent("after");
  assert.ok(before > 60, `before ${before}`);
  assert.ok(after > 85 && after > before, `after ${after}, before ${before}`);
});
