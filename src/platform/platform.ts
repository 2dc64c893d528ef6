// What the library needs from its host, and nothing more: the bytes of a compiled kernel, the
// number of cores, and threads that share a WebAssembly memory. `stackae` (Node) and
// `stackae/browser` each install theirs (./node.ts, ./web.ts); the rest of the library imports
// no host module, so it runs unchanged in Node, browsers and workers.
import { StackaeError } from "../errors.ts";

/** A thread running the kernel worker (see linalg/wasm/thread-pool.ts). */
export interface KernelThread {
  /** Resolves once the thread has instantiated the kernels and waits for work. */
  readonly ready: Promise<void>;
  terminate(): Promise<void>;
}

/** What a kernel thread is started with: the compiled module, the shared memory, its control block. */
export interface KernelThreadData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  names: readonly string[];
}

export interface Platform {
  readonly name: "node" | "web";
  /** The bytes of a file of the package's wasm/ folder. */
  readKernel(name: string): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Threads worth starting by default: the cores present (no more than the CPU quota allows, on
   * Linux) where threads can share memory, else 1.
   */
  defaultThreads(): number;
  /**
   * Starts a thread that runs `body` (the source of a function of (data, ready)) with `data`.
   * `ready()` is called in the thread once it is set up.
   */
  startThread(body: string, data: KernelThreadData): KernelThread;
  /** The native backend's addon when it is built and loads here, else null (always null on the web). */
  loadNative(): Promise<unknown | null>;
}

let current: Platform | undefined;

/** Installs the host's platform; the package's entry points do this on import. */
export function setPlatform(platform: Platform): void {
  current = platform;
}

/**
 * The installed platform. When none is (a module of the library imported directly rather than
 * through an entry point) and this is Node, the Node platform is loaded. Its path is computed, so
 * bundlers for the web leave it out.
 */
export async function getPlatform(): Promise<Platform> {
  if (current) return current;
  if (typeof process !== "undefined" && process.versions?.node) {
    const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
    const url = new URL(`./node${ext}`, import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ url)) as { nodePlatform: Platform };
    current ??= mod.nodePlatform;
    return current;
  }
  throw new StackaeError(
    "ERR_PLATFORM",
    "no platform is installed: import the library from 'stackae' in Node or from 'stackae/browser' on the web",
  );
}
