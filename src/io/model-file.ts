// A stackae model as safetensors: tensors W1 (h1 × n), b1 (h1), …, WL, bL, theta (classes × hL),
// float32, and string metadata naming the format, its version, the layer sizes, the activation
// and the training settings, with a checksum of each (checksum.ts). Readable by any safetensors
// reader (see the README for numpy).
import { StackaeError } from "../errors.ts";
import { checkModel, modelLayout, type StackedModel } from "../nn/model.ts";
import { CHECKPOINT_FORMAT } from "./checkpoint-file.ts";
import { checkMetadataChecksums, checkTensorChecksums, withChecksums } from "./checksum.ts";
import { decodeSafetensors, encodeSafetensors, ModelFileError, type Safetensors, type Tensor } from "./safetensors.ts";

export const MODEL_FORMAT = "stackae-model";
export const MODEL_VERSION = 1;

export interface ModelFile {
  model: StackedModel;
  /** All metadata, including format, version, sizes, classes, activation. */
  metadata: Record<string, string>;
}

/**
 * A model whose parameters are not all finite, refused when it is encoded: `eval` and `predict`
 * would refuse the file. Its code is ERR_NUMERICAL, as a training run that diverged.
 */
export class NonFiniteModelError extends StackaeError {
  /** The tensor and the index in it of the first value that is not finite. */
  readonly tensor: string;
  readonly index: number;
  constructor(tensor: string, index: number, value: number) {
    super(
      "ERR_NUMERICAL",
      `the model's tensor ${tensor} holds ${value} at index ${index}: a model that is not finite is not saved (eval and predict would refuse it); train it again with a smaller learning rate, or with lbfgs`,
    );
    this.tensor = tensor;
    this.index = index;
  }
}

/**
 * Encodes a model; `extra` metadata (settings, accuracy, …) is stored beside the format's own
 * keys. Throws NonFiniteModelError where a parameter is NaN or infinite.
 */
export function encodeModel(model: StackedModel, extra: Record<string, string> = {}): Uint8Array {
  const layout = checkModel(model);
  const tensors: [string, Tensor][] = layout.tensors.map((t) => {
    const data = layout.slice(model.params, t.name);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new NonFiniteModelError(t.name, bad, data[bad] as number);
    // Biases are stored as vectors, as other tools expect.
    const shape = t.name.startsWith("b") ? [t.cols] : [t.rows, t.cols];
    return [t.name, { dtype: "F32", shape, data }];
  });
  return encodeSafetensors(
    tensors,
    withChecksums(tensors, {
      ...extra,
      format: MODEL_FORMAT,
      version: String(MODEL_VERSION),
      sizes: JSON.stringify(model.sizes),
      classes: String(model.classes),
      activation: "sigmoid",
      tensors:
        "W1, b1, …, WL, bL: encoders (W: out × in, row-major); theta: softmax (classes × last layer); a = sigmoid(W a + b)",
    }),
  );
}

/** Decodes and checks a model file; every error names `file` and what to do. */
export function decodeModel(bytes: Uint8Array, file: string): ModelFile {
  return modelFromSafetensors(decodeSafetensors(bytes, file), file);
}

/** Checks decoded safetensors as a model file (`decodeModel` without the decoding). */
export function modelFromSafetensors({ tensors, metadata }: Safetensors, file: string): ModelFile {
  const bad = (message: string) => new ModelFileError(file, message);
  if (metadata.format === CHECKPOINT_FORMAT) {
    throw bad(
      `is a stackae checkpoint, not a model: finish its run with \`stackae train --resume ${file} --out model.safetensors\` (and the data flags the run started with)`,
    );
  }
  if (metadata.format !== MODEL_FORMAT) {
    throw bad(
      `is safetensors but not a stackae model (metadata "format" is ${JSON.stringify(metadata.format ?? null)}; expected "${MODEL_FORMAT}"): train one with \`stackae train --out FILE\``,
    );
  }
  if (metadata.version !== String(MODEL_VERSION)) {
    throw bad(
      `is a stackae model of version ${metadata.version}; this stackae reads version ${MODEL_VERSION}: retrain it or use the stackae that wrote it`,
    );
  }
  // Before anything else is read of it: a damaged file is told as such, not by what it damaged.
  const sums = checkMetadataChecksums(metadata, tensors.keys(), file);
  if (sums) checkTensorChecksums(tensors, sums, file);
  let sizes: unknown;
  try {
    sizes = JSON.parse(metadata.sizes ?? "null");
  } catch {
    sizes = null;
  }
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw bad(
      `metadata "sizes" must be a JSON list of at least two positive integers, got ${JSON.stringify(metadata.sizes)}`,
    );
  }
  const classes = Number(metadata.classes);
  if (!Number.isInteger(classes) || classes < 2)
    throw bad(`metadata "classes" must be an integer ≥ 2, got ${JSON.stringify(metadata.classes)}`);
  if (metadata.activation !== "sigmoid")
    throw bad(`activation ${JSON.stringify(metadata.activation)} is not supported (only "sigmoid")`);
  const layout = modelLayout({ sizes, classes });
  // The parameters are allocated once every tensor is checked: metadata can name any size, the
  // tensors are what the file holds.
  const checked: [string, Tensor["data"]][] = [];
  for (const t of layout.tensors) {
    const tensor = tensors.get(t.name);
    if (!tensor) throw bad(`has no tensor ${t.name}, which layer sizes ${JSON.stringify(sizes)} need`);
    if (tensor.dtype === "I32") throw bad(`tensor ${t.name} holds integers (I32); a model's tensors are F32`);
    const expected = t.name.startsWith("b") ? [t.cols] : [t.rows, t.cols];
    if (tensor.shape.length !== expected.length || tensor.shape.some((d, i) => d !== expected[i])) {
      throw bad(
        `tensor ${t.name} has shape [${tensor.shape}], but layer sizes ${JSON.stringify(sizes)} need [${expected}]`,
      );
    }
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i] as number))
        throw bad(`tensor ${t.name} holds a non-finite value at index ${i}: the model is damaged`);
    }
    checked.push([t.name, data]);
  }
  const extra = [...tensors.keys()].filter((name) => !layout.names().includes(name));
  if (extra.length > 0)
    throw bad(`has tensors ${extra.join(", ")} that layer sizes ${JSON.stringify(sizes)} do not use`);
  const params = new Float32Array(layout.length);
  for (const [name, data] of checked) layout.slice(params, name).set(data);
  return { model: { sizes, classes, params }, metadata };
}
