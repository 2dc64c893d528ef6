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
  /** Examples per chunk, the unit read at once (the most of any chunk, where `chunkStarts` is given). */
  chunkRows: number;
  /**
   * Chunks of unequal sizes (a CSV's, cut at records): the first example of each chunk, and the
   * number of examples after the last (chunks + 1 entries). Without it, chunk c starts at c × chunkRows.
   */
  chunkStarts?: readonly number[];
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
  const starts = s.chunkStarts;
  if (starts !== undefined) {
    const bad = starts.findIndex((x, c) =>
      c === 0 ? x !== 0 : !(x > (starts[c - 1] as number) && x - (starts[c - 1] as number) <= s.chunkRows),
    );
    if (bad >= 0 || starts.length < 2 || starts[starts.length - 1] !== s.examples) {
      throw new ArgumentError(`chunkStarts must rise from 0 to ${s.examples} in steps of 1 to ${s.chunkRows}`);
    }
  }
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
  const starts = s.chunkStarts;
  const chunks = starts ? starts.length - 1 : Math.ceil(examples / chunkRows);
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
    const end = starts ? (starts[c + 1] as number) : Math.min(examples, (c + 1) * chunkRows);
    for (let r = starts ? (starts[c] as number) : c * chunkRows; r < end; r++) buffer[size++] = r;
    while (size > bufferRows) draw();
  }
  while (size > 0) draw();
}
