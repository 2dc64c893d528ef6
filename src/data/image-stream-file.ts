// A folder of pictures by class streamed as training goes (issue #32): the folder is listed now
// (the pictures' paths and labels, from the class folders' names, as the in-memory reader lists
// them; the size from the first picture or imageSize), and the reading thread decodes the
// pictures a chunk of files at a time (image-chunks-file.ts), a few batches ahead, in a seeded
// order. The test side (DIR/test) is read whole: it is small.
import { checkNumber } from "../errors.ts";
import type { StreamLayout } from "./idx-stream-layout.ts";
import { type ImageFolderListing, listImageFolder, readPictures } from "./image-folder.ts";
import { nodeFolderAccess } from "./image-folder-file.ts";
import type { ExampleStream } from "./stream.ts";
import { checkStreamShuffle } from "./stream-order.ts";
import { streamOfLayout } from "./stream-thread-file.ts";

export interface ImageStreamOptions {
  /** The size every picture is made (default: the first training picture's). */
  imageSize?: { width: number; height: number };
  /** Examples the shuffle buffer holds (default 50,000). */
  shuffleBuffer?: number;
  /** Pictures decoded together, the unit of the chunks' shuffled order (default 512). */
  chunkFiles?: number;
  /** Stream only the first `limit` pictures (--train-limit). */
  limit?: number;
  /** Batches read ahead (default 4). */
  ahead?: number;
  /** The folder's listing where it was listed already (listImageFolder, with the same imageSize). */
  listing?: ImageFolderListing;
}

/** A streamed image folder, and its listing (classes, size, the test side's pictures). */
export interface ImageStream extends ExampleStream {
  classNames: string[];
  image: { rows: number; cols: number };
  listing: ImageFolderListing;
}

const DEFAULT_SHUFFLE_BUFFER = 50_000;
const DEFAULT_CHUNK_FILES = 512;

/** The image folder `dir` (DIR/<class>/…, or its DIR/train side where it has DIR/train and DIR/test), streamed. */
export async function openImageFolderStream(dir: string, options: ImageStreamOptions = {}): Promise<ImageStream> {
  const chunkRows = options.chunkFiles ?? DEFAULT_CHUNK_FILES;
  checkNumber("chunkFiles", chunkRows, { integer: true, min: 1 });
  if (options.limit !== undefined) checkNumber("limit", options.limit, { integer: true, min: 1 });
  const listing = await listImageFolder(
    nodeFolderAccess,
    dir,
    options.imageSize ? { imageSize: options.imageSize } : {},
  );
  const all = listing.paths[0] as string[];
  const m = Math.min(all.length, options.limit ?? all.length);
  const { image } = listing;
  const layout: StreamLayout = {
    path: dir,
    gzip: false,
    images: { files: all.slice(0, m), rows: image.rows, cols: image.cols, center: false },
    headerBytes: 0,
    examples: m,
    inputSize: image.rows * image.cols,
    chunkRows,
    bufferRows: options.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER,
  };
  const shuffle = checkStreamShuffle({ examples: m, chunkRows, bufferRows: layout.bufferRows, sequential: false });
  const labels = (listing.labels[0] as Int32Array).slice(0, m);
  return {
    ...streamOfLayout(layout, labels, shuffle, options.ahead ?? 4),
    classNames: listing.classNames,
    image,
    listing,
  };
}

/** The test side of a streamed folder (DIR/test), read whole as the in-memory reader reads it; null without one. */
export async function readImageTestSide(
  stream: ImageStream,
): Promise<{ inputs: Uint8Array; labels: Int32Array } | null> {
  const { paths, labels, image, prepare } = stream.listing;
  if (paths.length < 2) return null;
  return {
    inputs: await readPictures(nodeFolderAccess, paths[1] as string[], image, prepare),
    labels: labels[1] as Int32Array,
  };
}
