// A lock on a file that a long run writes (a checkpoint, a model): `NAME.lock` beside it holds
// the owner's PID, so that a second run is refused while the first lives, and the lock of a run
// that was killed is known for stale at once. Written by hand: proper-lockfile, the usual
// library, judges staleness by age (a killed run's lock blocks for its stale period) and records
// no owner to name.
import { randomUUID } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { fileErrorReason, StackaeError } from "../errors.ts";
import { processAlive, removeStaleTemporaries, temporaryName } from "./files.ts";

/** A file another live process holds the lock on, or whose lock cannot be taken. */
export class LockedError extends StackaeError {
  readonly file: string;
  /** The lock's owner, where the lock names one. */
  readonly holder: LockHolder | null;
  constructor(file: string, message: string, holder: LockHolder | null = null, options?: ErrorOptions) {
    super("ERR_LOCKED", `${file}: ${message}`, options);
    this.file = file;
    this.holder = holder;
  }
}

/** What a lock file holds (JSON). */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** The owner's command line, for the message that refuses a second run. */
  command: string;
  /** The owner's start time in clock ticks since boot (Linux), to tell a reused PID; null elsewhere. */
  ticks: number | null;
  /** Tells this lock from another taken by the same process. */
  token: string;
}

/** A lock held by this process. */
export interface FileLock {
  /** The file locked. */
  readonly file: string;
  /** The lock file, `file` + ".lock". */
  readonly path: string;
  /** Removes the lock file if it is still this lock's. Never throws. */
  release(): void;
}

const held = new Map<string, FileLock>();
let releaseOnExit = false;

/**
 * Takes the lock on `file` (which need not exist; its folder must): creates `file.lock` holding
 * this process's PID. A lock of a process that is gone, on this machine, is taken over. Throws a
 * LockedError naming the owner where a live process (or one on another machine, which cannot be
 * checked) holds it, or where this process does already.
 */
export function lockFile(file: string, command = process.argv.slice(1).join(" ")): FileLock {
  const path = `${file}.lock`;
  if (held.has(path)) throw new LockedError(file, "is already locked by this process: it is given twice");
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
    ticks: startTicks(process.pid),
    token: randomUUID(),
  };
  const text = `${JSON.stringify(me)}\n`;
  removeStaleTemporaries(path);
  // Each round either takes the lock, refuses, or moves a stale lock aside; a round is lost only
  // to another process taking or freeing the lock at the same moment.
  for (let round = 0; round < 10; round++) {
    if (create(file, path, text)) return hold(file, path, me);
    const found = readLock(path);
    if (found === null) continue;
    if (found.holder === null) {
      throw new LockedError(
        file,
        `its lock ${path} names no process (${found.why}): delete ${path} if no other run is writing ${file}`,
      );
    }
    if (!stale(found.holder)) throw new LockedError(file, inUse(found.holder, path), found.holder);
    moveStaleAside(path, found.text);
  }
  throw new LockedError(file, `its lock ${path} keeps changing: other runs are taking it; try again`);
}

/** Creates the lock file whole (a reader never sees it half written); false where one exists. */
function create(file: string, path: string, text: string): boolean {
  const tmp = temporaryName(path);
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    linkSync(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A file system without hard links (FAT, some network ones): create the lock in place.
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EOPNOTSUPP") {
      return createInPlace(file, path, text);
    }
    throw new LockedError(
      file,
      `its lock ${path} cannot be made (${fileErrorReason(error, "its folder does not exist")})`,
      null,
      {
        cause: error,
      },
    );
  } finally {
    rmSync(tmp, { force: true });
  }
}

function createInPlace(file: string, path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new LockedError(file, `its lock ${path} cannot be made (${fileErrorReason(error)})`, null, { cause: error });
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock at `path` and its text; null where it went away meanwhile. */
function readLock(path: string): { text: string; holder: LockHolder | null; why: string } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    return { text: "", holder: null, why: `it cannot be read: ${fileErrorReason(error)}` };
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(h.pid) && typeof h.host === "string" && typeof h.token === "string") {
      return { text, holder: h as LockHolder, why: "" };
    }
  } catch {
    // Not JSON: said below.
  }
  return { text, holder: null, why: text.length === 0 ? "it is empty" : "it is not a stackae lock" };
}

/**
 * Whether the owner is gone: on this machine, its PID is free, or taken by a process that started
 * later (a reused PID), or it is this process's own PID without this process holding the lock
 * (PID 1 again in a new container). Another machine's process cannot be checked: not stale.
 */
function stale(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return true;
  if (!processAlive(h.pid)) return true;
  const ticks = startTicks(h.pid);
  return h.ticks !== null && ticks !== null && ticks !== h.ticks;
}

/** Moves the stale lock (whose text is `text`) away; puts back a lock that was taken meanwhile. */
function moveStaleAside(path: string, text: string): void {
  const aside = temporaryName(path);
  try {
    renameSync(path, aside);
  } catch {
    return; // Another run moved it first.
  }
  try {
    if (readFileSync(aside, "utf8") !== text) linkSync(aside, path);
  } catch {
    // The lock moved aside was another's new one, and a third run took the name meanwhile: rare.
  } finally {
    rmSync(aside, { force: true });
  }
}

function inUse(h: LockHolder, path: string): string {
  const where = h.host === hostname() ? "on this machine" : `on ${h.host}`;
  return `is in use by another run (PID ${h.pid} ${where}, since ${h.since}: ${h.command}); wait for it to end or choose another file. If that run is gone, delete ${path}`;
}

function hold(file: string, path: string, me: LockHolder): FileLock {
  const lock: FileLock = {
    file,
    path,
    release() {
      if (held.get(path) !== lock) return;
      held.delete(path);
      try {
        if (readLock(path)?.holder?.token === me.token) rmSync(path, { force: true });
      } catch {
        // The lock is left: the next run finds it stale.
      }
    },
  };
  held.set(path, lock);
  // process.exit (a second Ctrl-C) skips the callers' `finally`: release there too.
  if (!releaseOnExit) {
    releaseOnExit = true;
    process.on("exit", () => {
      for (const l of [...held.values()]) l.release();
    });
  }
  return lock;
}

/** A process's start time in clock ticks since boot, from /proc (Linux); null where unknown. */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the second, the command's name, may hold spaces and parentheses: count from its end.
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isSafeInteger(ticks) ? ticks : null;
  } catch {
    return null;
  }
}
