// The WebAssembly backend's one linear memory: a first-fit allocator over it that grows the
// memory on demand, and the matrices that live in it. Matrices, sparse copies, vectors and the
// kernels' own buffers are all byte ranges handed out here.
import { ArgumentError } from "../../errors.ts";
import { OutOfMemoryError } from "../backend.ts";
import { Matrix, type Storage } from "../matrix.ts";

export { OutOfMemoryError };

export const PAGE = 65536;
/** Every allocation starts on a cache line, so that the kernels' SIMD loads stay aligned. */
export const ALIGN = 64;
/** 4 GiB of 64 KiB pages: the most a 32-bit WebAssembly memory can address. */
export const MAX_PAGES = 65536;

/** `bytes` rounded up to a multiple of ALIGN. */
export function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** A WebAssembly memory and the allocations in it, by byte offset. */
export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  /** The most bytes the memory may grow to. */
  readonly maxBytes: number;
  /** The storage of each matrix made here, one per allocation, so that freeing one ends it alone. */
  readonly #storages = new WeakSet<Storage<Float32Array>>();
  #heap: Float32Array;
  /** Byte offsets: first free byte above every allocation, and the free blocks below it. */
  #top: number;
  #free: { start: number; bytes: number }[] = [];
  #allocated = new Map<number, number>();
  #scratch = 0;
  #scratchBytes = 0;

  /** Allocations start above `heapBase`, the end of the kernels' static data. */
  constructor(memory: WebAssembly.Memory, heapBase: number, maxBytes: number) {
    this.memory = memory;
    this.maxBytes = maxBytes;
    this.#heap = new Float32Array(memory.buffer);
    this.#top = align(heapBase);
  }

  /** Whether threads can share this memory (its views then stay valid as it grows). */
  get shared(): boolean {
    return this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** The whole memory as float32, made again after the memory has grown. */
  view(): Float32Array {
    if (this.#heap.buffer !== this.memory.buffer) this.#heap = new Float32Array(this.memory.buffer);
    return this.#heap;
  }

  /** Bytes in use by allocations not yet given back. */
  get bytesInUse(): number {
    let n = 0;
    for (const bytes of this.#allocated.values()) n += bytes;
    return n;
  }

  /**
   * The byte offset of `bytes` of memory. Grows the memory where no free block fits: past `limit`
   * bytes (a soft limit below the maximum), or where it cannot grow, it returns −1 when given a
   * limit, and raises OutOfMemoryError when not.
   */
  alloc(bytes: number, limit?: number): number {
    const size = Math.max(ALIGN, align(bytes));
    let start = this.#firstFit(size);
    if (start < 0) {
      start = this.#top;
      const end = start + size;
      if (limit !== undefined && end > limit) return -1;
      if (!this.#growTo(end, limit !== undefined)) return -1;
      this.#top = end;
    }
    this.#allocated.set(start, size);
    return start;
  }

  /** Takes `size` bytes from the first free block that holds them; −1 where none does. */
  #firstFit(size: number): number {
    for (let i = 0; i < this.#free.length; i++) {
      const block = this.#free[i] as { start: number; bytes: number };
      if (block.bytes >= size) {
        const start = block.start;
        if (block.bytes === size) this.#free.splice(i, 1);
        else {
          block.start += size;
          block.bytes -= size;
        }
        return start;
      }
    }
    return -1;
  }

  /** Grows the memory to at least `end` bytes; where it cannot, returns false if `soft`, else raises. */
  #growTo(end: number, soft: boolean): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
      return true;
    } catch (cause) {
      if (soft) return false;
      throw new OutOfMemoryError(
        `WebAssembly memory cannot grow by ${pages} pages to ${Math.ceil(end / 2 ** 20).toLocaleString()} MiB (its limit is ${(this.maxBytes / 2 ** 20).toLocaleString()} MiB): use fewer training examples or smaller layers, or the native backend (--backend native, or createBackend("native")), which has no such limit`,
        { cause },
      );
    }
  }

  /** Gives back the allocation at `start`, merging free blocks and lowering the top where it can. */
  release(start: number): void {
    const size = this.#allocated.get(start);
    if (size === undefined)
      throw new ArgumentError(`free: no allocation starts at byte ${start} (freed twice, or a view?)`);
    this.#allocated.delete(start);
    this.#free.push({ start, bytes: size });
    this.#free.sort((a, b) => a.start - b.start);
    const merged: { start: number; bytes: number }[] = [];
    for (const block of this.#free) {
      const last = merged[merged.length - 1];
      if (last && last.start + last.bytes === block.start) last.bytes += block.bytes;
      else merged.push({ ...block });
    }
    const last = merged[merged.length - 1];
    if (last && last.start + last.bytes === this.#top) {
      this.#top = last.start;
      merged.pop();
    }
    this.#free = merged;
  }

  /** A scratch area of at least `bytes`, reused across calls. */
  scratch(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      if (this.#scratchBytes > 0) this.release(this.#scratch);
      this.#scratch = this.alloc(bytes);
      this.#scratchBytes = align(bytes);
    }
    return this.#scratch;
  }

  /** A zero-filled rows × cols matrix in this memory. */
  zeros(rows: number, cols: number): Matrix<Float32Array> {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new ArgumentError(`zeros: dimensions must be non-negative integers, got ${rows} × ${cols}`);
    }
    const start = this.alloc(rows * cols * 4);
    const storage: Storage<Float32Array> = { array: () => this.view() };
    this.#storages.add(storage);
    const m = new Matrix(rows, cols, storage, start / 4);
    m.data.fill(0);
    return m;
  }

  /** Gives back a matrix made by `zeros`; it and its views can no longer be used. */
  free(m: Matrix<Float32Array>): void {
    this.release(this.address("m", m));
    m.storage.freed = true;
  }

  /** The byte address of a matrix, after checking that it lives in this memory and has not been freed. */
  address(name: string, m: Matrix): number {
    if (m.freed) {
      throw new ArgumentError(
        `${name} (${m.rows} × ${m.cols}) has been freed (backend.free): it can no longer be read or written`,
      );
    }
    if (!this.#storages.has(m.storage as Storage<Float32Array>)) {
      throw new ArgumentError(
        `${name} (${m.rows} × ${m.cols}) is not in the WebAssembly memory: make it with backend.zeros() or backend.fromValues()`,
      );
    }
    return m.offset * 4;
  }
}
