// Compiles assembly/kernels.ts twice: plain 128-bit SIMD, and relaxed SIMD (fused multiply-add).
// The runtime picks the relaxed build where WebAssembly.validate accepts it.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "wasm");
mkdirSync(outDir, { recursive: true });

const variants = [
  { file: "kernels-simd.wasm", features: "simd" },
  { file: "kernels-relaxed.wasm", features: "simd,relaxed-simd" },
];
for (const { file, features } of variants) {
  const { error, stderr } = await asc.main([
    join(root, "assembly/kernels.ts"),
    "--outFile",
    join(outDir, file),
    "--optimizeLevel",
    "3",
    "--shrinkLevel",
    "0",
    "--noAssert",
    "--runtime",
    "stub",
    "--importMemory",
    "--enable",
    features,
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`building ${file} failed: ${error.message}`);
  }
}
