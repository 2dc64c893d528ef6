// What a run learns from, checked once, where it enters: the shapes, every value finite, every
// label a class. The stages after this trust what they are given.
import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import { checkFiniteInputs } from "../linalg/inputs.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { checkLabels } from "../nn/labels.ts";
import { checksum, type TrainDataSummary } from "./checkpoint.ts";

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
export function checkTrainInput(input: TrainInput): CheckedInput {
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
export function summarizeInput(input: TrainInput, checked: CheckedInput, tracked: boolean): TrainDataSummary {
  const { m, n, classes, labels } = checked;
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
