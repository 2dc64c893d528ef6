// The fan-out of one kernel call over the calling thread and the worker threads (thread-pool.ts):
// how many ways a pass is worth splitting, the split itself, and each thread's own buffers.
import { ArgumentError } from "../../errors.ts";
import type { KernelExports } from "./kernels.ts";
import { ALIGN, align, type WasmMemory } from "./memory.ts";
import type { PoolFunction, ThreadPool } from "./thread-pool.ts";

/** One thread's packing buffers and tile for sgemm (byte addresses). */
export interface GemmBuffers {
  packA: number;
  packB: number;
  tile: number;
}

/**
 * Bytes the kernels' own buffers take (as WasmThreads and its `start` allocate them): the static
 * data, each thread's packing buffers, the gemm's sync block and each worker's control
 * block.
 */
export async function kernelBufferBytes(k: KernelExports, threads: number): Promise<number> {
  const buffers = [k.PACK_A_BYTES, k.PACK_B_BYTES, k.TILE_BYTES].reduce((sum, g) => sum + align(g.value as number), 0);
  const control = threads > 1 ? align((await import("./thread-pool.ts")).CONTROL_BYTES) : 0;
  return align(k.heapBase()) + buffers + ALIGN + (threads - 1) * (buffers + control);
}

/** The threads that run kernels over one memory: the calling thread, and workers once started. */
export class WasmThreads {
  readonly #k: KernelExports;
  readonly #memory: WasmMemory;
  #pool: ThreadPool | null = null;
  /** Pack buffers and tile of each thread, the calling thread's first. */
  readonly #buffers: GemmBuffers[] = [];
  /** The 64 bytes of counters through which threads share a gemm (sgemmShared). */
  readonly sync: number;
  #flags = 0;
  #flagBytes = 0;

  /** Takes the calling thread's buffers from `memory`. */
  constructor(k: KernelExports, memory: WasmMemory) {
    this.#k = k;
    this.#memory = memory;
    this.#buffers.push(this.#gemmBuffers());
    this.sync = memory.alloc(ALIGN);
  }

  #gemmBuffers(): GemmBuffers {
    return {
      packA: this.#memory.alloc(this.#k.PACK_A_BYTES.value as number),
      packB: this.#memory.alloc(this.#k.PACK_B_BYTES.value as number),
      tile: this.#memory.alloc(this.#k.TILE_BYTES.value as number),
    };
  }

  /** An area of at least `bytes` for sgemmShared's flags, kept from one product to the next. */
  flags(bytes: number): number {
    if (bytes > this.#flagBytes) {
      if (this.#flagBytes > 0) this.#memory.release(this.#flags);
      this.#flags = this.#memory.alloc(bytes);
      this.#flagBytes = bytes;
    }
    return this.#flags;
  }

  /** Threads that run kernels, the calling thread included. */
  get size(): number {
    return 1 + (this.#pool?.size ?? 0);
  }

  /** Thread w's packing buffers (0: the calling thread). */
  buffers(w: number): GemmBuffers {
    return this.#buffers[w] as GemmBuffers;
  }

  /** Starts `count` worker threads over the (shared) memory. */
  async start(module: WebAssembly.Module, count: number): Promise<void> {
    if (this.#pool) throw new ArgumentError("startThreads: this backend already has worker threads");
    if (!this.#memory.shared) {
      throw new ArgumentError("startThreads: worker threads need a shared WebAssembly memory");
    }
    const { ThreadPool, CONTROL_BYTES } = await import("./thread-pool.ts");
    const controls: number[] = [];
    for (let w = 0; w < count; w++) {
      controls.push(this.#memory.alloc(CONTROL_BYTES));
      this.#buffers.push(this.#gemmBuffers());
    }
    this.#pool = await ThreadPool.start(module, this.#memory.memory, controls);
  }

  /** Stops the worker threads (kernels keep running on the calling thread). */
  async dispose(): Promise<void> {
    await this.#pool?.dispose();
    this.#pool = null;
  }

  /** How many ways to split `work` units of work (1 when small or single-threaded). */
  ways(work: number, minPerThread: number): number {
    return this.#pool ? Math.max(1, Math.min(this.size, Math.floor(work / minPerThread))) : 1;
  }

  /**
   * Runs parts[0] on the calling thread and parts[1…] on the workers, then waits for all;
   * returns the results (0 for a kernel without one). Each part is the argument list of `fn`.
   */
  run(fn: PoolFunction, parts: number[][]): number[] {
    const pool = this.#pool as ThreadPool;
    for (let w = 1; w < parts.length; w++) pool.post(w - 1, fn, parts[w] as number[]);
    const results = [(this.#k[fn] as (...a: number[]) => number)(...(parts[0] as number[])) ?? 0];
    for (let w = 1; w < parts.length; w++) results.push(pool.wait(w - 1));
    return results;
  }

  /** `run`, then the sum of the parts' results; one part's result as the kernel gave it. */
  sum(fn: PoolFunction, parts: number[][]): number {
    if (parts.length === 1) return (this.#k[fn] as (...a: number[]) => number)(...(parts[0] as number[]));
    return this.run(fn, parts).reduce((sum, v) => sum + v, 0);
  }
}

/** [start, count] pieces of [0, total) in `parts` near-equal pieces whose starts are multiples of `unit`. */
export function split(total: number, parts: number, unit: number): [number, number][] {
  const size = Math.ceil(total / parts / unit) * unit;
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += size) out.push([start, Math.min(size, total - start)]);
  return out.length > 0 ? out : [[0, 0]];
}
