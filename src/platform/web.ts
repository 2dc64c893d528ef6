// The web platform: kernels fetched beside the module, cores from navigator, threads from Web
// Workers made from a Blob. Threads need SharedArrayBuffer, which browsers give only to
// cross-origin isolated pages (COOP + COEP headers); elsewhere the default is one thread.
import { StackaeError } from "../errors.ts";
import type { KernelThread, KernelThreadData, Platform } from "./platform.ts";

/** Where the kernels are fetched from; a bundler may move them (see `setKernelBase`). */
let kernelBase = new URL(/* @vite-ignore */ "../../wasm/", import.meta.url);

/** Fetch the kernels from another folder (a URL ending in "/"), e.g. where a bundler put them. */
export function setKernelBase(base: string | URL): void {
  kernelBase = new URL(base, globalThis.location?.href);
}

export const webPlatform: Platform = {
  name: "web",
  async readKernel(name) {
    const url = new URL(name, kernelBase);
    const response = await fetch(url);
    if (!response.ok) {
      throw new StackaeError(
        "ERR_WASM_MISSING",
        `fetching the WebAssembly kernels ${url} failed (HTTP ${response.status}): serve the package's wasm/ folder there, or call setKernelBase()`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  },
  defaultThreads: () =>
    globalThis.crossOriginIsolated === true ? Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1) : 1,
  loadNative: async () => null,
  startThread(body: string, data: KernelThreadData): KernelThread {
    const source = `self.onmessage = (event) => {
  self.onmessage = null;
  (${body})(event.data, () => self.postMessage("ready"));
};`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new Worker(url);
    const ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = () => {
        URL.revokeObjectURL(url);
        resolve();
      };
      worker.onerror = (event) => reject(new StackaeError("ERR_WORKER", `a kernel thread failed: ${event.message}`));
    });
    worker.postMessage(data);
    return {
      ready,
      terminate: async () => worker.terminate(),
    };
  },
};
