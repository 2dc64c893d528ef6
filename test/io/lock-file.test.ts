// Locks on the files a run writes: the owner's PID inside, stale locks of dead processes taken over.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LockedError, lockFile } from "../../src/io/lock-file.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A PID that was alive a moment ago and is now gone. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid as number;
const lockOf = (pid: number, host = hostname()) =>
  `${JSON.stringify({ pid, host, since: "2026-01-01T00:00:00.000Z", command: "stackae train", ticks: null, token: "t" })}\n`;

describe("lockFile", () => {
  it("writes the owner's PID into FILE.lock, refuses a second lock, and release removes it", () => {
    const file = join(dir, "a.ckpt");
    const lock = lockFile(file, "stackae train --checkpoint a.ckpt");
    const holder = JSON.parse(readFileSync(`${file}.lock`, "utf8"));
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.host, hostname());
    assert.equal(holder.command, "stackae train --checkpoint a.ckpt");
    assert.throws(() => lockFile(file), /a\.ckpt: is already locked by this process/);
    lock.release();
    assert.ok(!existsSync(`${file}.lock`));
    lockFile(file).release();
    assert.deepEqual(readdirSync(dir), [], "nothing is left beside it");
  });

  it("refuses a file that a live process holds, naming its PID and the way out", () => {
    const file = join(dir, "b.ckpt");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      writeFileSync(`${file}.lock`, lockOf(other.pid as number));
      let e: LockedError | undefined;
      try {
        lockFile(file);
      } catch (error) {
        assert.ok(error instanceof LockedError);
        e = error;
      }
      assert.ok(e, "refused");
      assert.equal(e.code, "ERR_LOCKED");
      assert.equal(e.holder?.pid, other.pid);
      assert.match(
        e.message,
        new RegExp(
          `b\\.ckpt: is in use by another run \\(PID ${other.pid} on this machine, since .*: stackae train\\); wait for it to end or choose another file\\. If that run is gone, delete .*b\\.ckpt\\.lock`,
        ),
      );
      assert.equal(readFileSync(`${file}.lock`, "utf8"), lockOf(other.pid as number), "the lock is left as it was");
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over the lock of a process that is gone, or of an earlier process with this one's PID", () => {
    for (const pid of [deadPid(), process.pid]) {
      const file = join(dir, `stale-${pid}.ckpt`);
      writeFileSync(`${file}.lock`, lockOf(pid));
      const lock = lockFile(file);
      assert.equal(JSON.parse(readFileSync(`${file}.lock`, "utf8")).pid, process.pid);
      lock.release();
    }
  });

  it("refuses a lock from another machine, and one that names no process, saying how to clear it", () => {
    const file = join(dir, "c.ckpt");
    writeFileSync(`${file}.lock`, lockOf(deadPid(), "another-host"));
    assert.throws(() => lockFile(file), /PID \d+ on another-host, since/);
    writeFileSync(`${file}.lock`, "");
    assert.throws(() => lockFile(file), /its lock .*c\.ckpt\.lock names no process \(it is empty\): delete/);
    rmSync(`${file}.lock`);
  });

  it("of runs racing for one stale lock, exactly one takes it", async () => {
    const file = join(dir, "race.ckpt");
    writeFileSync(`${file}.lock`, lockOf(deadPid()));
    const module = new URL("../../src/io/lock-file.ts", import.meta.url).href;
    const code = `const { lockFile } = await import(${JSON.stringify(module)});
      try { lockFile(${JSON.stringify(file)}); console.log("took"); setTimeout(() => {}, 5000); }
      catch (e) { console.log(e.code); }`;
    const runs = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", code]),
    );
    const said = await Promise.all(
      runs.map(
        (child) =>
          new Promise<string>((resolve) => {
            let out = "";
            child.stdout.on("data", (b: Buffer) => {
              out += b.toString();
            });
            child.on("exit", () => resolve(out.trim()));
          }),
      ),
    );
    assert.deepEqual([...said].sort(), ["ERR_LOCKED", "ERR_LOCKED", "ERR_LOCKED", "ERR_LOCKED", "ERR_LOCKED", "took"]);
    assert.ok(!existsSync(`${file}.lock`), "the winner's lock is removed as it exits");
  });
});
