// An image folder's chunks for the reading thread (idx-stream-worker-file.ts): chunkRows pictures
// each, read and decoded as the in-memory reader does (readPictures: gray, resized, round(255 ·
// value) bytes), into the RowStore's chunk; and the checksum of those bytes, all pictures in order.

import { type ChunkSource, fnv1a, type ImagesLayout, type StreamLayout } from "./idx-stream-layout.ts";
import { readPictures } from "./image-folder.ts";
import { nodeFolderAccess } from "./image-folder-file.ts";
import { digitToInput, imageToInput } from "./images.ts";
import type { RowStore } from "./pixels-wasm.ts";

/** The chunks of a streamed image folder (nothing to open or close: each picture is read when its chunk is). */
export function imageChunks(layout: StreamLayout, store: RowStore): ChunkSource {
  const { examples: m, inputSize: n, chunkRows } = layout;
  const images = layout.images as ImagesLayout;
  const image = { rows: images.rows, cols: images.cols };
  const prepare = images.center ? digitToInput : imageToInput;
  const count = Math.ceil(m / chunkRows);
  /** Chunk c's pictures into the store's chunk; its rows. */
  const decode = async (c: number): Promise<number> => {
    const files = images.files.slice(c * chunkRows, Math.min(m, (c + 1) * chunkRows));
    const bytes = await readPictures(nodeFolderAccess, files, image, prepare);
    store.memory.set(bytes, store.chunkAt);
    return files.length;
  };
  return {
    count,
    first: (c) => c * chunkRows,
    chunkOf: (row) => Math.floor(row / chunkRows),
    read: async (c, each) => each(c, await decode(c)),
    checksum: async (h) => {
      let hash = h;
      for (let c = 0; c < count; c++) {
        const rows = await decode(c);
        hash = fnv1a(hash, store.memory.subarray(store.chunkAt, store.chunkAt + rows * n));
      }
      return hash;
    },
    close: () => {},
  };
}
