// A training checkpoint as safetensors: the stack's parameters, the optimiser's vectors (for
// L-BFGS every correction pair) and the cost curves as tensors; everything else (settings, data
// summary, stage, generator state, reports, optimiser scalars) as JSON in the metadata key "state".
import { StackaeError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { LbfgsState, MinibatchState, OptimizerState } from "../optim/types.ts";
import type { TrainCheckpoint } from "../train/checkpoint.ts";
import { resolveSettings } from "../train/settings.ts";
import type { StageReport } from "../train/stages.ts";
import {
  decodeSafetensors,
  ModelFileError,
  type Safetensors,
  safetensorsParts,
  type Tensor,
  type TensorData,
  tensor,
} from "./safetensors.ts";

export const CHECKPOINT_FORMAT = "stackae-checkpoint";
export const CHECKPOINT_VERSION = 1;

/** The checkpoint's bytes in parts (header, then each tensor), for writing without one big copy. */
export function encodeCheckpoint(c: TrainCheckpoint): Uint8Array[] {
  const tensors: [string, Tensor][] = [
    ["params", tensor(c.params)],
    ["costs", tensor(Float64Array.from(c.costs))],
  ];
  c.stages.forEach((r, i) => {
    tensors.push([`stage${i}.costs`, tensor(Float64Array.from(r.costs))]);
  });
  const o = c.optimizer;
  let optimizer: Record<string, unknown> | null = null;
  if (o?.kind === "lbfgs") {
    tensors.push(["x", tensor(o.x)], ["g", tensor(o.g)], ["rho", tensor(Float64Array.from(o.rho))]);
    o.S.forEach((s, i) => {
      tensors.push([`S${i}`, tensor(s)], [`Y${i}`, tensor(o.Y[i] as FloatArray)]);
    });
    optimizer = {
      kind: o.kind,
      cost: o.cost,
      iterations: o.iterations,
      evaluations: o.evaluations,
      pairs: o.S.length,
      hDiag: o.hDiag,
    };
  } else if (o) {
    tensors.push(["x", tensor(o.x)], ["last", tensor(o.last)], ["order", tensor(o.order)]);
    o.moments.forEach((v, i) => {
      tensors.push([`moment${i}`, tensor(v)]);
    });
    optimizer = {
      kind: o.kind,
      iterations: o.iterations,
      evaluations: o.evaluations,
      epoch: o.epoch,
      position: o.position,
      epochSum: o.epochSum,
      epochCost: Number.isNaN(o.epochCost) ? null : o.epochCost,
      rng: o.rng,
      moments: o.moments.length,
    };
  }
  const state = {
    settings: c.settings,
    data: c.data,
    stage: c.stage,
    rng: c.rng,
    stages: c.stages.map(({ costs: _, ...rest }) => rest),
    seconds: c.seconds,
    optimizer,
  };
  return safetensorsParts(tensors, {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    state: JSON.stringify(state),
  });
}

/** Decodes and checks a checkpoint; every error names `file`. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): TrainCheckpoint {
  return checkpointFromSafetensors(decodeSafetensors(bytes, file), file);
}

/** The optimiser's scalars as a checkpoint's header holds them; its vectors are tensors. */
export type OptimizerHeader =
  | (Pick<LbfgsState, "kind" | "cost" | "iterations" | "evaluations" | "hDiag"> & { pairs: number })
  | (Pick<
      MinibatchState,
      "kind" | "iterations" | "evaluations" | "epoch" | "position" | "epochSum" | "epochCost" | "rng"
    > & { moments: number });

/** A checkpoint without its tensors' values: where its run stands, all that `stackae info` tells. */
export interface CheckpointHeader extends Omit<TrainCheckpoint, "params" | "costs" | "stages" | "optimizer"> {
  stages: Omit<StageReport, "costs">[];
  optimizer: OptimizerHeader | null;
}

/** What the checks of a tensor need: its dtype and shape (a decoded tensor, or a header's entry). */
type TensorShape = Pick<Tensor, "dtype" | "shape">;

const DTYPE_NAMES: Record<Tensor["dtype"], string> = { F32: "Float32", F64: "Float64", I32: "Int32" };

/**
 * Checks a checkpoint's metadata, and its tensors' names, dtypes and lengths against it, without
 * their values: from a file's header alone (`decodeSafetensorsHeader`), or from decoded tensors.
 */
export function checkpointHeaderOf(
  metadata: Record<string, string>,
  tensors: ReadonlyMap<string, TensorShape>,
  file: string,
): CheckpointHeader {
  const bad = (message: string) => new ModelFileError(file, message);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw bad(
      `is safetensors but not a stackae checkpoint (metadata "format" is ${JSON.stringify(metadata.format ?? null)}; expected "${CHECKPOINT_FORMAT}"): checkpoints are written by \`stackae train --checkpoint FILE\``,
    );
  }
  if (metadata.version !== String(CHECKPOINT_VERSION)) {
    throw bad(`is a checkpoint of version ${metadata.version}; this stackae reads version ${CHECKPOINT_VERSION}`);
  }
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(metadata.state ?? "null");
    if (typeof s !== "object" || s === null) throw new Error("not an object");
  } catch (cause) {
    throw new ModelFileError(file, `metadata "state" is not a JSON object: the checkpoint is damaged`, { cause });
  }
  const need = <V>(value: unknown, what: string, ok: (v: unknown) => boolean): V => {
    if (!ok(value)) throw bad(`state.${what} is missing or malformed (${JSON.stringify(value)?.slice(0, 80)})`);
    return value as V;
  };
  const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  const isRng = (v: unknown) =>
    isObj(v) &&
    Array.isArray((v as { s: unknown }).s) &&
    (v as { s: unknown[] }).s.length === 4 &&
    (v as { s: unknown[] }).s.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) < 2 ** 32) &&
    ((v as { spare: unknown }).spare === null || isNum((v as { spare: unknown }).spare));
  const length = (t: TensorShape) => t.shape.reduce((a, b) => a * b, 1);
  /** Checks that tensor `name` is there, of `dtype` (and of `n` values, if given); returns its length. */
  const check = (name: string, dtype: Tensor["dtype"], n?: number): number => {
    const t = tensors.get(name);
    if (!t) throw bad(`has no tensor ${name}: the checkpoint is damaged`);
    if (t.dtype !== dtype || (n !== undefined && length(t) !== n)) {
      throw bad(
        `tensor ${name} is ${t.dtype} of ${length(t)} values; expected ${DTYPE_NAMES[dtype]}${n === undefined ? "" : ` of ${n}`}`,
      );
    }
    return length(t);
  };

  let settings: TrainCheckpoint["settings"];
  try {
    settings = resolveSettings(need(s.settings, "settings", isObj));
  } catch (cause) {
    if (!(cause instanceof StackaeError) || cause instanceof ModelFileError) throw cause;
    throw new ModelFileError(file, `state.settings: ${cause.message}`, { cause });
  }
  const d = need<Record<string, unknown>>(s.data, "data", isObj);
  const data = {
    examples: need<number>(d.examples, "data.examples", isInt),
    inputSize: need<number>(d.inputSize, "data.inputSize", isInt),
    classes: need<number>(d.classes, "data.classes", isInt),
    unlabeled: need<number | null>(d.unlabeled, "data.unlabeled", (v) => v === null || isInt(v)),
    checksum: need<string>(d.checksum, "data.checksum", (v) => typeof v === "string" && /^[0-9a-f]{8}$/.test(v)),
  };
  const reports = need<unknown[]>(s.stages, "stages", Array.isArray);
  const stages: CheckpointHeader["stages"] = reports.map((r, i) => {
    const o = need<Record<string, unknown>>(r, `stages[${i}]`, isObj);
    const text = (k: string) => need<string>(o[k], `stages[${i}].${k}`, (v) => typeof v === "string");
    const int = (k: string) => need<number>(o[k], `stages[${i}].${k}`, isInt);
    const report = {
      name: text("name"),
      optimizer: text("optimizer"),
      iterations: int("iterations"),
      evaluations: int("evaluations"),
      cost: need<number>(o.cost, `stages[${i}].cost`, (v) => v === null || typeof v === "number") ?? Number.NaN,
      status: text("status"),
      message: text("message"),
      seconds: need<number>(o.seconds, `stages[${i}].seconds`, isNum),
    };
    check(`stage${i}.costs`, "F64");
    return report;
  });
  check("params", "F32");
  let optimizer: OptimizerHeader | null = null;
  if (s.optimizer !== null) {
    const o = need<Record<string, unknown>>(s.optimizer, "optimizer", isObj);
    const n = check("x", "F32");
    const iterations = need<number>(o.iterations, "optimizer.iterations", isInt);
    const evaluations = need<number>(o.evaluations, "optimizer.evaluations", isInt);
    if (o.kind === "lbfgs") {
      const pairs = need<number>(o.pairs, "optimizer.pairs", isInt);
      check("g", "F32", n);
      const cost = need<number>(o.cost, "optimizer.cost", isNum);
      for (let i = 0; i < pairs; i++) check(`S${i}`, "F32", n);
      for (let i = 0; i < pairs; i++) check(`Y${i}`, "F32", n);
      check("rho", "F64", pairs);
      optimizer = {
        kind: "lbfgs",
        cost,
        iterations,
        evaluations,
        pairs,
        hDiag: need<number>(o.hDiag, "optimizer.hDiag", isNum),
      };
    } else if (o.kind === "adam" || o.kind === "sgd") {
      const moments = need<number>(o.moments, "optimizer.moments", isInt);
      check("order", "I32");
      check("last", "F32", n);
      optimizer = {
        kind: o.kind,
        iterations,
        evaluations,
        epoch: need<number>(o.epoch, "optimizer.epoch", isInt),
        position: need<number>(o.position, "optimizer.position", isInt),
        epochSum: need<number>(o.epochSum, "optimizer.epochSum", isNum),
        epochCost: need<number | null>(o.epochCost, "optimizer.epochCost", (v) => v === null || isNum(v)) ?? Number.NaN,
        rng: need<MinibatchState["rng"]>(o.rng, "optimizer.rng", isRng),
        moments,
      };
      for (let i = 0; i < moments; i++) {
        const t = tensors.get(`moment${i}`);
        if (!t || t.dtype === "I32" || length(t) !== n) throw bad(`tensor moment${i} is missing or malformed`);
      }
    } else {
      throw bad(`state.optimizer.kind ${JSON.stringify(o.kind)} is not lbfgs, adam or sgd`);
    }
  }
  const stage = need<number>(s.stage, "stage", isInt);
  const rng = need<CheckpointHeader["rng"]>(s.rng, "rng", isRng);
  check("costs", "F64");
  return { settings, data, stage, rng, stages, optimizer, seconds: need<number>(s.seconds, "seconds", isNum) };
}

