// What every pass of the WebAssembly backend works with: the kernels, the memory their operands
// live in, and the threads a pass may be split across.
import type { KernelExports } from "./kernels.ts";
import type { WasmMemory } from "./memory.ts";
import type { WasmThreads } from "./threads.ts";

export interface WasmContext {
  readonly k: KernelExports;
  readonly memory: WasmMemory;
  readonly threads: WasmThreads;
}
