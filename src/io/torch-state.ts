// A stackae model as the state_dict of a PyTorch module, in safetensors, so that training goes
// on in PyTorch (DistributedDataParallel on many machines, say) from the stack stackae trained:
//
//     nn.Sequential(nn.Linear(n, h1), nn.Sigmoid(), …, nn.Linear(hL-1, hL), nn.Sigmoid(),
//                   nn.Linear(hL, classes, bias=False))
//
// whose keys are "0.weight", "0.bias", "2.weight", …, "2L.weight" (nn.Linear's weight is
// out × in, as stackae's W and θ are; the softmax has no bias, as stackae's has none: SPEC §2).
// The module gives logits; its inputs are scaled as stackae's network takes them (÷ inputScale).
// docs/scale-out.md has the module in Python. Reading such a state_dict back gives a stackae model.

import { modelLayout, type StackedModel } from "../nn/model.ts";
import { CHECKSUMS_KEY } from "./checksum.ts";
import { modelDataOf } from "./model-data.ts";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile, modelFromSafetensors } from "./model-file.ts";
import { decodeSafetensors, encodeSafetensors, ModelFileError, type Tensor } from "./safetensors.ts";

/** What a model with no recorded scale was trained on: pixels of 0–255 (see model-data.ts). */
const DEFAULT_INPUT_SCALE = 255;
/** The keys of a model file's metadata that belong to its own format, not to the model. */
const FORMAT_KEYS = new Set(["format", "version", "tensors", "activation", "sizes", "classes", CHECKSUMS_KEY]);
/** The metadata a model records of its data (model-data.ts, and the image shape and transposition eval and predict read). */
const DATA_KEYS = ["classNames", "inputScale", "preparation", "imageShape", "transposed"];
/** What DistributedDataParallel (`module.`) and torch.compile (`_orig_mod.`) put before every key. */
const WRAPPER_PREFIXES = ["module.", "_orig_mod."];

/** The state_dict keys of the module for a model of `layers` encoders, in order. */
export function torchStateKeys(layers: number): string[] {
  const keys: string[] = [];
  for (let l = 0; l < layers; l++) keys.push(`${2 * l}.weight`, `${2 * l}.bias`);
  keys.push(`${2 * layers}.weight`);
  return keys;
}

/**
 * The state_dict of a model as safetensors bytes (float32). Its metadata keeps the model's
 * (class names, how it was trained), with `format: "pt"` as PyTorch's safetensors writer marks
 * its files, `sizes`, `classes`, `module` (the module in Python) and `inputScale` (what the
 * module's inputs were divided by: the model's, else 255).
 */
export function encodeTorchState({ model, metadata }: ModelFile): Uint8Array {
  const layout = modelLayout(model);
  const layers = model.sizes.length - 1;
  const keys = torchStateKeys(layers);
  const tensors: [string, Tensor][] = layout.tensors.map((t, i) => {
    const shape = t.name.startsWith("b") ? [t.cols] : [t.rows, t.cols];
    return [keys[i] as string, { dtype: "F32", shape, data: layout.slice(model.params, t.name) }];
  });
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) if (!FORMAT_KEYS.has(key)) kept[key] = value;
  const scale = modelDataOf(metadata, model.classes, "the model's metadata").inputScale ?? DEFAULT_INPUT_SCALE;
  return encodeSafetensors(tensors, {
    ...kept,
    inputScale: String(scale),
    format: "pt",
    sizes: JSON.stringify(model.sizes),
    classes: String(model.classes),
    module: torchModule(model),
  });
}

/**
 * Reads a state_dict of that module (as `safetensors.torch.save_file(module.state_dict(), …)`
 * writes it) back into a stackae model; `file` names it in errors. The layer sizes come from the
 * tensors' shapes; keys wrapped by DistributedDataParallel (`module.…`) are taken too; float64
 * tensors are rounded to float32. What the model records of its data (class names, input scale,
 * preparation, image shape) comes from `like` (the metadata of the model it was exported from),
 * else from the file's own metadata, else the defaults of an IDX model.
 */
