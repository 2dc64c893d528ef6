// The order a streamed epoch visits its examples in: the file's chunks in a seeded order, and
// the rows of the chunks read so far drawn at random from a buffer of a stated size (as
// tf.data's shuffle buffer), so that each epoch reads every chunk once, holds at most the buffer
// and a chunk, and is the same for the same seed. The reader (idx-stream-file.ts) needs nothing
// but the order to read it back: a row's chunk is read when the row is first wanted.
import { ArgumentError, checkNumber } from "../errors.ts";
import type { Rng } from "../linalg/rng.ts";

export interface StreamShuffle {
  /** Examples in the stream. */
  examples: number;
  /** Examples per chunk, the unit read at once. */
  chunkRows: number;
  /** Examples the shuffle buffer holds (≥ 1; ≥ examples: a uniform shuffle of the whole set). */
  bufferRows: number;
  /** The chunks can only be read in the file's order (a gzip stream): they are not shuffled. */
  sequential: boolean;
}

/** Checks a shuffle's sizes, naming the option at fault. */
export function checkStreamShuffle(s: StreamShuffle): StreamShuffle {
  checkNumber("examples", s.examples, { integer: true, min: 1 });
  checkNumber("chunkRows", s.chunkRows, { integer: true, min: 1 });
  checkNumber("shuffleBuffer", s.bufferRows, { integer: true, min: 1 });
  if (typeof s.sequential !== "boolean") throw new ArgumentError("sequential must be true or false");
  return s;
}

/**
 * Writes an epoch's order into `order` (length `examples`), drawing from `rng`: the chunks in a
 * shuffled order (in file order when sequential), each one's rows added to the buffer, and a
 * row drawn from the buffer at random whenever it holds more than `bufferRows`.
 */
export function shuffleStream(order: Int32Array, s: StreamShuffle, rng: Rng): void {
  const { examples, chunkRows, bufferRows } = s;
  if (order.length !== examples) throw new ArgumentError(`order has ${order.length} places for ${examples} examples`);
  const chunks = Math.ceil(examples / chunkRows);
  const sequence = Int32Array.from({ length: chunks }, (_, i) => i);
  if (!s.sequential) rng.shuffle(sequence);
  const buffer = new Int32Array(Math.min(bufferRows, examples) + chunkRows);
  let size = 0;
  let out = 0;
  const draw = () => {
    const j = rng.int(size);
    order[out++] = buffer[j] as number;
    buffer[j] = buffer[--size] as number;
  };
  for (const c of sequence) {
    const end = Math.min(examples, (c + 1) * chunkRows);
    for (let r = c * chunkRows; r < end; r++) buffer[size++] = r;
    while (size > bufferRows) draw();
  }
  while (size > 0) draw();
}
