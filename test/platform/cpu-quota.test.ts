// The control group's CPU quota, read from file trees laid out as Linux shows them: cgroup v2
// (a container's, and a group below others), v1 (this project's machine: the cpu controller on
// its own mount), v1 inside a container that sees its own group as the mount's root.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { cgroupCpuLimit } from "../../src/platform/cpu-quota.ts";

const base = mkdtempSync(join(tmpdir(), "stackae-cgroup-"));
let trees = 0;

/** A file tree under a new folder: path → contents. */
function tree(files: Record<string, string>): string {
  const root = join(base, String(trees++));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const V2_MOUNT = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n";
const V1_MOUNTS = [
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
  "33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
].join("\n");

describe("cgroupCpuLimit", () => {
  it("cgroup v2: a container's cpu.max, rounded down to whole cores, at least 1", () => {
    const v2 = (max: string) =>
      cgroupCpuLimit(
        tree({ "proc/self/cgroup": "0::/\n", "proc/self/mountinfo": V2_MOUNT, "sys/fs/cgroup/cpu.max": max }),
      );
    assert.equal(v2("200000 100000\n"), 2);
    assert.equal(v2("250000 100000\n"), 2);
    assert.equal(v2("50000 100000\n"), 1);
    assert.equal(v2("max 100000\n"), null);
  });

  it("cgroup v2: the smallest quota of the group and the groups above it", () => {
    const root = tree({
      "proc/self/cgroup": "0::/user.slice/job\n",
      "proc/self/mountinfo": V2_MOUNT,
      "sys/fs/cgroup/user.slice/cpu.max": "300000 100000\n",
      "sys/fs/cgroup/user.slice/job/cpu.max": "max 100000\n",
    });
    assert.equal(cgroupCpuLimit(root), 3);
  });

  it("cgroup v1: the cpu controller's cfs quota and period; -1 is no quota", () => {
    const v1 = (quota: string) =>
      cgroupCpuLimit(
        tree({
          "proc/self/cgroup": "4:memory:/\n1:cpu:/run\n0::/\n",
          "proc/self/mountinfo": V1_MOUNTS,
          "sys/fs/cgroup/cpu/run/cpu.cfs_quota_us": quota,
          "sys/fs/cgroup/cpu/run/cpu.cfs_period_us": "100000\n",
          "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
          "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
        }),
      );
    assert.equal(v1("400000\n"), 4);
    assert.equal(v1("-1\n"), null);
  });

  it("cgroup v1 inside a container: the group is the mount's root, read at the mount point", () => {
    const root = tree({
      "proc/self/cgroup": "3:cpu,cpuacct:/docker/4f2a\n",
      "proc/self/mountinfo":
        "40 35 0:33 /docker/4f2a /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    });
    assert.equal(cgroupCpuLimit(root), 2);
  });

  it("no cgroup files (not Linux), or no quota files: null", () => {
    assert.equal(cgroupCpuLimit(tree({})), null);
    assert.equal(cgroupCpuLimit(tree({ "proc/self/cgroup": "0::/\n", "proc/self/mountinfo": V2_MOUNT })), null);
  });
});
