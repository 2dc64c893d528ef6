// A program that uses the package as a dependent project does, through its published
// declarations (dist/*.d.ts), type-checked with the oldest TypeScript the package supports.
import {
  accuracy,
  type Backend,
  createBackend,
  type LabelledImages,
  predict,
  readMnist,
  type TrainResult,
  trainStackedAutoencoder,
} from "stackae";
import { decodeModel, digitToInput, type StackedModel } from "stackae/browser";

export async function quick(): Promise<number> {
  const backend: Backend = await createBackend("wasm", { threads: 1 });
  const train: LabelledImages = readMnist().train.head(100);
  const result: TrainResult = trainStackedAutoencoder(backend, {
    inputs: train.pixels,
    labels: train.labels,
    inputSize: 784,
  });
  const model: StackedModel = result.model;
  const correct = accuracy(predict(backend, model, train.pixels), train.labels);
  await backend.dispose();
  return correct;
}

export function fromBytes(bytes: Uint8Array): StackedModel {
  return decodeModel(bytes, "model.safetensors").model;
}

export const input: Float32Array = digitToInput({ width: 2, height: 2, data: new Uint8Array(4) });
