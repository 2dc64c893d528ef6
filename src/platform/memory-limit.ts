// The memory a process may use here: the machine's, and its control group's limit where it has
// one (a container started with `--memory 4g` sees the host's memory in os.totalmem(), and is
// killed past its limit). Read as cpu-quota.ts reads the CPU quota, cgroup v1 and v2 alike.
import { freemem, totalmem } from "node:os";
import { cgroupDirs } from "./cpu-quota.ts";

/** What this process can count on, in bytes. */
export interface MemoryAvailable {
  /** The machine's memory (os.totalmem). */
  total: number;
  /** Memory the machine has free for new allocations now (os.freemem: Linux's MemAvailable). */
  free: number;
  /** The control group's limit, the smallest over the group and those above it; null where none. */
  limit: number | null;
  /** The control group's memory in use now (its processes, this one's included); null where unknown. */
  used: number | null;
  /** What a new allocation can have: free memory, and no more than the group's limit leaves. */
  available: number;
}

/** The memory available to this process (`root` prefixes the cgroup paths read, for tests). */
export function memoryAvailable(root = "/", machine = { total: totalmem(), free: freemem() }): MemoryAvailable {
  let limit: number | null = null;
  let used: number | null = null;
  for (const { version, dir, read } of cgroupDirs("memory", root)) {
    const bytes = parseLimit(read(`${dir}/${version === 2 ? "memory.max" : "memory.limit_in_bytes"}`));
    if (bytes === null || bytes >= machine.total) continue;
    if (limit === null || bytes < limit) {
      limit = bytes;
      used = parseLimit(read(`${dir}/${version === 2 ? "memory.current" : "memory.usage_in_bytes"}`));
    }
  }
  const left = limit === null ? Number.POSITIVE_INFINITY : limit - (used ?? 0);
  return { ...machine, limit, used, available: Math.max(0, Math.min(machine.free, left)) };
}

/** A limit file's bytes: "max" (v2) or a huge number (v1's "no limit") read as none. */
function parseLimit(text: string | null): number | null {
  const value = Number(text?.trim());
  return text !== null && Number.isFinite(value) && value > 0 && value < 2 ** 60 ? value : null;
}
