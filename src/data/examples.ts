/** A labelled data set as read from a source, before any scaling. */
export interface Examples {
  /** m × n values, one example a row (row-major). Images: Uint8Array 0…255; CSV: Float32Array as written. */
  inputs: Float32Array | Uint8Array;
  /** m class indices in [0, classNames.length). */
  labels: Int32Array;
  /** Values per example (n). */
  inputSize: number;
  /** Class index → name ("0", "1", … where the source has no names). */
  classNames: string[];
  /** Pictures' size when the examples are images (rows × cols = inputSize). */
  image?: { rows: number; cols: number };
}
