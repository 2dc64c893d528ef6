/** A labelled data set as read from a source, before any scaling. */
export interface Examples {
  /**
   * m × n values, one example a row (row-major). Images: Uint8Array 0…255; CSV: the values as
   * written, a Uint8Array when every one is an integer 0…255 (see `integerBytes`), else Float32Array.
   */
  inputs: Float32Array | Uint8Array;
  /** m class indices in [0, classNames.length). */
  labels: Int32Array;
  /** Values per example (n). */
  inputSize: number;
  /** Class index → name ("0", "1", … where the source has no names). */
  classNames: string[];
  /**
   * Set when the inputs are bytes only because every value is an integer 0…255 (a CSV's), not
   * pixels of a declared 0…255 range: they are scaled as floats are (by default by the training
   * set's largest value). Absent: a Uint8Array holds pixels (÷ 255).
   */
  integerBytes?: true;
  /** Pictures' size when the examples are images (rows × cols = inputSize). */
  image?: { rows: number; cols: number };
}
