// What `train` checks of the machine before it trains: memory it would need past what is free is
// refused with the estimate and the way out; threads that cannot help are lowered, with a warning.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MemoryLimitError, planResources } from "../../src/cli/resources.ts";
import type { MemoryAvailable } from "../../src/platform/memory-limit.ts";
import { getPlatform } from "../../src/platform/platform.ts";
import { type PartialSettings, resolveSettings } from "../../src/train/settings.ts";

const GiB = 2 ** 30;
const mnist = { examples: 60000, inputSize: 784, classes: 10 };
const machine = (available: number, limit: number | null = null): MemoryAvailable => ({
  total: 32 * GiB,
  free: limit === null ? available : 30 * GiB,
  limit,
  used: limit === null ? null : limit - available,
  available,
});

async function plan(
  settings: PartialSettings,
  run: { backend?: "native" | "wasm" | "js"; threads?: number; verbose?: boolean } = {},
  memory = machine(16 * GiB),
  data = mnist,
) {
  const lines: string[] = [];
  const threads = await planResources(
    resolveSettings(settings),
    data,
    { backend: run.backend ?? "native", threads: run.threads, checkpoints: false, verbose: run.verbose ?? false },
    (line) => void lines.push(line),
    { memory, rss: 100 * 2 ** 20 },
  );
  return { threads, lines };
}

describe("planResources: memory", () => {
  it("refuses the issue's --layers 100000 (L-BFGS's history alone is 125 GB): the estimate, what is free, the ways out", async () => {
    await assert.rejects(plan({ layers: [100000] }), (e: unknown) => {
      assert.ok(e instanceof MemoryLimitError);
      assert.equal(e.code, "ERR_OUT_OF_MEMORY");
      assert.match(
        e.message,
        /would need about 1\d\d\.\d GiB of memory at its peak \(autoencoder 1, most of it L-BFGS's history/,
      );
      assert.match(e.message, /this machine has 16\.0 GiB free/);
      assert.match(e.message, /--layers/);
      assert.match(e.message, /--optimizer adam: about \d+\.\d GiB/);
      assert.match(e.message, /--train-limit/);
      assert.ok(e.estimate.peak > 125e9);
      return true;
    });
  });

  it("names the container's limit where that is what binds, and the most examples that fit", async () => {
    await assert.rejects(plan({}, {}, machine(0.5 * GiB, GiB)), (e: unknown) => {
      assert.ok(e instanceof MemoryLimitError);
      assert.match(e.message, /this container's memory limit of 1\.00 GiB leaves 512 MiB/);
      const [, fits] = /--train-limit (\d+) fits/.exec(e.message) ?? [];
      assert.ok(fits !== undefined, e.message);
      return true;
    });
  });

  it("lets a run that fits go, and prints its estimate stage by stage with --verbose", async () => {
    const { lines } = await plan({}, { verbose: true });
    assert.match(
      lines[0] ?? "",
      /^memory: about [\d,]+ MiB more at the peak \(autoencoder 1\), .* 16\.0 GiB available/,
    );
    assert.deepEqual(
      lines.slice(1).map((l) => l.trim().split(/\s+/)[0]),
      ["autoencoder", "autoencoder", "softmax", "fine-tuning"],
    );
    assert.match(lines[1] ?? "", /data .*, parameters .* \(314,584\), lbfgs .*, activations .*, threads/);
    assert.deepEqual((await plan({})).lines, [], "nothing without --verbose");
  });

  it("wasm: refuses matrices past the WebAssembly memory's 4 GiB, pointing to the native backend", async () => {
    await assert.rejects(
      plan({ layers: [10000], autoencoder: { optimizer: "adam" } }, { backend: "wasm" }, machine(100 * GiB)),
      {
        name: "MemoryLimitError",
        message: /WebAssembly memory, which holds at most 4 GiB: use --backend native/,
      },
    );
  });
});

describe("planResources: threads", () => {
  it("lowers --threads past the cores (or the CPU quota) to them, with a warning", async () => {
    const cores = (await getPlatform()).defaultThreads();
    const { threads, lines } = await plan({}, { backend: "wasm", threads: 256 });
    assert.equal(threads, cores);
    assert.match(
      lines[0] ?? "",
      new RegExp(`^warning: --threads 256: this machine has ${cores} core.*; using ${cores}`),
    );
  });

  it("lowers them to what the largest product can keep busy on a tiny job", async () => {
    const tiny = { examples: 100, inputSize: 64, classes: 3 };
    const { threads, lines } = await plan({ layers: [16] }, { backend: "wasm", threads: 2 }, machine(16 * GiB), tiny);
    assert.equal(threads, 1);
    assert.match(
      lines[0] ?? "",
      /largest product of this run \(0\.1 M multiply-adds\) keeps no more than 1 busy; using 1/,
    );
  });

  it("leaves threads that help, the default, and the js backend alone", async () => {
    assert.deepEqual(await plan({}, { backend: "native", threads: 1 }), { threads: 1, lines: [] });
    assert.deepEqual(await plan({}, { backend: "wasm" }), { threads: undefined, lines: [] });
    assert.deepEqual(await plan({}, { backend: "js", threads: 64 }), { threads: 64, lines: [] });
  });
});

describe("stackae train refuses what does not fit", () => {
  it("--layers 100000: exit 1 before training, with the estimate and the ways out", () => {
    const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
    const r = spawnSync(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), main, "train", "--layers", "100000", "--quiet"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^stackae: this run would need about \d+\.\d GiB of memory at its peak/);
    assert.match(r.stderr, /--optimizer adam/);
    assert.doesNotMatch(r.stderr, /accuracy/);
  });
});
