// Compiles assembly/kernels.ts (the export list; the kernels are in the files beside it) four
// ways: plain 128-bit SIMD or relaxed SIMD (fused multiply-add), each with a private memory (one
// thread; what a browser without cross-origin isolation can run) or a shared memory (worker
// threads). The runtime picks relaxed SIMD where WebAssembly.validate accepts it, and the shared
// build when it runs more than one thread. Then two small modules embedded in the sources (below).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "wasm");
mkdirSync(outDir, { recursive: true });

const variants = [
  { file: "kernels-simd.wasm", features: "simd", shared: false },
  { file: "kernels-relaxed.wasm", features: "simd,relaxed-simd", shared: false },
  { file: "kernels-simd-shared.wasm", features: "simd,threads", shared: true },
  { file: "kernels-relaxed-shared.wasm", features: "simd,relaxed-simd,threads", shared: true },
];
for (const { file, features, shared } of variants) {
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
    ...(shared ? ["--sharedMemory", "--maximumMemory", "65536"] : []),
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`building ${file} failed: ${error.message}`);
  }
}

// Two small modules of their own memory, embedded as base64 (committed; their tests check that
// the embedded bytes match this build) so that they compile synchronously, in Node and browsers:
// the CSV reader's fast path, and the pixel scaling of a streamed file's reading thread.
for (const { source, name, constant } of [
  { source: "csv-parse", name: "csv-parse-wasm", constant: "CSV_PARSE_WASM" },
  { source: "pixels", name: "pixels-wasm-bytes", constant: "PIXELS_WASM" },
]) {
  const file = `${source}.wasm`;
  const { error, stderr } = await asc.main([
    join(root, `assembly/${source}.ts`),
    "--outFile",
    join(outDir, file),
    "--optimizeLevel",
    "3",
    "--shrinkLevel",
    "0",
    "--noAssert",
    "--runtime",
    "stub",
    "--enable",
    "simd",
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`building ${file} failed: ${error.message}`);
  }
  const base64 = readFileSync(join(outDir, file)).toString("base64");
  const lines = base64.match(/.{1,96}/g).map((l) => `  "${l}"`);
  writeFileSync(
    join(root, `src/data/${name}.ts`),
    `// Written by scripts/build-wasm.mjs from assembly/${source}.ts: do not edit.\nexport const ${constant} =\n${lines.join(" +\n")};\n`,
  );
}
