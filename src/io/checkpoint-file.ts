// A training checkpoint as safetensors: the stack's parameters, the optimiser's vectors (for
// L-BFGS every correction pair) and the cost curves as tensors; everything else (settings, data
// summary, stage, generator state, reports, optimiser scalars) as JSON in the metadata key "state".
import { StackaeError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { LbfgsState, MinibatchState, OptimizerState } from "../optim/types.ts";
import {
  type CheckpointSummary,
  checkpointProblem,
  checkpointValuesProblem,
  checkpointVectors,
  firstNonFinite,
  type TrainCheckpoint,
} from "../train/checkpoint.ts";
import { resolveSettings } from "../train/settings.ts";
import type { StageReport } from "../train/stages.ts";
import type { StageValidation } from "../train/validation.ts";
import { checkMetadataChecksums, checkTensorChecksums, TensorValuesError, withChecksums } from "./checksum.ts";
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

/**
 * A checkpoint whose parameters or optimiser state are not all finite, refused when it is encoded:
 * no run could continue from it, and a checkpoint file it replaced would be lost. Its code is
 * ERR_NUMERICAL, as the diverged run's that produced it.
 */
export class NonFiniteCheckpointError extends StackaeError {
  /** The tensor (as the file names it) and the index in it of the first value that is not finite. */
  readonly tensor: string;
  readonly index: number;
  constructor(tensor: string, index: number, value: number) {
    super(
      "ERR_NUMERICAL",
      `the checkpoint's ${tensor} holds ${value} at index ${index}: a checkpoint that is not finite is not saved (no run could continue from it)`,
    );
    this.tensor = tensor;
    this.index = index;
  }
}

/**
 * The checkpoint's bytes in parts (header, then each tensor), for writing without one big copy.
 * Throws NonFiniteCheckpointError where its parameters or optimiser's vectors are not all finite.
 */
export function encodeCheckpoint(c: TrainCheckpoint): Uint8Array[] {
  for (const [name, v] of checkpointVectors(c)) {
    const at = firstNonFinite(v);
    if (at >= 0) throw new NonFiniteCheckpointError(name, at, v[at] as number);
  }
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
  return safetensorsParts(
    tensors,
    withChecksums(tensors, {
      format: CHECKPOINT_FORMAT,
      version: String(CHECKPOINT_VERSION),
      state: JSON.stringify(state),
    }),
  );
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
 * The parts are checked in this order: a file damaged in several places is told of the first.
 */
export function checkpointHeaderOf(
  metadata: Record<string, string>,
  tensors: ReadonlyMap<string, TensorShape>,
  file: string,
): CheckpointHeader {
  return checkedHeader(metadata, tensors, file).header;
}

/** checkpointHeaderOf's header, and the tensors' checksums to check once their data is read (null: none). */
function checkedHeader(
  metadata: Record<string, string>,
  tensors: ReadonlyMap<string, TensorShape>,
  file: string,
): { header: CheckpointHeader; sums: Map<string, string> | null } {
  checkFormat(metadata, file);
  // Before the state is parsed: a damaged file is told as such, not by what it damaged.
  const sums = checkMetadataChecksums(metadata, tensors.keys(), file);
  const s = parseState(metadata, file);
  const c = headerChecks(tensors, file);
  const settings = settingsOfState(c.need(s.settings, "settings", isObj), file);
  const data = dataOfState(c.need(s.data, "data", isObj), c);
  const stages = stagesOfState(c.need(s.stages, "stages", Array.isArray), c);
  c.tensor("params", "F32");
  const optimizer = s.optimizer === null ? null : optimizerOfState(c.need(s.optimizer, "optimizer", isObj), c);
  const stage = c.need<number>(s.stage, "stage", isInt);
  const rng = c.need<CheckpointHeader["rng"]>(s.rng, "rng", isRng);
  c.tensor("costs", "F64");
  const header = {
    settings,
    data,
    stage,
    rng,
    stages,
    optimizer,
    seconds: c.need<number>(s.seconds, "seconds", isNum),
  };
  let problem: string | null;
  try {
    problem = checkpointProblem(headerSummary(header, tensors));
  } catch (cause) {
    // Layer sizes the stack's layout refuses (its own checks): the file's fault too.
    if (!(cause instanceof StackaeError)) throw cause;
    problem = cause.message;
  }
  if (problem !== null) throw new ModelFileError(file, unfit(problem));
  return { header, sums };
}

/** Why a checkpoint that does not fit its own settings and data, or whose vectors are unusable, is refused. */
const unfit = (problem: string) =>
  `${problem}: the checkpoint cannot be continued from (edited, or written by another program); start the run again, or resume from a copy taken before`;

/** What checkpointProblem checks of a header, the lengths taken from its tensors (checked present). */
function headerSummary(h: CheckpointHeader, tensors: ReadonlyMap<string, TensorShape>): CheckpointSummary {
  const length = (name: string) => tensorLength(tensors.get(name) as TensorShape);
  const o = h.optimizer;
  const optimizer =
    o === null
      ? null
      : o.kind === "lbfgs"
        ? { kind: o.kind, iterations: o.iterations, length: length("x"), pairs: o.pairs }
        : {
            kind: o.kind,
            iterations: o.iterations,
            length: length("x"),
            epoch: o.epoch,
            position: o.position,
            order: length("order"),
          };
  return { ...h, params: length("params"), optimizer };
}

/** The checks of one checkpoint's header; each error names the file. */
interface HeaderChecks {
  /** `value` where `ok` holds of it, else an error naming it `state.${what}`. */
  need<V>(value: unknown, what: string, ok: (v: unknown) => boolean): V;
  /** Checks that tensor `name` is there, of `dtype` (and of `n` values, if given); returns its length. */
  tensor(name: string, dtype: Tensor["dtype"], n?: number): number;
  tensors: ReadonlyMap<string, TensorShape>;
  bad(message: string): ModelFileError;
}

function headerChecks(tensors: ReadonlyMap<string, TensorShape>, file: string): HeaderChecks {
  const bad = (message: string) => new ModelFileError(file, message);
  return {
    need<V>(value: unknown, what: string, ok: (v: unknown) => boolean): V {
      if (!ok(value)) throw bad(`state.${what} is missing or malformed (${JSON.stringify(value)?.slice(0, 80)})`);
      return value as V;
    },
    tensor(name: string, dtype: Tensor["dtype"], n?: number): number {
      const t = tensors.get(name);
      if (!t) throw bad(`has no tensor ${name}: the checkpoint is damaged`);
      if (t.dtype !== dtype || (n !== undefined && tensorLength(t) !== n)) {
        throw bad(
          `tensor ${name} is ${t.dtype} of ${tensorLength(t)} values; expected ${DTYPE_NAMES[dtype]}${n === undefined ? "" : ` of ${n}`}`,
        );
      }
      return tensorLength(t);
    },
    tensors,
    bad,
  };
}

/** The metadata's format and version checked. */
function checkFormat(metadata: Record<string, string>, file: string): void {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new ModelFileError(
      file,
      `is safetensors but not a stackae checkpoint (metadata "format" is ${JSON.stringify(metadata.format ?? null)}; expected "${CHECKPOINT_FORMAT}"): checkpoints are written by \`stackae train --checkpoint FILE\``,
    );
  }
  if (metadata.version !== String(CHECKPOINT_VERSION)) {
    throw new ModelFileError(
      file,
      `is a checkpoint of version ${metadata.version}; this stackae reads version ${CHECKPOINT_VERSION}`,
    );
  }
}

/** The metadata's "state", parsed. */
function parseState(metadata: Record<string, string>, file: string): Record<string, unknown> {
  try {
    const s = JSON.parse(metadata.state ?? "null");
    if (typeof s !== "object" || s === null) throw new Error("not an object");
    return s;
  } catch (cause) {
    throw new ModelFileError(file, `metadata "state" is not a JSON object: the checkpoint is damaged`, { cause });
  }
}

/** The run's settings, resolved as a new run's are; what they get wrong is the file's fault. */
function settingsOfState(settings: Record<string, unknown>, file: string): TrainCheckpoint["settings"] {
  try {
    return resolveSettings(settings);
  } catch (cause) {
    if (!(cause instanceof StackaeError) || cause instanceof ModelFileError) throw cause;
    throw new ModelFileError(file, `state.settings: ${cause.message}`, { cause });
  }
}

function dataOfState(d: Record<string, unknown>, c: HeaderChecks): CheckpointHeader["data"] {
  return {
    examples: c.need<number>(d.examples, "data.examples", isInt),
    inputSize: c.need<number>(d.inputSize, "data.inputSize", isInt),
    classes: c.need<number>(d.classes, "data.classes", isInt),
    unlabeled: c.need<number | null>(d.unlabeled, "data.unlabeled", (v) => v === null || isInt(v)),
    checksum: c.need<string>(d.checksum, "data.checksum", (v) => typeof v === "string" && /^[0-9a-f]{8}$/.test(v)),
  };
}

/** The reports of the stages done, each with its tensor of costs. */
function stagesOfState(reports: unknown[], c: HeaderChecks): CheckpointHeader["stages"] {
  return reports.map((r, i) => {
    const o = c.need<Record<string, unknown>>(r, `stages[${i}]`, isObj);
    const text = (k: string) => c.need<string>(o[k], `stages[${i}].${k}`, (v) => typeof v === "string");
    const int = (k: string) => c.need<number>(o[k], `stages[${i}].${k}`, isInt);
    const report = {
      name: text("name"),
      optimizer: text("optimizer"),
      iterations: int("iterations"),
      evaluations: int("evaluations"),
      cost: c.need<number>(o.cost, `stages[${i}].cost`, (v) => v === null || typeof v === "number") ?? Number.NaN,
      status: text("status"),
      message: text("message"),
      seconds: c.need<number>(o.seconds, `stages[${i}].seconds`, isNum),
      // Written since the validation set (absent before it, and without one); passed on as it was written.
      ...(isObj(o.validation) ? { validation: o.validation as unknown as StageValidation } : {}),
    };
    c.tensor(`stage${i}.costs`, "F64");
    return report;
  });
}

/** The optimiser's scalars, and its vectors' tensors checked against the point's length n. */
function optimizerOfState(o: Record<string, unknown>, c: HeaderChecks): OptimizerHeader {
  const n = c.tensor("x", "F32");
  const iterations = c.need<number>(o.iterations, "optimizer.iterations", isInt);
  const evaluations = c.need<number>(o.evaluations, "optimizer.evaluations", isInt);
  if (o.kind === "lbfgs") {
    const pairs = c.need<number>(o.pairs, "optimizer.pairs", isInt);
    c.tensor("g", "F32", n);
    const cost = c.need<number>(o.cost, "optimizer.cost", isNum);
    for (let i = 0; i < pairs; i++) c.tensor(`S${i}`, "F32", n);
    for (let i = 0; i < pairs; i++) c.tensor(`Y${i}`, "F32", n);
    c.tensor("rho", "F64", pairs);
    return {
      kind: "lbfgs",
      cost,
      iterations,
      evaluations,
      pairs,
      hDiag: c.need<number>(o.hDiag, "optimizer.hDiag", isNum),
    };
  }
  if (o.kind === "adam" || o.kind === "sgd") {
    const moments = c.need<number>(o.moments, "optimizer.moments", isInt);
    c.tensor("order", "I32");
    c.tensor("last", "F32", n);
    const header: OptimizerHeader = {
      kind: o.kind,
      iterations,
      evaluations,
      epoch: c.need<number>(o.epoch, "optimizer.epoch", isInt),
      position: c.need<number>(o.position, "optimizer.position", isInt),
      epochSum: c.need<number>(o.epochSum, "optimizer.epochSum", isNum),
      epochCost: c.need<number | null>(o.epochCost, "optimizer.epochCost", (v) => v === null || isNum(v)) ?? Number.NaN,
      rng: c.need<MinibatchState["rng"]>(o.rng, "optimizer.rng", isRng),
      moments,
    };
    for (let i = 0; i < moments; i++) {
      const t = c.tensors.get(`moment${i}`);
      if (!t || t.dtype === "I32" || tensorLength(t) !== n) throw c.bad(`tensor moment${i} is missing or malformed`);
    }
    return header;
  }
  throw c.bad(`state.optimizer.kind ${JSON.stringify(o.kind)} is not lbfgs, adam or sgd`);
}

const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
/** A generator's state: four 32-bit words, and the spare normal deviate or null. */
const isRng = (v: unknown) =>
  isObj(v) &&
  Array.isArray((v as { s: unknown }).s) &&
  (v as { s: unknown[] }).s.length === 4 &&
  (v as { s: unknown[] }).s.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) < 2 ** 32) &&
  ((v as { spare: unknown }).spare === null || isNum((v as { spare: unknown }).spare));
const tensorLength = (t: TensorShape) => t.shape.reduce((a, b) => a * b, 1);

/** Checks decoded safetensors as a checkpoint (`decodeCheckpoint` without the decoding). */
export function checkpointFromSafetensors({ tensors, metadata }: Safetensors, file: string): TrainCheckpoint {
  const { header, sums } = checkedHeader(metadata, tensors, file);
  if (sums) checkTensorChecksums(tensors, sums, file);
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
  const checkpoint = {
    ...header,
    params: values<Float32Array>("params"),
    stages: header.stages.map((r, i) => ({ ...r, costs: Array.from(values<Float64Array>(`stage${i}.costs`)) })),
    optimizer,
    costs: Array.from(values<Float64Array>("costs")),
  };
  const bad = checkpointValuesProblem(checkpoint);
  if (bad !== null) throw new TensorValuesError(file, bad.tensor, unfit(bad.problem));
  return checkpoint;
}
