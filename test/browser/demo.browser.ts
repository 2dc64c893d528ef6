// The demo page in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core): it
// trains a small stack in a Web Worker, a digit drawn with mouse strokes is recognised, and a
// model file trained in Node loads and predicts the same. Run by `npm run test:browser` after
// `npm run build:demo`; the screenshot goes to test-results/demo.png.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { type PreviewServer, preview } from "vite";
import { readMnist } from "../../src/data/files.ts";
import { loadModel, saveModel } from "../../src/io/files.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { accuracy, predict } from "../../src/nn/model.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const results = join(root, "test-results");

let server: PreviewServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

before(async () => {
  assert.ok(existsSync(join(root, "demo/dist/index.html")), "build the demo first: npm run build:demo");
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  server = await preview({ configFile: join(root, "demo/vite.config.ts"), root: join(root, "demo"), logLevel: "warn" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  const url = server.resolvedUrls?.local[0];
  assert.ok(url, "the preview server has no URL");
  await page.goto(url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Draws strokes (lists of points in the pad's 280 × 280 pixels) with the mouse. */
async function draw(strokes: [number, number][][]): Promise<void> {
  const box = await page.locator("#pad").boundingBox();
  assert.ok(box);
  await page.click("#clear");
  for (const stroke of strokes) {
    const [first, ...rest] = stroke as [[number, number], ...[number, number][]];
    await page.mouse.move(box.x + first[0], box.y + first[1]);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.up();
  }
}

const line = (x0: number, y0: number, x1: number, y1: number, n = 12): [number, number][] =>
  Array.from({ length: n + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n]);
const ellipse = (cx: number, cy: number, rx: number, ry: number, n = 32): [number, number][] =>
  Array.from({ length: n + 1 }, (_, i) => [
    cx + rx * Math.sin((2 * Math.PI * i) / n),
    cy - ry * Math.cos((2 * Math.PI * i) / n),
  ]);

async function prediction(): Promise<{ digit: string; probabilities: number[] }> {
  const digit = (await page.textContent("#predicted")) ?? "";
  const probabilities = await page.$$eval("#probabilities li", (items) =>
    items.map((li) => Number((li as HTMLElement).dataset.probability)),
  );
  return { digit, probabilities };
}

describe("the demo page in Chromium", () => {
  it("was bundled without any Node module", () => {
    const assets = join(root, "demo/dist/assets");
    const found = readdirSync(assets)
      .filter((f) => f.endsWith(".js"))
      .flatMap((f) =>
        [...readFileSync(join(assets, f), "utf8").matchAll(/["'`]node:[a-z_/]+/g)].map((m) => `${f}: ${m[0]}`),
      );
    assert.deepEqual(found, []);
  });

  it("is cross-origin isolated, so training may use threads", async () => {
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.match((await page.textContent("#threads")) ?? "", /up to \d+ threads/);
  });

  it("trains a 784-100-10 stack on 4,000 images in a Web Worker, with progress and cost curves", async (t) => {
    await page.fill("#images", "4000");
    await page.fill("#layers", "100");
    await page.fill("#iterations", "60");
    await page.click("#train");
    await page.waitForFunction(
      () => Number((document.getElementById("progress") as HTMLProgressElement).value) > 0.05,
      undefined,
      { timeout: 60_000 },
    );
    assert.match((await page.textContent("#status")) ?? "", /autoencoder 1: iteration \d+\/60, cost/);
    await page.waitForSelector("body[data-model=ready]", { timeout: 240_000 });
    const status = (await page.textContent("#status")) ?? "";
    t.diagnostic(status);
    const accuracy = Number(/test accuracy ([\d.]+) %/.exec(status)?.[1]);
    assert.ok(accuracy >= 85, status);
    const costPixels = await page.evaluate(() => {
      const c = document.getElementById("costs") as HTMLCanvasElement;
      const d = (c.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if ((d[i] as number) > 0) n++;
      return n;
    });
    assert.ok(costPixels > 500, `the cost curves cover ${costPixels} pixels`);
    const tiles = await page.$eval("#features", (c) => [
      (c as HTMLCanvasElement).width,
      (c as HTMLCanvasElement).height,
    ]);
    assert.ok((tiles[0] as number) > 200 && (tiles[1] as number) > 200, `features canvas ${tiles}`);
  });

  it("recognises a 1 and a 0 drawn with the mouse, with ten probabilities summing to 1", async (t) => {
    await draw([line(150, 40, 135, 240)]);
    const one = await prediction();
    t.diagnostic(`a stroke: ${one.digit}, probabilities ${one.probabilities.map((p) => p.toFixed(3)).join(" ")}`);
    assert.equal(one.digit, "1");
    assert.equal(one.probabilities.length, 10);
    assert.ok(Math.abs(one.probabilities.reduce((s, p) => s + p, 0) - 1) < 1e-6);
    await draw([ellipse(140, 140, 60, 95)]);
    const zero = await prediction();
    t.diagnostic(`an ellipse: ${zero.digit}, probabilities ${zero.probabilities.map((p) => p.toFixed(3)).join(" ")}`);
    assert.equal(zero.digit, "0");
    mkdirSync(results, { recursive: true });
    await page.screenshot({ path: join(results, "demo.png"), fullPage: true });
  });

  it("saves the model trained in the page as a file the command line reads, with the page's test accuracy", async (t) => {
    const download = page.waitForEvent("download");
    await page.click("#save");
    const file = await (await download).path();
    const { model, metadata } = loadModel(file);
    assert.deepEqual(model.sizes, [784, 100]);
    assert.equal(metadata.createdBy, "stackae demo");
    // The page tests on MNIST's first 1,000 test images (demo/prepare.ts).
    const test = readMnist().test.head(1000);
    const backend = await createWasmBackend({ threads: 1 });
    const inNode = accuracy(predict(backend, model, test.pixels), test.labels);
    await backend.dispose();
    const inPage = Number(metadata.accuracyAfterFineTuning);
    t.diagnostic(`test accuracy: ${inPage} in the page, ${inNode} in Node`);
    assert.ok(Math.abs(inNode - inPage) <= 0.002, `${inNode} in Node, ${inPage} in the page`);
  });

  it("loads a model file trained in Node and predicts with it", async () => {
    const { train } = readMnist();
    const data = train.head(3000);
    const backend = await createWasmBackend();
    const r = trainStackedAutoencoder(
      backend,
      { inputs: data.pixels, labels: data.labels, inputSize: 784 },
      {
        settings: {
          layers: [64],
          autoencoder: { iterations: 50 },
          softmax: { iterations: 50 },
          fineTune: { iterations: 50 },
        },
      },
    );
    await backend.dispose();
    const file = join(mkdtempSync(join(tmpdir(), "stackae-demo-")), "node-model.safetensors");
    saveModel(file, r.model);
    await page.setInputFiles("#model-file", file);
    await page.waitForFunction(
      () => /Loaded node-model/.test(document.getElementById("status")?.textContent ?? ""),
      undefined,
      {
        timeout: 10_000,
      },
    );
    assert.match((await page.textContent("#status")) ?? "", /Loaded node-model\.safetensors: 784-64, 10 classes/);
    await draw([line(150, 40, 135, 240)]);
    assert.equal((await prediction()).digit, "1");
    assert.deepEqual(consoleErrors, [], "no errors in the page's console");
  });
});