/** Checks decoded safetensors as a checkpoint (`decodeCheckpoint` without the decoding). */
export function checkpointFromSafetensors({ tensors, metadata }: Safetensors, file: string): TrainCheckpoint {
  const header = checkpointHeaderOf(metadata, tensors, file);
  // Every tensor read below was checked by checkpointHeaderOf: there, of its dtype and length.
  const values = <D extends TensorData>(name: string) => (tensors.get(name) as Tensor).data as D;
  const o = header.optimizer;
  let optimizer: OptimizerState | null = null;
  if (o?.kind === "lbfgs") {
    const { pairs, ...scalars } = o;
    optimizer = {
      ...scalars,
      x: values<Float32Array>("x"),
      g: values<Float32Array>("g"),
      S: Array.from({ length: pairs }, (_, i) => values<Float32Array>(`S${i}`)),
      Y: Array.from({ length: pairs }, (_, i) => values<Float32Array>(`Y${i}`)),
      rho: Array.from(values<Float64Array>("rho")),
    };
  } else if (o) {
    const { moments, ...scalars } = o;
    optimizer = {
      ...scalars,
      x: values<Float32Array>("x"),
      last: values<Float32Array>("last"),
      order: values<Int32Array>("order"),
      moments: Array.from({ length: moments }, (_, i) => values<Float32Array | Float64Array>(`moment${i}`)),
    };
  }
  return {
    ...header,
    params: values<Float32Array>("params"),
    stages: header.stages.map((r, i) => ({ ...r, costs: Array.from(values<Float64Array>(`stage${i}.costs`)) })),
    optimizer,
    costs: Array.from(values<Float64Array>("costs")),
  };
}
