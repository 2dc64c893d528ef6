// What a model records of the data it was trained on, beyond its tensors: the class names, how
// inputs were scaled into [0, 1], and how pictures were prepared. eval, predict and encode
// apply the same. A model that records none of these was trained on MNIST-style IDX files:
// pixels ÷ 255, digits centred as MNIST's were, classes named by their index.
import { ModelFileError } from "./safetensors.ts";

/** How pictures become inputs: "digit" as MNIST's digits were (digitToInput), "resize" (imageToInput). */
export type Preparation = "digit" | "resize";

export interface ModelData {
  /** Class index → name; absent: the index is the name. */
  classNames?: string[];
  /** Inputs are divided by this before they reach the network (IDX and pictures: 255). */
  inputScale?: number;
  /** How a picture given to predict is prepared; absent: "digit". */
  preparation?: Preparation;
}

/** The metadata keys of `data`; keys of absent fields are left out, so an IDX model's file is unchanged. */
export function modelDataMetadata(data: ModelData): Record<string, string> {
  const out: Record<string, string> = {};
  if (data.classNames !== undefined) out.classNames = JSON.stringify(data.classNames);
  if (data.inputScale !== undefined) out.inputScale = String(data.inputScale);
  if (data.preparation !== undefined) out.preparation = data.preparation;
  return out;
}

/** Reads what `modelDataMetadata` wrote, checking it against the model's class count; errors name `file`. */
export function modelDataOf(metadata: Record<string, string>, classes: number, file: string): ModelData {
  const bad = (message: string) => new ModelFileError(file, message);
  const data: ModelData = {};
  if (metadata.classNames !== undefined) {
    let names: unknown;
    try {
      names = JSON.parse(metadata.classNames);
    } catch {
      names = null;
    }
    if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === "string")) {
      throw bad(
        `metadata "classNames" must be a JSON list of ${classes} strings (one per class), got ${JSON.stringify(metadata.classNames)}`,
      );
    }
    data.classNames = names as string[];
  }
  if (metadata.inputScale !== undefined) {
    const scale = Number(metadata.inputScale);
    if (!(Number.isFinite(scale) && scale > 0)) {
      throw bad(`metadata "inputScale" must be a positive number, got ${JSON.stringify(metadata.inputScale)}`);
    }
    data.inputScale = scale;
  }
  if (metadata.preparation !== undefined) {
    if (metadata.preparation !== "digit" && metadata.preparation !== "resize") {
      throw bad(`metadata "preparation" must be "digit" or "resize", got ${JSON.stringify(metadata.preparation)}`);
    }
    data.preparation = metadata.preparation;
  }
  return data;
}

/** The name of class `index`: its recorded name, else the index itself. */
export function className(data: ModelData, index: number): string {
  return data.classNames?.[index] ?? String(index);
}
