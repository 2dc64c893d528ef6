// A training checkpoint as safetensors: the stack's parameters, the optimiser's vectors (for
// L-BFGS every correction pair) and the cost curves as tensors; everything else (settings, data
// summary, stage, generator state, reports, optimiser scalars) as JSON in the metadata key "state".
import { StackaeError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { LbfgsState, MinibatchState, OptimizerState } from "../optim/types.ts";
import type { StageReport, TrainCheckpoint } from "../train/pipeline.ts";
import { resolveSettings } from "../train/settings.ts";
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

/** Checks decoded safetensors as a checkpoint (`decodeCheckpoint` without the decoding). */
export function checkpointFromSafetensors({ tensors, metadata }: Safetensors, file: string): TrainCheckpoint {
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
  const get = <D extends TensorData>(name: string, type: new (n: number) => D, length?: number): D => {
    const t = tensors.get(name);
    if (!t) throw bad(`has no tensor ${name}: the checkpoint is damaged`);
    if (!(t.data instanceof type) || (length !== undefined && t.data.length !== length)) {
      throw bad(
        `tensor ${name} is ${t.dtype} of ${t.data.length} values; expected ${type.name.replace("Array", "")}${length === undefined ? "" : ` of ${length}`}`,
      );
    }
    return t.data as D;
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
  const stages: StageReport[] = reports.map((r, i) => {
    const o = need<Record<string, unknown>>(r, `stages[${i}]`, isObj);
    const text = (k: string) => need<string>(o[k], `stages[${i}].${k}`, (v) => typeof v === "string");
    const int = (k: string) => need<number>(o[k], `stages[${i}].${k}`, isInt);
    return {
      name: text("name"),
      optimizer: text("optimizer"),
      iterations: int("iterations"),
      evaluations: int("evaluations"),
      cost: need<number>(o.cost, `stages[${i}].cost`, (v) => v === null || typeof v === "number") ?? Number.NaN,
      status: text("status"),
      message: text("message"),
      seconds: need<number>(o.seconds, `stages[${i}].seconds`, isNum),
      costs: Array.from(get(`stage${i}.costs`, Float64Array)),
    };
  });
  const params = get("params", Float32Array);
  let optimizer: OptimizerState | null = null;
  if (s.optimizer !== null) {
    const o = need<Record<string, unknown>>(s.optimizer, "optimizer", isObj);
    const x = get("x", Float32Array);
    const n = x.length;
    const iterations = need<number>(o.iterations, "optimizer.iterations", isInt);
    const evaluations = need<number>(o.evaluations, "optimizer.evaluations", isInt);
    if (o.kind === "lbfgs") {
      const pairs = need<number>(o.pairs, "optimizer.pairs", isInt);
      const lbfgs: LbfgsState = {
        kind: "lbfgs",
        x,
        g: get("g", Float32Array, n),
        cost: need<number>(o.cost, "optimizer.cost", isNum),
        iterations,
        evaluations,
        S: Array.from({ length: pairs }, (_, i) => get(`S${i}`, Float32Array, n)),
        Y: Array.from({ length: pairs }, (_, i) => get(`Y${i}`, Float32Array, n)),
        rho: Array.from(get("rho", Float64Array, pairs)),
        hDiag: need<number>(o.hDiag, "optimizer.hDiag", isNum),
      };
      optimizer = lbfgs;
    } else if (o.kind === "adam" || o.kind === "sgd") {
      const count = need<number>(o.moments, "optimizer.moments", isInt);
      const order = get("order", Int32Array);
      const minibatch: MinibatchState = {
        kind: o.kind,
        x,
        last: get("last", Float32Array, n),
        iterations,
        evaluations,
        epoch: need<number>(o.epoch, "optimizer.epoch", isInt),
        order,
        position: need<number>(o.position, "optimizer.position", isInt),
        epochSum: need<number>(o.epochSum, "optimizer.epochSum", isNum),
        epochCost: need<number | null>(o.epochCost, "optimizer.epochCost", (v) => v === null || isNum(v)) ?? Number.NaN,
        rng: need(o.rng, "optimizer.rng", isRng),
        moments: Array.from({ length: count }, (_, i) => {
          const t = tensors.get(`moment${i}`);
          if (!t || t.data instanceof Int32Array || t.data.length !== n)
            throw bad(`tensor moment${i} is missing or malformed`);
          return t.data;
        }),
      };
      optimizer = minibatch;
    } else {
      throw bad(`state.optimizer.kind ${JSON.stringify(o.kind)} is not lbfgs, adam or sgd`);
    }
  }
  return {
    settings,
    data,
    stage: need<number>(s.stage, "stage", isInt),
    params,
    rng: need(s.rng, "rng", isRng),
    stages,
    optimizer,
    costs: Array.from(get("costs", Float64Array)),
    seconds: need<number>(s.seconds, "seconds", isNum),
  };
}
