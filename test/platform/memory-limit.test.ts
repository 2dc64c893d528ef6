// The memory a process may use: the machine's free memory, and its control group's limit less
// what the group uses, read from file trees laid out as Linux shows them (v1 and v2).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { memoryAvailable } from "../../src/platform/memory-limit.ts";

const base = mkdtempSync(join(tmpdir(), "stackae-memcg-"));
let trees = 0;

function tree(files: Record<string, string>): string {
  const root = join(base, String(trees++));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const GiB = 2 ** 30;
const machine = { total: 64 * GiB, free: 40 * GiB };
const V2_MOUNT = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n";

describe("memoryAvailable", () => {
  it("cgroup v2: the group's memory.max less its memory.current, and no more than is free", () => {
    const v2 = (max: string, current: string) =>
      memoryAvailable(
        tree({
          "proc/self/cgroup": "0::/job\n",
          "proc/self/mountinfo": V2_MOUNT,
          "sys/fs/cgroup/job/memory.max": max,
          "sys/fs/cgroup/job/memory.current": current,
        }),
        machine,
      );
    const limited = v2(`${4 * GiB}\n`, `${GiB}\n`);
    assert.deepEqual(limited, { ...machine, limit: 4 * GiB, used: GiB, available: 3 * GiB });
    assert.deepEqual(v2("max\n", `${GiB}\n`), { ...machine, limit: null, used: null, available: 40 * GiB });
    assert.equal(v2(`${60 * GiB}\n`, "0\n").available, 40 * GiB, "free memory bounds a loose limit");
  });

  it("cgroup v1: memory.limit_in_bytes, its huge 'no limit' read as none", () => {
    const v1 = (limit: string) =>
      memoryAvailable(
        tree({
          "proc/self/cgroup": "4:memory:/run\n1:cpu:/\n",
          "proc/self/mountinfo": "33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
          "sys/fs/cgroup/memory/run/memory.limit_in_bytes": limit,
          "sys/fs/cgroup/memory/run/memory.usage_in_bytes": `${2 * GiB}\n`,
          "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        }),
        machine,
      );
    assert.equal(v1(`${8 * GiB}\n`).available, 6 * GiB);
    assert.equal(v1("9223372036854771712\n").limit, null);
  });

  it("no cgroup files (not Linux): the machine's free memory", () => {
    assert.deepEqual(memoryAvailable(tree({}), machine), { ...machine, limit: null, used: null, available: 40 * GiB });
  });
});
