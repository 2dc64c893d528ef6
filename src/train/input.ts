// What a run learns from, checked once, where it enters: the shapes, every value finite, every
// label a class. The stages after this trust what they are given.
import type { ExampleStream } from "../data/stream.ts";
import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import { checkFiniteInputs } from "../linalg/inputs.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { checkLabels } from "../nn/labels.ts";
import { checksum, checksumHex, checksumOf, type TrainDataSummary } from "./checkpoint.ts";

export interface TrainInput {
  /** m × n examples, one per row, and their labels: values in [0, 1], or unsigned-byte pixels (scaled by 1/255). */
  inputs: FloatArray | Uint8Array;
  labels: ArrayLike<number>;
  /** Values per example (n). */
  inputSize: number;
  /** Number of classes (default: the largest label + 1). */
  classes?: number;
  /** Other, unlabelled examples to pretrain the autoencoders on (self-taught learning, SPEC §8). */
  unlabeled?: FloatArray | Uint8Array;
  /**
   * Held-out labelled examples (same input size and scaling as `inputs`), never trained on: every
   * stage after pretraining reports its accuracy and cost on them, and early stopping watches them.
   */
  validation?: ValidationInput;
}

/**
 * Examples streamed from a file rather than held (issue #32): every stage must then train with
 * adam or sgd. The validation set, where there is one, is held in memory.
 */
export interface StreamedTrainInput {
  stream: ExampleStream;
  /** Number of classes (default: the largest label + 1). */
  classes?: number;
  validation?: ValidationInput;
}

/** Whether the input is streamed. */
export function isStreamedInput(input: TrainInput | StreamedTrainInput): input is StreamedTrainInput {
  return (input as StreamedTrainInput).stream !== undefined;
}

/** mv × n held-out examples, one per row, and their labels (classes of the training set). */
export interface ValidationInput {
  inputs: FloatArray | Uint8Array;
  labels: ArrayLike<number>;
}

/** A TrainInput after its checks: m examples of n values, and their labels as classes in [0, classes). */
export interface CheckedInput {
  m: number;
  n: number;
  classes: number;
  labels: Int32Array;
  /** The validation set's size and its labels, checked; absent without one. */
  validation?: { m: number; labels: Int32Array };
}

/**
 * Checks a run's input before any work: the labels now rather than when the softmax starts,
 * after the long pretraining.
 */
export function checkTrainInput(input: TrainInput | StreamedTrainInput): CheckedInput {
  if (isStreamedInput(input)) return checkStreamedInput(input);
  const n = checkNumber("inputSize", input.inputSize, { integer: true, min: 1 });
  const m = input.labels.length;
  if (m === 0) throw new ArgumentError("there are no training examples: give at least one, with its label");
  if (input.unlabeled && input.unlabeled.length === 0) {
    throw new ArgumentError("unlabeled holds no examples: give at least one, or leave it out");
  }
  if (input.inputs.length !== m * n) {
    throw new StackaeError(
      "ERR_SHAPE",
      `inputs hold ${input.inputs.length} values, but ${m} labels × ${n} values per example need ${m * n}`,
    );
  }
  checkFiniteInputs(input.inputs, n);
  if (input.unlabeled) checkFiniteInputs(input.unlabeled, n, "unlabeled inputs");
  let classes = input.classes ?? 0;
  if (input.classes === undefined) {
    for (let i = 0; i < m; i++) classes = Math.max(classes, (input.labels[i] as number) + 1);
  }
  const checked: CheckedInput = { m, n, classes, labels: checkLabels(Array.from(input.labels), m, classes) };
  if (input.validation) checked.validation = checkValidation(input.validation, n, classes);
  return checked;
}

/** A streamed input's checks: its labels (its pixels are bytes, finite), its validation set's. */
function checkStreamedInput(input: StreamedTrainInput): CheckedInput {
  const { examples: m, inputSize: n, labels } = input.stream;
  if (m === 0) throw new ArgumentError(`${input.stream.name} holds no examples`);
  let classes = input.classes ?? 0;
  if (input.classes === undefined) for (const k of labels) classes = Math.max(classes, k + 1);
  const checked: CheckedInput = { m, n, classes, labels: checkLabels(Array.from(labels), m, classes) };
  if (input.validation) checked.validation = checkValidation(input.validation, n, classes);
  return checked;
}

/** The validation set's checks, those of the training inputs, in its own words. */
function checkValidation(v: ValidationInput, n: number, classes: number): { m: number; labels: Int32Array } {
  const m = v.labels.length;
  if (m === 0) throw new ArgumentError("validation holds no examples: give at least one, or leave it out");
  if (v.inputs.length !== m * n) {
    throw new StackaeError(
      "ERR_SHAPE",
      `validation inputs hold ${v.inputs.length} values, but ${m} labels × ${n} values per example need ${m * n}`,
    );
  }
  checkFiniteInputs(v.inputs, n, "validation inputs");
  let labels: Int32Array;
  try {
    labels = checkLabels(Array.from(v.labels), m, classes);
  } catch (e) {
    if (!(e instanceof StackaeError)) throw e;
    throw new ArgumentError(`validation ${e.message}: the validation set's classes must be the training set's`);
  }
  return { m, labels };
}

/** The summary a checkpoint keeps of the data; the checksum only where it will be compared (`tracked`). */
export function summarizeInput(
  input: TrainInput | StreamedTrainInput,
  checked: CheckedInput,
  tracked: boolean,
): TrainDataSummary {
  const { m, n, classes, labels } = checked;
  if (isStreamedInput(input)) {
    // The same checksum as the examples in memory (a pass over the file, on the reading thread),
    // so that a checkpoint of either resumes with the other.
    let h = checksumOf(undefined, [labels]);
    if (tracked) h = checksumOf(input.stream.checksum(h), [checked.validation?.labels, input.validation?.inputs]);
    return { examples: m, inputSize: n, classes, unlabeled: null, checksum: tracked ? checksumHex(h) : "" };
  }
  return {
    examples: m,
    inputSize: n,
    classes,
    unlabeled: input.unlabeled ? input.unlabeled.length / n : null,
    // The validation set joins the checksum only where there is one, so older checkpoints still match.
    checksum: tracked
      ? checksum([labels, input.inputs, input.unlabeled, checked.validation?.labels, input.validation?.inputs])
      : "",
  };
}