export function decodeTorchState(bytes: Uint8Array, file: string, like: Record<string, string> = {}): ModelFile {
  const bad = (message: string) => new ModelFileError(file, message);
  const { tensors: raw, metadata: own } = decodeSafetensors(bytes, file);
  if (own.format === MODEL_FORMAT) {
    throw bad(
      `is a stackae model already, not a PyTorch state_dict: use it as it is, or make a state_dict of it with \`stackae export ${file} --format torch --out torch.safetensors\``,
    );
  }
  const tensors = unwrapped(raw);
  const linears = [...tensors.keys()].filter((k) => /^\d+\.weight$/.test(k)).length;
  if (linears < 2) {
    throw bad(
      `holds ${linears} nn.Linear weight(s) named like "0.weight"; the module of docs/scale-out.md has at least 2 (an encoder and the softmax): its keys are ${torchStateKeys(1).join(", ")}, …`,
    );
  }
  const layers = linears - 1;
  const keys = torchStateKeys(layers);
  const softmaxBias = `${2 * layers}.bias`;
  const unknown = [...tensors.keys()].filter((k) => !keys.includes(k) && k !== softmaxBias);
  if (unknown.length > 0) {
    throw bad(
      `has keys ${unknown.slice(0, 5).join(", ")} that the module of docs/scale-out.md (${layers} encoder(s), keys ${keys.join(", ")}) does not have`,
    );
  }
  const weight = (key: string, rows: number | undefined, what: string): Tensor => {
    const t = tensors.get(key);
    if (t === undefined) throw bad(`has no tensor ${key} (${what})`);
    if (t.dtype === "I32") throw bad(`tensor ${key} holds integers (I32); the module's tensors are floats`);
    if (t.shape.length !== 2 || (rows !== undefined && t.shape[1] !== rows)) {
      throw bad(`tensor ${key} (${what}) has shape [${t.shape}], where [out, ${rows ?? "in"}] was expected`);
    }
    return t;
  };
  const sizes = [weight("0.weight", undefined, "the first encoder's weight").shape[1] as number];
  for (let l = 0; l < layers; l++)
    sizes.push(weight(`${2 * l}.weight`, sizes[l], `encoder ${l + 1}'s weight`).shape[0] as number);
  const theta = weight(`${2 * layers}.weight`, sizes[layers], "the softmax's weight");
  const classes = theta.shape[0] as number;
  const bias = tensors.get(softmaxBias);
  if (bias?.data.some((v) => v !== 0)) {
    throw bad(
      `tensor ${softmaxBias} is the softmax's bias, which stackae's softmax does not have (SPEC §2): train with nn.Linear(${sizes[layers]}, ${classes}, bias=False), as docs/scale-out.md's module is`,
    );
  }
  const named = new Map<string, Tensor>();
  modelLayout({ sizes, classes }).tensors.forEach((t, i) => {
    const key = keys[i] as string;
    const found = tensors.get(key);
    if (found === undefined) throw bad(`has no tensor ${key} (encoder ${Math.floor(i / 2) + 1}'s bias)`);
    for (let j = 0; j < found.data.length; j++) {
      if (!Number.isFinite(found.data[j] as number)) throw bad(`tensor ${key} holds a non-finite value at index ${j}`);
    }
    named.set(t.name, { ...found, dtype: "F32", data: Float32Array.from(found.data) });
  });
  const metadata = { ...dataMetadata(own), ...dataMetadata(like), createdBy: "stackae import" };
  modelDataOf(metadata, classes, file);
  return modelFromSafetensors(
    {
      tensors: named,
      metadata: {
        ...metadata,
        format: MODEL_FORMAT,
        version: String(MODEL_VERSION),
        sizes: JSON.stringify(sizes),
        classes: String(classes),
        activation: "sigmoid",
      },
    },
    file,
  );
}

/** The tensors with a wrapper's prefix taken off every key, where every key has it. */
function unwrapped(tensors: Map<string, Tensor>): Map<string, Tensor> {
  for (const prefix of WRAPPER_PREFIXES) {
    if (tensors.size > 0 && [...tensors.keys()].every((k) => k.startsWith(prefix))) {
      return unwrapped(new Map([...tensors].map(([k, t]) => [k.slice(prefix.length), t])));
    }
  }
  return tensors;
}

/** What a model records of its data, of a model's or an export's metadata (not how it was trained: that was in PyTorch). */
function dataMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of DATA_KEYS) if (metadata[key] !== undefined) out[key] = metadata[key];
  return out;
}

/** The module in Python, as the file's metadata names it. */
function torchModule(model: StackedModel): string {
  const encoders = model.sizes.slice(1).map((h, l) => `nn.Linear(${model.sizes[l]}, ${h}), nn.Sigmoid()`);
  const softmax = `nn.Linear(${model.sizes[model.sizes.length - 1]}, ${model.classes}, bias=False)`;
  return `nn.Sequential(${[...encoders, softmax].join(", ")})`;
}
