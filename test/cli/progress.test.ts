import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { formatSeconds, plural, progressReporter } from "../../src/cli/progress.ts";
import type { Progress } from "../../src/optim/types.ts";
import type { StageInfo, StageReport } from "../../src/train/stages.ts";

it("plural counts in the singular only for one", () => {
  assert.equal(plural(1, "epoch"), "1 epoch");
  assert.equal(plural(0, "step"), "0 steps");
  assert.equal(plural(2, "iteration"), "2 iterations");
  assert.equal(plural(1200, "step"), "1,200 steps");
});

it("formatSeconds rounds to seconds, then minutes and hours", () => {
  assert.equal(formatSeconds(0.4), "0 s");
  assert.equal(formatSeconds(59.4), "59 s");
  assert.equal(formatSeconds(61), "1 min 1 s");
  assert.equal(formatSeconds(3725), "1 h 2 min");
  assert.equal(formatSeconds(Number.NaN), "?");
});

describe("progressReporter", () => {
  const info: StageInfo = { name: "autoencoder 1", index: 0, count: 3, optimizer: "adam", maxIterations: 2350 };
  const progress = (iteration: number): Progress & { seconds: number } => ({
    iteration,
    evaluations: iteration,
    cost: 1.5,
    step: 1e-3,
    optimality: 1,
    seconds: iteration / 100,
    state: () => {
      throw new Error("not read");
    },
  });
  /** A stream that keeps what is written, as a terminal (isTTY) or not. */
  const stream = (isTTY: boolean) => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (b: Buffer) => {
      text += b.toString();
    });
    return { stream: Object.assign(out, { isTTY, columns: 120 }) as unknown as NodeJS.WriteStream, text: () => text };
  };

  it("writes plain lines off a terminal, with the counts' thousands separated like the summary's", () => {
    const s = stream(false);
    const r = progressReporter(s.stream, false);
    r.onStageStart?.(info);
    r.onProgress?.(info, progress(1200));
    assert.match(s.text(), /^\[1\/3\] autoencoder 1: adam, up to 2,350 steps\n/);
    assert.match(
      s.text(),
      /\n\[1\/3\] autoencoder 1: step 1,200\/2,350, cost 1\.50000, 12 s elapsed, about 12 s left\n$/,
    );
  });

  it("draws a bar on a terminal, its counts separated too", () => {
    const s = stream(true);
    const r = progressReporter(s.stream, false);
    r.onStageStart?.(info);
    r.onProgress?.(info, progress(1200));
    r.onStageEnd?.(info, { iterations: 2350 } as StageReport);
    assert.match(s.text(), /autoencoder 1 .* 2,350\/2,350 \| cost 1\.50000/);
  });

  it("shows the validation accuracy where the stage has a validation set, and its best at the end", () => {
    const fine: StageInfo = { name: "fine-tuning", index: 2, count: 3, optimizer: "lbfgs", maxIterations: 400 };
    const validation = { iteration: 40, accuracy: 0.9123, cost: 0.3 };
    const s = stream(false);
    const r = progressReporter(s.stream, false);
    r.onStageStart?.(fine);
    r.onProgress?.(fine, { ...progress(40), validation });
    assert.match(s.text(), /iteration 40\/400, cost 1\.50000, validation 91\.23%, 0 s elapsed/);
    const report = {
      iterations: 50,
      evaluations: 52,
      cost: 0.2,
      seconds: 1,
      message: "m",
      validation: { curve: [validation], best: validation },
    };
    r.onStageEnd?.(fine, report as StageReport);
    assert.match(s.text(), /cost 0\.200000, best validation 91\.23% at iteration 40 \(m\)\n$/);
    const tty = stream(true);
    const bar = progressReporter(tty.stream, false);
    bar.onStageStart?.(fine);
    bar.onProgress?.(fine, { ...progress(40), validation });
    bar.onStageEnd?.(fine, report as StageReport);
    assert.match(tty.text(), /cost 1\.50000, validation 91\.23% \|/);
  });

  it("a notice ends the bar's line first and draws the bar again below; a last one stops the drawing", () => {
    const tty = stream(true);
    const r = progressReporter(tty.stream, false);
    r.onStageStart?.(info);
    r.onProgress?.(info, progress(1200));
    r.notice("stackae: warning: something\n");
    const [, after] = tty.text().split("stackae: warning: something\n");
    // Only the terminal's control sequences (ESC [ …) may stand between the line's end and the notice.
    const controls = `(${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]|${String.fromCharCode(27)}[78])*`;
    assert.match(tty.text(), new RegExp(`\\n${controls}stackae: warning`), "on a line of its own");
    assert.match(after ?? "", /1,200\/2,350/, "the bar is drawn again below, where it was");
    r.notice("stackae: SIGINT: stopping\n", { last: true });
    const drawn = tty.text().length;
    r.onProgress?.(info, progress(1300));
    r.onStageEnd?.(info, { iterations: 1300 } as StageReport);
    assert.equal(tty.text().length, drawn, "nothing is drawn after the last notice");
    assert.ok(tty.text().endsWith("stackae: SIGINT: stopping\n"));
    assert.ok(tty.text().lastIndexOf("\x1b[?25h") > tty.text().lastIndexOf("\x1b[?25l"), "the cursor is shown");
  });
});
