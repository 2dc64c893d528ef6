// Examples read from a file as training goes, rather than held whole (issue #32): what a
// streamed source offers the pipeline. Platform-free; idx-stream-file.ts reads IDX files so.
import type { FloatArray } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";

/** A labelled set of examples that is read in batches, in an order it draws itself. */
export interface ExampleStream {
  /** Examples in the stream (m), and values per example (n). */
  readonly examples: number;
  readonly inputSize: number;
  /** The examples' labels, all of them (4 bytes an example, where the inputs are n). */
  readonly labels: Int32Array;
  /** Writes an epoch's order into `order` (length m), drawing from `rng` (shuffleStream). */
  shuffle(order: Int32Array, rng: Rng): void;
  /** Opens a reader of batches of `batchSize` examples (the last of an epoch may be smaller). */
  open(batchSize: number): BatchReader;
  /**
   * FNV-1a of the inputs' bytes in file order, continued from `h` (checkpoint.ts's checksum):
   * the value a checkpoint of the in-memory examples records. Reads the whole file.
   */
  checksum(h: number): number;
  /** Where the examples come from, for messages. */
  readonly name: string;
  /** Ends the reading (a thread, for a file); the stream may be opened again after. */
  close(): void;
}

/** Batches in the order an epoch was told, read ahead. */
export interface BatchReader {
  /** The epoch's order, and the position in it of the next batch. */
  start(order: Int32Array, position: number): void;
  /**
   * Writes the next batch, which must be the examples `rows` (the next ones of the order), into
   * `out` (rows.length × n values, scaled to [0, 1] as inputsToMatrix scales pixels).
   */
  next(rows: Int32Array, out: FloatArray): void;
  /** Stops reading; the reader is not used again. */
  close(): void;
}
