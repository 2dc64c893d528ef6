// `train --report DIR`'s report.html opened in real Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core, as the demo's test does): it trains a small stack through the command line,
// then checks that the page asks for nothing beyond its own file, logs no error, and shows the
// run's accuracy and its confusion matrix. The screenshot goes to test-results/report.png.
// Skipped, saying why, where there is no Chromium.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { TrainSummary } from "../../src/cli/train-worker.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM to run this test`;

describe("train --report's report.html in Chromium", { skip }, () => {
  let browser: Browser;
  let page: Page;
  let summary: TrainSummary;
  const problems: string[] = [];
  const requests: string[] = [];

  before(async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "stackae-report-page-")), "report");
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "src/cli/main.ts"),
        "train",
        ...["--train-limit", "1500", "--layers", "36", "--optimizer", "adam", "--learning-rate", "0.01"],
        ...["--ae-iters", "3", "--softmax-iters", "20", "--finetune-iters", "10", "--validation-fraction", "0.2"],
        ...["--report", dir, "--json", "--quiet"],
      ],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    summary = JSON.parse(r.stdout);
    const file = pathToFileURL(join(dir, "report.html")).href;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(e.message));
    // Every request is routed here: the file itself goes through, anything else is refused and noted.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(url);
      return url === file ? route.continue() : route.abort();
    });
    await page.goto(file, { waitUntil: "load" });
    mkdirSync(join(root, "test-results"), { recursive: true });
    await page.screenshot({ path: join(root, "test-results/report.png"), fullPage: true });
  });

  after(async () => {
    await browser?.close();
  });

  it("requests nothing but its own file, and logs no error", () => {
    assert.equal(requests.length, 1, requests.join("\n"));
    assert.deepEqual(problems, []);
  });

  it("shows the test accuracy after and before fine-tuning that --json printed", async () => {
    // As rendered: what a reader sees, not the markup.
    const stats = (await page.locator(".stat").allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
    const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
    assert.equal(stats[0], `${pct(summary.accuracyAfterFineTuning)} test accuracy after fine-tuning`);
    assert.equal(stats[1], `${pct(summary.accuracyBeforeFineTuning)} before fine-tuning`);
  });

  it("shows the confusion matrix: classes × classes counts summing to the test set, the diagonal the correct ones, shaded", async () => {
    const cells = await page.$$eval("table.confusion tbody tr", (rows) =>
      rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => Number(td.textContent))),
    );
    const k = summary.data.classes;
    assert.equal(cells.length, k);
    for (const row of cells) assert.equal(row.length, k);
    assert.equal(
      cells.flat().reduce((s, v) => s + v, 0),
      summary.data.testImages,
    );
    const correct = cells.reduce((s, row, i) => s + (row[i] as number), 0);
    assert.equal(correct / summary.data.testImages, summary.accuracyAfterFineTuning);
    const visible = await page.$eval("table.confusion td.diag", (td) => {
      const box = td.getBoundingClientRect();
      return { width: box.width, background: getComputedStyle(td).backgroundColor };
    });
    assert.ok(visible.width > 20, `a cell ${visible.width} px wide`);
    assert.notEqual(visible.background, "rgba(0, 0, 0, 0)");
  });

  it("draws every stage's cost curve, the validation curves and both feature pictures, within the page's width", async () => {
    const titles = await page.$$eval("svg.chart", (svgs) => svgs.map((s) => s.getAttribute("aria-label")));
    for (const stage of ["autoencoder 1", "softmax", "fine-tuning"]) {
      assert.ok(
        titles.some((t) => t?.startsWith(`${stage} (`)),
        `${stage} in ${titles}`,
      );
    }
    assert.ok(titles.includes("fine-tuning: validation accuracy"), `${titles}`);
    const tiles = await page.$$eval("svg.tiles", (svgs) =>
      svgs.map((s) => ({ units: s.querySelectorAll("text.unit").length, width: s.getBoundingClientRect().width })),
    );
    assert.deepEqual(
      tiles.map((t) => t.units),
      [36, 36],
    );
    for (const t of tiles) assert.ok(t.width > 200, `features ${t.width} px wide`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);
  });
});
