// Ctrl-C and SIGTERM as a user sends them: on a terminal (a pseudo-terminal made by util-linux's
// `script`, whose line discipline turns the byte 0x03 into SIGINT as a real terminal does) and off one.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "../../src/io/files.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-interrupts-"));
const hasScript = spawnSync("script", ["--version"]).status === 0;

// Long enough (several seconds) that Ctrl-C lands inside the first autoencoder.
const RUN = ["--train-limit", "2000", "--layers", "64", "--ae-iters", "120", "--softmax-iters", "30"].concat([
  "--finetune-iters",
  "30",
  "--seed",
  "4",
  "--threads",
  "2",
]);

/** Single-quoted for sh. */
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

it("Ctrl-C on a terminal writes the checkpoint, says how to resume on lines of its own, and exits", {
  skip: hasScript ? false : "util-linux's script is not installed",
  timeout: 120_000,
}, async () => {
  const ck = join(dir, "tty.ckpt");
  const command = ["exec", process.execPath, "--import", import.meta.resolve("tsx"), main, "train", ...RUN]
    .concat(["--checkpoint", ck])
    .map(sh)
    .join(" ");
  // -e: script exits with the command's status; -f: flush at once; the terminal is 100 columns wide.
  const child = spawn("script", ["-qfec", `stty cols 100; ${command}`, "/dev/null"], { cwd: dir });
  let out = "";
  let sentAt = 0;
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString();
    if (sentAt === 0 && /autoencoder 1 .* [1-9]\d*\/120/.test(out)) {
      sentAt = performance.now();
      child.stdin.write("\x03");
    }
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(killer);
  const after = (performance.now() - sentAt) / 1000;
  assert.ok(sentAt > 0, `no progress bar was drawn:\n${out}`);
  assert.equal(code, 130, `exit ${code}, ${after.toFixed(1)} s after Ctrl-C:\n${JSON.stringify(out.slice(-800))}`);
  assert.ok(after < 20, `exited ${after.toFixed(1)} s after Ctrl-C`);
  // Each message starts a line of its own: nothing of the bar before it on the line.
  for (const m of out.matchAll(/stackae: |resume with: /g)) {
    const before = out.slice(0, m.index);
    assert.match(before, /\n$/, `a message glued to the line before it: ${JSON.stringify(out.slice(-600))}`);
  }
  assert.match(out, /stackae: SIGINT: stopping after this iteration/);
  assert.match(out, /resume with: npx stackae train --resume .*tty\.ckpt --train-limit 2000/);
  // The cursor the bar hid is shown again, line wrapping turned back on.
  assert.ok(out.lastIndexOf("\x1b[?25h") > out.lastIndexOf("\x1b[?25l"), "the cursor is shown again");
  assert.ok(out.lastIndexOf("\x1b[?7h") > out.lastIndexOf("\x1b[?7l"), "line wrapping is back on");
  assert.equal(loadCheckpoint(ck).stage, 0);
});
