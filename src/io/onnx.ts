// A stackae model as an ONNX graph, for onnxruntime (servers, other languages, phones, browsers):
// input → ÷ inputScale → (Gemm, Sigmoid) per encoder → Gemm by θ → logits → Softmax and ArgMax.
// The protobuf is written by onnx-proto (ONNX's own schema compiled by protobufjs); this module
// returns bytes, so that the browser build exports too.
import { checkModel, modelLayout, type StackedModel } from "../nn/model.ts";
import { CHECKSUMS_KEY } from "./checksum.ts";
import { modelDataOf } from "./model-data.ts";
import type { ModelFile } from "./model-file.ts";

/** The ONNX operator set the graph is written against (Softmax over the last axis, as from 13). */
export const ONNX_OPSET = 13;
/** ONNX IR version 7, the oldest that opset 13 may be paired with, so that older runtimes read it too. */
export const ONNX_IR_VERSION = 7;
/** The graph's input and outputs, as scikit-learn's ONNX converters name a classifier's. */
export const ONNX_NAMES = { input: "input", label: "label", probabilities: "probabilities" } as const;

/** What a model with no recorded scale was trained on: pixels of 0–255 (see model-data.ts). */
const DEFAULT_INPUT_SCALE = 255;
/** The keys of a model file's metadata that describe its safetensors layout, not the model. */
const LAYOUT_KEYS = new Set(["format", "version", "tensors", CHECKSUMS_KEY]);

export interface OnnxOptions {
  /** The stackae version written as the graph's producer_version. */
  producerVersion?: string;
}

/**
 * The ONNX bytes of a model. Its input `input` is float32 [N, sizes[0]] holding the values as the
 * training data held them (pixels of 0–255): the graph divides them by the model's input scale,
 * as `stackae predict` does. Its outputs are `label` (int64 [N], the most probable class) and
 * `probabilities` (float32 [N, classes]). The model's metadata is kept in metadata_props, with
 * `classNames`, `inputScale` and `preparation` always set (defaults where the model records none).
 * Async: the ONNX schema (300 KB of code) is loaded on the first call, not with stackae.
 */
export async function encodeOnnx({ model, metadata }: ModelFile, options: OnnxOptions = {}): Promise<Uint8Array> {
  const { onnx } = (await import("onnx-proto")).default;
  checkModel(model);
  const data = modelDataOf(metadata, model.classes, "the model's metadata");
  const scale = data.inputScale ?? DEFAULT_INPUT_SCALE;
  const n = model.sizes[0] as number;
  const inputDoc =
    scale === 1
      ? "the inputs as the model was trained on them (not scaled in the graph)"
      : `the inputs as the training data held them (pixels: 0–255); the graph divides them by ${scale}`;
  const props: Record<string, string> = {};
  for (const [key, v] of Object.entries(metadata)) if (!LAYOUT_KEYS.has(key)) props[key] = v;
  Object.assign(props, {
    sizes: JSON.stringify(model.sizes),
    classes: String(model.classes),
    classNames: JSON.stringify(data.classNames ?? Array.from({ length: model.classes }, (_, c) => String(c))),
    inputScale: String(scale),
    preparation: data.preparation ?? "digit",
  });
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: ONNX_OPSET })],
    producerName: "stackae",
    producerVersion: options.producerVersion ?? "",
    docString:
      `stackae stacked sparse autoencoder, ${model.sizes.join(" → ")} → softmax(${model.classes}). ` +
      `Input "${ONNX_NAMES.input}": float32 [N, ${n}], ${inputDoc}. ` +
      `Outputs "${ONNX_NAMES.label}": int64 [N], the most probable class (its name: metadata "classNames"); ` +
      `"${ONNX_NAMES.probabilities}": float32 [N, ${model.classes}].`,
    graph: graphOf(onnx, model, scale, `float32 [N, ${n}]: ${inputDoc}`),
    metadataProps: Object.entries(props).map(([key, v]) => onnx.StringStringEntryProto.create({ key, value: v })),
  });
  return onnx.ModelProto.encode(proto).finish();
}

type Onnx = typeof import("onnx-proto").onnx;

/** The graph: its nodes, the model's tensors as initializers, its input and outputs. */
function graphOf(onnx: Onnx, model: StackedModel, scale: number, inputDoc: string): InstanceType<Onnx["GraphProto"]> {
  const layout = modelLayout(model);
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const floats = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: littleEndianFloats(values) });
  const initializer = layout.tensors.map((t) =>
    floats(t.name, t.name.startsWith("b") ? [t.cols] : [t.rows, t.cols], layout.slice(model.params, t.name)),
  );
  const node: InstanceType<Onnx["NodeProto"]>[] = [];
  const op = (opType: string, input: string[], output: string, ints: Record<string, number> = {}) =>
    node.push(
      onnx.NodeProto.create({
        opType,
        input,
        output: [output],
        name: output,
        attribute: Object.entries(ints).map(([name, i]) =>
          onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT }),
        ),
      }),
    );
  let a: string = ONNX_NAMES.input;
  if (scale !== 1) {
    initializer.push(floats("input_scale", [], Float32Array.of(scale)));
    // Div, not Mul by 1/scale: x / 255 rounded once, as stackae scales pixels.
    op("Div", [a, "input_scale"], "scaled");
    a = "scaled";
  }
  for (let l = 1; l < model.sizes.length; l++) {
    // Gemm: a Wᵀ + b, with W stored out × in as in the model file (SPEC §4: z = W a + b).
    op("Gemm", [a, `W${l}`, `b${l}`], `z${l}`, { transB: 1 });
    op("Sigmoid", [`z${l}`], `a${l}`);
    a = `a${l}`;
  }
  op("Gemm", [a, "theta"], "logits", { transB: 1 });
  op("Softmax", ["logits"], ONNX_NAMES.probabilities, { axis: -1 });
  op("ArgMax", ["logits"], ONNX_NAMES.label, { axis: 1, keepdims: 0 });
  const batch = onnx.TensorShapeProto.Dimension.create({ dimParam: "N" });
  const value = (name: string, elemType: number, dims: (number | null)[], docString: string) =>
    onnx.ValueInfoProto.create({
      name,
      docString,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((d) => (d === null ? batch : onnx.TensorShapeProto.Dimension.create({ dimValue: d }))),
          }),
        }),
      }),
    });
  return onnx.GraphProto.create({
    name: "stackae",
    node,
    initializer,
    input: [value(ONNX_NAMES.input, FLOAT, [null, model.sizes[0] as number], inputDoc)],
    output: [
      value(ONNX_NAMES.label, onnx.TensorProto.DataType.INT64, [null], "int64 [N]: the most probable class's index"),
      value(ONNX_NAMES.probabilities, FLOAT, [null, model.classes], "float32 [N, classes]: each class's probability"),
    ],
  });
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX's raw_data is little-endian whatever the machine. */
function littleEndianFloats(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return out;
}
