// The CPU quota of this process's control group (Linux): a container started with `--cpus 2` on
// a 64-core host may use two cores' time, but sees 64 cores. Node 20's os.availableParallelism()
// (libuv 1.46) ignores the quota, so a kernel thread per core would spin 64 threads on two
// cores' time. libuv reads quotas from 1.49 on, but on this project's machine (cgroup v1, the cpu
// controller on its own mount) Node 22.23 and 24.22 (libuv 1.51, 1.52) still reported 2 under a
// quota of one core, and of half a core. This reads v1 and v2 alike, on every Node version.
import { readFileSync } from "node:fs";
import { posix } from "node:path";

/**
 * The whole cores' worth of CPU time the control group allows (its quota ÷ its period, rounded
 * down, at least 1), the smallest over the group and the groups above it; null where there is
 * no quota, or no cgroup file system (not Linux). `root` prefixes every path read (for tests).
 */
export function cgroupCpuLimit(root = "/"): number | null {
  let limit: number | null = null;
  for (const { version, dir, read } of cgroupDirs("cpu", root)) {
    const cores = version === 2 ? quotaV2(read(`${dir}/cpu.max`)) : quotaV1(read, dir);
    if (cores !== null) limit = Math.min(limit ?? cores, cores);
  }
  return limit;
}

/** A folder of a control group that holds this process, and how to read its files. */
export interface CgroupDir {
  version: 1 | 2;
  dir: string;
  read: (path: string) => string | null;
}

/**
 * The folders of this process's control group and of the groups above it, in the v2 hierarchy
 * and in the v1 hierarchy that carries `controller` ("cpu", "memory"); none where there is no
 * cgroup file system (not Linux). `root` prefixes every path read (for tests).
 */
export function cgroupDirs(controller: string, root = "/"): CgroupDir[] {
  const read = (path: string): string | null => {
    try {
      return readFileSync(posix.join(root, path), "utf8");
    } catch {
      return null;
    }
  };
  const groups = read("/proc/self/cgroup");
  const mounts = read("/proc/self/mountinfo");
  if (groups === null || mounts === null) return [];
  const dirs: CgroupDir[] = [];
  for (const mount of cgroupMounts(mounts, controller)) {
    // The process's group in this hierarchy: "0::/path" for cgroup v2, "N:cpu,cpuacct:/path" for v1.
    const line = groups
      .split("\n")
      .map((l) => l.split(":"))
      .find(([id, controllers]) =>
        mount.version === 2 ? id === "0" && controllers === "" : controllers?.split(",").includes(controller),
      );
    if (line === undefined) continue;
    const group = line.slice(2).join(":");
    // Seen from a mount of a group below the root (inside a container), the path starts there.
    const inside = posix.relative(mount.root, group);
    if (inside.startsWith("..")) continue;
    for (let dir = posix.join(mount.point, inside); ; dir = posix.dirname(dir)) {
      dirs.push({ version: mount.version, dir, read });
      if (dir === mount.point || dir === "/") break;
    }
  }
  return dirs;
}

interface CgroupMount {
  version: 1 | 2;
  /** The group the mount shows at its mount point. */
  root: string;
  point: string;
}

/**
 * The cgroup v2 mount, and the v1 mounts that carry `controller`, from /proc/self/mountinfo:
 * "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [TAGS…] - TYPE SOURCE SUPER-OPTIONS".
 */
function cgroupMounts(mountinfo: string, controller: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (before === undefined || after === undefined) continue;
    const [, , , root, point] = before.split(" ");
    const [type, , options] = after.split(" ");
    if (root === undefined || point === undefined) continue;
    if (type === "cgroup2") mounts.push({ version: 2, root: unoctal(root), point: unoctal(point) });
    else if (type === "cgroup" && options?.split(",").includes(controller))
      mounts.push({ version: 1, root: unoctal(root), point: unoctal(point) });
  }
  return mounts;
}

/** mountinfo writes a space, tab, newline or backslash in a path as \040, \011, \012, \134. */
function unoctal(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** cpu.max: "QUOTA PERIOD" in microseconds, QUOTA "max" where there is none. */
function quotaV2(text: string | null): number | null {
  const [quota, period] = text?.trim().split(/\s+/) ?? [];
  return cores(Number(quota), Number(period));
}

/** cpu.cfs_quota_us (-1 where there is none) and cpu.cfs_period_us. */
function quotaV1(read: (path: string) => string | null, dir: string): number | null {
  const quota = read(`${dir}/cpu.cfs_quota_us`);
  const period = read(`${dir}/cpu.cfs_period_us`);
  return quota === null || period === null ? null : cores(Number(quota.trim()), Number(period.trim()));
}

function cores(quota: number, period: number): number | null {
  if (!(Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0)) return null;
  return Math.max(1, Math.floor(quota / period));
}
