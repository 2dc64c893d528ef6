// Issue: a sparse autoencoder trained with L-BFGS for 400 iterations on 10,000 random 8 × 8
// patches of MNIST images has a cost that never increases from one iteration to the next.
import assert from "node:assert/strict";
import { it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { createSparseAutoencoderCost, initSparseAutoencoder } from "../../src/nn/sparse-autoencoder.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";

it("L-BFGS on a sparse autoencoder over 10,000 MNIST patches never increases the cost", async (t) => {
  const { train } = readMnist();
  const rng = new Rng(1);
  const m = 10000;
  const patches = new Float32Array(m * 64);
  for (let p = 0; p < m; p++) {
    const img = rng.int(train.count);
    const r0 = rng.int(28 - 8 + 1);
    const c0 = rng.int(28 - 8 + 1);
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        patches[p * 64 + r * 8 + c] = (train.pixels[img * 784 + (r0 + r) * 28 + c0 + c] as number) / 255;
      }
    }
  }
  const backend = await createWasmBackend();
  const objective = createSparseAutoencoderCost(backend, backend.fromValues(m, 64, patches), {
    hidden: 25,
    lambda: 1e-4,
    beta: 3,
    rho: 0.01,
  });
  const x0 = new Float32Array(objective.layout.length);
  initSparseAutoencoder(objective.layout, x0, rng);
  const g0 = new Float32Array(x0.length);
  const costs = [objective.cost(x0, g0)];
  const result = lbfgs(objective, x0, { maxIter: 400, onProgress: (p) => void costs.push(p.cost) });
  for (let i = 1; i < costs.length; i++) {
    assert.ok(
      (costs[i] as number) <= (costs[i - 1] as number),
      `cost rose at iteration ${i}: ${costs[i - 1]} → ${costs[i]}`,
    );
  }
  assert.ok(result.iterations >= 100, `only ${result.iterations} iterations (${result.message})`);
  assert.ok((costs.at(-1) as number) < (costs[0] as number) / 3, `cost ${costs[0]} → ${costs.at(-1)}`);
  t.diagnostic(
    `autoencoder 64→25 on 10,000 patches: cost ${costs[0]} → ${costs.at(-1)} in ${result.iterations} iterations (${result.message})`,
  );
  objective.dispose();
});
