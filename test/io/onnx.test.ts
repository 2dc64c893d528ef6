// The ONNX export, run by onnxruntime (onnxruntime-web's WebAssembly build, in Node) and compared
// with stackae's own probabilities on 1,000 MNIST test images.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-web";
import { modelDataMetadata } from "../../src/io/model-data.ts";
import { encodeOnnx, ONNX_IR_VERSION, ONNX_OPSET } from "../../src/io/onnx.ts";
import { createBackend } from "../../src/linalg/index.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { modelLayout, predictProbabilities, type StackedModel } from "../../src/nn/model.ts";
import { trainedModel } from "./trained-model.ts";

const { onnx } = onnxProto;
// One thread: onnxruntime-web would otherwise start workers on a machine of 2 shared cores.
ort.env.wasm.numThreads = 1;
const backend = await createBackend();
const { model, test } = await trainedModel();
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

/** Runs the exported bytes in onnxruntime on `inputs` (m × n float32). */
async function runOnnx(bytes: Uint8Array, inputs: Float32Array, n: number) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const m = inputs.length / n;
    const out = await session.run({ input: new ort.Tensor("float32", inputs, [m, n]) });
    return {
      probabilities: out.probabilities?.data as Float32Array,
      label: out.label?.data as BigInt64Array,
      dims: { probabilities: out.probabilities?.dims, label: out.label?.dims },
    };
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** The index of each row's largest value. */
function argmaxRows(p: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.length / k; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[i * k + c] as number) > (p[i * k + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

describe("ONNX export", () => {
  it("onnxruntime gives stackae's probabilities (≤ 1e-5) and classes on 1,000 test images, fed raw pixels", async () => {
    const bytes = await encodeOnnx({ model, metadata: modelDataMetadata({ classNames: NAMES }) });
    const pixels = Float32Array.from(test.pixels);
    const got = await runOnnx(bytes, pixels, 784);
    // stackae scales the bytes by 1/255 as predict and eval do.
    const expected = predictProbabilities(backend, model, test.pixels);
    assert.deepEqual(got.dims, { probabilities: [1000, 10], label: [1000] });
    const diff = maxAbsDiff(got.probabilities, expected);
    assert.ok(diff <= 1e-5, `max |onnxruntime − stackae| = ${diff.toExponential(2)} > 1e-5`);
    assert.deepEqual(Array.from(got.label, Number), argmaxRows(expected, 10));
    // A real classifier, not a constant: most of its answers are right.
    const right = Array.from(got.label).filter((c, i) => Number(c) === test.labels[i]).length;
    assert.ok(right > 600, `only ${right} of 1,000 right`);
    process.stderr.write(`onnx: max |onnxruntime − stackae| = ${diff.toExponential(2)} on 1,000 test images\n`);
  });

  it("names its input and outputs, and records opset, doc string and the model's metadata", async () => {
    const bytes = await encodeOnnx(
      {
        model,
        metadata: {
          ...modelDataMetadata({ classNames: NAMES }),
          format: "stackae-model",
          settings: "{}",
          checksums: '{"tensors":{},"metadata":{}}',
        },
      },
      { producerVersion: "9.9.9" },
    );
    const proto = onnx.ModelProto.decode(bytes);
    assert.equal(Number(proto.irVersion), ONNX_IR_VERSION);
    assert.deepEqual(
      proto.opsetImport.map((o) => [o.domain, Number(o.version)]),
      [["", ONNX_OPSET]],
    );
    assert.equal(proto.producerName, "stackae");
    assert.equal(proto.producerVersion, "9.9.9");
    assert.match(proto.docString, /784 → 32 → 16 → softmax\(10\)/);
    assert.match(proto.docString, /divides them by 255/);
    const graph = proto.graph as InstanceType<typeof onnx.GraphProto>;
    assert.deepEqual(
      graph.input.map((v) => v.name),
      ["input"],
    );
    assert.deepEqual(
      graph.output.map((v) => v.name),
      ["label", "probabilities"],
    );
    const dims = graph.input[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(dims, ["N", 784]);
    const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(props.classNames as string), NAMES);
    assert.equal(props.inputScale, "255");
    assert.equal(props.preparation, "digit");
    assert.equal(props.settings, "{}");
    assert.equal(props.format, undefined, "the model file's own format key is not the graph's");
    assert.equal(props.checksums, undefined, "nor its checksums, of its safetensors tensors");
  });

  it("classes are named by their index where the model records no names", async () => {
    const proto = onnx.ModelProto.decode(await encodeOnnx({ model, metadata: {} }));
    const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(props.classNames as string), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("a model's recorded input scale is the graph's; at scale 1 inputs go in as they are", async () => {
    const shape = { sizes: [5, 4, 3], classes: 3 };
    const rng = new Rng(4);
    const small: StackedModel = {
      ...shape,
      params: Float32Array.from({ length: modelLayout(shape).length }, () => rng.normal()),
    };
    const raw = Float32Array.from({ length: 5 * 7 }, () => 16 * rng.uniform());
    for (const scale of [16, 1]) {
      const bytes = await encodeOnnx({ model: small, metadata: modelDataMetadata({ inputScale: scale }) });
      const ops = onnx.ModelProto.decode(bytes).graph?.node?.map((n) => n.opType);
      assert.equal(ops?.includes("Div"), scale !== 1);
      const got = await runOnnx(bytes, raw, 5);
      const expected = predictProbabilities(
        backend,
        small,
        raw.map((v) => v / scale),
      );
      const diff = maxAbsDiff(got.probabilities, expected);
      assert.ok(diff <= 1e-5, `scale ${scale}: max difference ${diff}`);
    }
  });

  it("refuses a model whose parameters do not fit its sizes", async () => {
    await assert.rejects(encodeOnnx({ model: { ...model, params: new Float32Array(3) }, metadata: {} }), /params/);
  });
});
