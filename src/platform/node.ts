// The Node platform: kernels read from the package's wasm/ folder, cores from node:os, threads
// from node:worker_threads, and the optional native addon (native/build/, see
// scripts/build-native.mjs).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { StackaeError } from "../errors.ts";
import { cgroupCpuLimit } from "./cpu-quota.ts";
import type { KernelThread, KernelThreadData, Platform } from "./platform.ts";

const require = createRequire(import.meta.url);
let native: unknown | null | undefined;

export const nodePlatform: Platform = {
  name: "node",
  async readKernel(name) {
    const url = new URL(`../../wasm/${name}`, import.meta.url);
    try {
      const bytes = await readFile(url);
      return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    } catch (cause) {
      throw new StackaeError(
        "ERR_WASM_MISSING",
        `the WebAssembly kernels ${url.pathname} are missing: run \`npm run build:wasm\` (npm install does it)`,
        { cause },
      );
    }
  },
  // The cores this process may run on, and no more than its control group's CPU quota allows.
  defaultThreads: () => Math.max(1, Math.min(availableParallelism(), cgroupCpuLimit() ?? Number.POSITIVE_INFINITY)),
  async loadNative() {
    if (native === undefined) {
      // The addon sets OPENBLAS_THREAD_TIMEOUT (unless set) before it opens OpenBLAS: see its Init.
      try {
        native = require(fileURLToPath(new URL("../../native/build/stackae_native.node", import.meta.url)));
      } catch {
        native = null;
      }
    }
    return native;
  },
  startThread(body: string, data: KernelThreadData): KernelThread {
    const source = `const { parentPort, workerData } = require("node:worker_threads");
(${body})(workerData, () => parentPort.postMessage("ready"));`;
    const worker = new Worker(source, { eval: true, workerData: data });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => {
        // An idle kernel thread must not keep the process alive.
        worker.unref();
        resolve();
      });
      worker.once("error", reject);
    });
    return {
      ready,
      terminate: async () => {
        await worker.terminate();
      },
    };
  },
};
