// `stackae export` and `stackae import`: a model for other engines (an ONNX graph for onnxruntime,
// a PyTorch state_dict to train on in PyTorch), and a PyTorch state_dict back (docs/scale-out.md).
import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import type { Command } from "commander";
import { ArgumentError, fileErrorReason } from "../errors.ts";
import { loadModel, saveModel, writeFileAtomic } from "../io/files.ts";
import { modelDataOf } from "../io/model-data.ts";
import { encodeOnnx, ONNX_OPSET } from "../io/onnx.ts";
import { ModelFileError } from "../io/safetensors.ts";
import { decodeTorchState, encodeTorchState } from "../io/torch-state.ts";

const FORMATS = ["onnx", "torch"] as const;
type Format = (typeof FORMATS)[number];

/** Registers `export` and `import`. */
export function registerExport(program: Command): void {
  program
    .command("export <model>")
    .description(
      "write a model for other engines: an ONNX graph for onnxruntime (servers, other languages, browsers), or a PyTorch state_dict (safetensors) to train on in PyTorch (docs/scale-out.md)",
    )
    .requiredOption("--out <file>", "the file to write")
    .option(
      "--format <format>",
      "onnx (its input: values as the training data held them, pixels 0–255) or torch (its inputs scaled into [0, 1]); default: onnx for an --out ending .onnx, torch for .safetensors",
    )
    .action(exportModel);
  program
    .command("import <state>")
    .description(
      "read a PyTorch state_dict (safetensors) of the module that `export --format torch` writes back into a stackae model, for eval and predict",
    )
    .requiredOption("--out <file>", "the stackae model to write")
    .option(
      "--like <model>",
      "the stackae model it was exported from: the new model keeps its class names, input scale and picture preparation",
    )
    .action(importState);
}

/** `export`: the model as ONNX or as a PyTorch state_dict. */
async function exportModel(file: string, flags: { out: string; format?: string }): Promise<void> {
  const format = formatOf(flags);
  refuseOverwrite(flags.out, [file]);
  const loaded = loadModel(file);
  const { model, metadata } = loaded;
  if (format === "onnx") {
    writeFileAtomic(flags.out, await encodeOnnx(loaded, { producerVersion: stackaeVersion() }));
    const scale = modelDataOf(metadata, model.classes, file).inputScale ?? 255;
    const input =
      scale === 1 ? "the model's inputs as they are" : `values as the training data held them, ÷ ${scale} in the graph`;
    process.stdout.write(
      `wrote ${flags.out}: ONNX opset ${ONNX_OPSET}; input "input" float32 [N, ${model.sizes[0]}] (${input}); outputs "label" int64 [N], "probabilities" float32 [N, ${model.classes}]\n`,
    );
  } else {
    writeFileAtomic(flags.out, encodeTorchState(loaded));
    process.stdout.write(
      `wrote ${flags.out}: the state_dict of ${model.sizes.length} nn.Linear layers (docs/scale-out.md's module); inputs scaled into [0, 1]\n`,
    );
  }
}

/** `import`: a PyTorch state_dict back into a stackae model. */
function importState(file: string, flags: { out: string; like?: string }): void {
  refuseOverwrite(flags.out, [file, ...(flags.like === undefined ? [] : [flags.like])]);
  const like = flags.like === undefined ? {} : loadModel(flags.like).metadata;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new ModelFileError(file, `cannot be read (${fileErrorReason(cause)})`, { cause });
  }
  const { model, metadata } = decodeTorchState(bytes, file, like);
  saveModel(flags.out, model, metadata);
  process.stdout.write(`wrote ${flags.out}: a stackae model ${model.sizes.join(" → ")} → softmax(${model.classes})\n`);
}

/** The format asked for, or the one --out's extension names. */
function formatOf(flags: { out: string; format?: string }): Format {
  if (flags.format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flags.format)) {
      throw new ArgumentError(`--format must be onnx or torch, got ${JSON.stringify(flags.format)}`);
    }
    return flags.format as Format;
  }
  const ext = extname(flags.out).toLowerCase();
  if (ext === ".onnx") return "onnx";
  if (ext === ".safetensors") return "torch";
  throw new ArgumentError(
    `export: say which format with --format onnx or --format torch (--out ${flags.out} has neither .onnx nor .safetensors)`,
  );
}

/** Refuses an --out that is one of the files read: the export would replace the model it came from. */
function refuseOverwrite(out: string, inputs: string[]): void {
  const clash = inputs.find((input) => resolve(input) === resolve(out));
  if (clash !== undefined) {
    throw new ArgumentError(
      `--out ${out} is the file read (${clash}): choose another path, so that it is not replaced`,
    );
  }
}

/** This stackae's version, for the ONNX graph's producer_version. */
function stackaeVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}
