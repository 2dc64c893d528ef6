// The training of `stackae train`, in a worker thread: the main thread stays free to draw
// progress and to catch SIGINT/SIGTERM, which it passes on through a flag in shared memory.
// Everything is reported to the main thread as messages; nothing here prints.
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { DEFAULT_SHUFFLE_BUFFER } from "../data/idx-stream-file.ts";
import { fileErrorReason } from "../errors.ts";
import { checkWritable, loadCheckpoint, makeFolderOf, saveModel, WriteError } from "../io/files.ts";
import { modelDataMetadata } from "../io/model-data.ts";
import type { Backend } from "../linalg/backend.ts";
import { type BackendName, createBackend } from "../linalg/index.ts";
import { accuracy, confusionMatrix, predict, type StackedModel } from "../nn/model.ts";
import type { Progress } from "../optim/types.ts";
import type { TrainCheckpoint } from "../train/checkpoint.ts";
import { type TrainOptions, type TrainResult, trainStackedAutoencoder } from "../train/pipeline.ts";
import { type PartialSettings, resolveSettings, SPEC_SETTINGS, type TrainSettings } from "../train/settings.ts";
import type { StageInfo, StageReport } from "../train/stages.ts";
import type { StageValidation } from "../train/validation.ts";
import type { RunReport } from "../viz/report-html.ts";
import { describeBackend } from "./backend.ts";
import {
  checkpointSaver,
  pointOf,
  type SavedCheckpoint,
  type SaverMessage,
  StopCheckpointError,
} from "./checkpoint-saver.ts";
import { type DataFlags, loadTrainingData, type TrainingData } from "./data.ts";
import { type ErrorReport, errorReport } from "./exit.ts";
import { type MetricsJson, metricsJson } from "./metrics.ts";
import {
  prepareReportDir,
  type RunFacts,
  runReport,
  validationMetadata,
  validationSummary,
  writeReport,
} from "./report.ts";
import { planResources } from "./resources.ts";
import { loadStreamedData, type StreamFlags, streamSource } from "./stream-data.ts";

/** What the main thread asks for. */
/** What the main thread asks for: the data flags (see DataFlags), then the run's. */
export interface TrainJob extends DataFlags, StreamFlags {
  /** Undefined when resuming: the checkpoint's settings are used. */
  settings?: PartialSettings | undefined;
  /** The settings of a streamed run: every stage whose optimiser is not given trains with adam. */
  streamSettings?: PartialSettings | undefined;
  backend: BackendName;
  threads?: number | undefined;
  out?: string | undefined;
  report?: string | undefined;
  /** Where checkpoints go during the run (null: only when stopped, to `interruptFile`). */
  checkpoint: string | null;
  /** L-BFGS iterations, and minibatch steps, between checkpoints. */
  checkpointEvery: { lbfgs: number; minibatch: number };
  interruptFile: string;
  resume?: string | undefined;
  /** Early stopping's patience (evaluations of the validation set); undefined: none. */
  earlyStopping?: number | undefined;
  /** Int32 flag set to 1 by the main thread to stop at the end of the iteration. */
  stop: SharedArrayBuffer;
  /** Print the memory estimate (--verbose). */
  verbose?: boolean | undefined;
  /** The command line ("stackae", then its arguments), for the report's page. */
  command?: string[] | undefined;
}

export interface TrainSummary {
  accuracyBeforeFineTuning: number;
  accuracyAfterFineTuning: number;
  /** Per-class precision, recall and F1 on the test set after fine-tuning, and their averages. */
  metrics: MetricsJson;
  seconds: Record<string, number>;
  iterations: Record<string, number>;
  evaluations: Record<string, number>;
  stopped: Record<string, string>;
  /** Each stage's validation curve and best point, by stage name; absent without a validation set. */
  validation?: Record<string, StageValidation>;
  seed: number;
  /** The recipe the settings started from (--recipe; "reference" by default). */
  recipe: string;
  settings: TrainSettings;
  resumedFrom: string | null;
  data: {
    source: string;
    trainImages: number;
    testImages: number;
    unlabeledImages: number | null;
    imageSize: [number, number];
    /** Whether the files' images were transposed as they were read (--transpose). */
    transposed: boolean;
    classes: number;
    /** What --data was: an IDX folder, a CSV file or an image folder. */
    kind: string;
    validationImages: number | null;
    /** Inputs were divided by this (255 for IDX and pictures). */
    inputScale: number;
  };
  /** Class index → name ("0", "1", … where the data names none). */
  classes: string[];
  backend: string;
  node: string;
}

export type WorkerMessage =
  | { type: "stageStart"; info: StageInfo }
  | { type: "progress"; info: StageInfo; progress: Omit<Progress, "state"> & { seconds: number } }
  | { type: "stageEnd"; info: StageInfo; report: StageReport }
  | SaverMessage
  | { type: "notice"; message: string }
  | ({ type: "done" } & TrainOutcome)
  | {
      type: "error";
      error: ErrorReport;
      checkpoint: string | null;
      /** Where the checkpoint of a stopping run could not be written: the last good one (null: none). */
      lastGood?: SavedCheckpoint | null;
    };

/** A finished run: its results, where its model went, and the outputs that could not be written. */
export interface TrainOutcome {
  summary: TrainSummary;
  stages: StageReport[];
  /** The model file written: `out`, or a file in the temporary folder when `out` failed. */
  savedTo: string | null;
  /** The report folder written (null: none asked for, or it failed). */
  reportTo: string | null;
  /** Outputs that failed once the training was done; the results above stand. */
  failures: ErrorReport[];
}

/** Runs the job, posting progress; returns the results. */
export async function runTraining(job: TrainJob, post: (m: WorkerMessage) => void): Promise<TrainOutcome> {
  const started = performance.now();
  // Outputs are checked first, so that no training is lost to a path that cannot be written.
  // The model's folder is made, as the report's is; a checkpoint's folder must exist.
  if (job.out) makeFolderOf(job.out);
  for (const path of [job.out, job.checkpoint]) if (path) checkWritable(path);
  if (job.report) prepareReportDir(job.report);
  const resume = job.resume === undefined ? undefined : loadCheckpoint(job.resume);
  const streaming = await streamSource(job);
  if (streaming) post({ type: "notice", message: `streaming ${streaming.file}: ${streaming.why}` });
  const streamed = streaming ? await loadStreamedData(job, streaming) : null;
  const data: JobData = streamed
    ? { ...streamed, classes: streamed.classNames.length }
    : await loadJobData(job, resume?.settings.seed ?? job.settings?.seed ?? SPEC_SETTINGS.seed);
  const stream = streamed?.stream ?? null;
  const settings = stream ? job.streamSettings : job.settings;
  const { train: labelled, test, unlabeled, validation, classes } = data;
  const threads = await planResources(
    resume?.settings ?? resolveSettings(settings),
    {
      // Streamed, what is held at once is the shuffle buffer's examples, not the set.
      examples: stream ? Math.min(labelled.count, job.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER) : labelled.count,
      inputSize: data.inputSize,
      classes,
      unlabeled: unlabeled?.count,
      validation: validation?.count,
    },
    { backend: job.backend, threads: job.threads, checkpoints: job.checkpoint !== null, verbose: job.verbose === true },
    (message) => post({ type: "notice", message }),
  );
  const backend = await createBackend(
    job.backend,
    job.backend === "js" ? { dtype: "float32" } : threads === undefined ? {} : { threads },
  );
  try {
    const result = trainStackedAutoencoder(
      backend,
      stream
        ? { stream, classes }
        : {
            inputs: labelled.inputs,
            labels: labelled.labels,
            inputSize: data.inputSize,
            classes,
            ...(unlabeled ? { unlabeled: unlabeled.inputs } : {}),
            ...(validation ? { validation: { inputs: validation.inputs, labels: validation.labels } } : {}),
          },
      {
        ...(resume ? { resume } : { settings }),
        ...(job.earlyStopping === undefined ? {} : { earlyStopping: { patience: job.earlyStopping } }),
        ...trainEvents(job, resume, post),
      },
    );
    const before = accuracy(predict(backend, result.pretrained, test.inputs), test.labels);
    const predicted = predict(backend, result.model, test.inputs);
    const after = accuracy(predicted, test.labels);
    // A resumed run's stages count the seconds they spent before the checkpoint; so does its total.
    const earlier = resume
      ? resume.stages.reduce((t, s) => t + s.seconds, 0) + (resume.optimizer ? resume.seconds : 0)
      : 0;
    const total = earlier + (performance.now() - started) / 1000;
    const summary = summarise(job, result, data, { before, after, predicted }, total, describeBackend(backend));
    const page = () => runReport(result, reportFacts(job, data, summary, predicted, backend));
    return { summary, stages: result.stages, ...writeOutputs(job, result, data, { before, after }, page) };
  } finally {
    stream?.close();
    await backend.dispose();
  }
}

/** The data of a job (see loadTrainingData): its sets scaled, its classes, and what the model records of it. */
type JobData = TrainingData & { classes: number };

/** `seed` draws the held-out parts: the run's (a resumed run's is its checkpoint's). */
async function loadJobData(job: TrainJob, seed: number): Promise<JobData> {
  const data = await loadTrainingData(job, seed);
  return { ...data, classes: data.classNames.length };
}

/** The run's events: checkpoints to the job's file (or the interrupt file when stopped), progress posted. */
function trainEvents(
  job: TrainJob,
  resume: TrainCheckpoint | undefined,
  post: (m: WorkerMessage) => void,
): TrainOptions {
  const stop = new Int32Array(job.stop);
  const every = (optimizer: string) => job.checkpointEvery[optimizer === "lbfgs" ? "lbfgs" : "minibatch"];
  const stopping = () => Atomics.load(stop, 0) !== 0;
  return {
    checkpointEvery: job.checkpoint ? (info) => every(info.optimizer) : 0,
    onCheckpoint: checkpointSaver({
      file: (stopped) => job.checkpoint ?? (stopped ? job.interruptFile : null),
      stopping,
      every: (c) => every(stageSettings(c).optimizer),
      // Until this run writes its own, the checkpoint it resumed from is the last good one.
      resumed: resume && job.resume ? pointOf(resume, job.resume) : null,
      post,
    }),
    shouldStop: stopping,
    onStageStart: (info) => post({ type: "stageStart", info }),
    onProgress: (info, { state: _, ...progress }) => post({ type: "progress", info, progress }),
    onStageEnd: (info, report) => post({ type: "stageEnd", info, report }),
  };
}

/** The settings of the stage a checkpoint is in. */
function stageSettings(c: TrainCheckpoint): { optimizer: string } {
  const layers = c.settings.layers.length;
  return c.stage < layers ? c.settings.autoencoder : c.stage === layers ? c.settings.softmax : c.settings.fineTune;
}

interface Accuracies {
  before: number;
  after: number;
}

/** The run's results as `--json` prints them. */
function summarise(
  job: TrainJob,
  result: TrainResult,
  data: JobData,
  accuracies: Accuracies & { predicted: Int32Array },
  totalSeconds: number,
  backend: string,
): TrainSummary {
  const round = (x: number) => Math.round(x * 100) / 100;
  const seconds: Record<string, number> = {};
  const iterations: Record<string, number> = {};
  const evaluations: Record<string, number> = {};
  for (const s of result.stages) {
    seconds[s.name] = round(s.seconds);
    iterations[s.name] = s.iterations;
    evaluations[s.name] = s.evaluations;
  }
  seconds.total = round(totalSeconds);
  const { train: labelled, test, unlabeled, validation } = data;
  return {
    accuracyBeforeFineTuning: accuracies.before,
    accuracyAfterFineTuning: accuracies.after,
    metrics: metricsJson(
      confusionMatrix(accuracies.predicted, test.labels, data.classes),
      (c) => data.classNames[c] ?? String(c),
    ),
    seconds,
    iterations,
    evaluations,
    stopped: Object.fromEntries(result.stages.map((s) => [s.name, s.message])),
    ...validationSummary(result.stages),
    seed: result.settings.seed,
    recipe: result.settings.recipe ?? "reference",
    settings: result.settings,
    resumedFrom: job.resume ?? null,
    data: {
      source: data.source,
      trainImages: labelled.count,
      testImages: test.count,
      unlabeledImages: unlabeled?.count ?? null,
      imageSize: data.imageShape,
      transposed: job.transpose,
      classes: data.classes,
      kind: data.kind,
      validationImages: validation?.count ?? null,
      inputScale: data.inputScale,
    },
    classes: data.classNames,
    backend,
    node: process.version,
  };
}

/** What the report's page needs of the run beyond its result (see runReport). */
function reportFacts(
  job: TrainJob,
  data: JobData,
  summary: TrainSummary,
  predicted: Int32Array,
  backend: Backend,
): RunFacts {
  const { train: labelled, validation, test, unlabeled } = data;
  const split = (name: string, set: { labels: ArrayLike<number>; count: number } | null, labels = true) =>
    set ? [{ name, labels: labels ? set.labels : null, count: set.count }] : [];
  return {
    command: job.command ?? ["stackae", "train"],
    source: data.source,
    kind: data.kind,
    inputSize: data.inputSize,
    imageShape: data.imageShape,
    inputScale: data.inputScale,
    classNames: data.classNames,
    splits: [
      ...split("training", labelled),
      ...split("validation", validation),
      ...split("test", test),
      ...split("unlabelled (pretraining)", unlabeled, false),
    ],
    accuracyBeforeFineTuning: summary.accuracyBeforeFineTuning,
    accuracyAfterFineTuning: summary.accuracyAfterFineTuning,
    confusion: confusionMatrix(predicted, test.labels, data.classes),
    metrics: summary.metrics,
    backend,
    backendName: summary.backend,
    totalSeconds: summary.seconds.total ?? Number.NaN,
  };
}

/**
 * Writes the model and the report. The outputs were checked before training, but a disk can
 * fill or a folder go away during the run: from here a failure is reported beside the results
 * instead of replacing them.
 */
function writeOutputs(
  job: TrainJob,
  result: TrainResult,
  data: JobData,
  accuracies: Accuracies,
  page: () => RunReport,
): Pick<TrainOutcome, "savedTo" | "reportTo" | "failures"> {
  const { train: labelled } = data;
  const failures: ErrorReport[] = [];
  const savedTo = job.out
    ? saveTrainedModel(
        job.out,
        result.model,
        {
          settings: JSON.stringify(result.settings),
          accuracyBeforeFineTuning: String(accuracies.before),
          accuracyAfterFineTuning: String(accuracies.after),
          trainImages: String(labelled.count),
          imageShape: JSON.stringify(data.imageShape),
          // eval and predict transpose IDX images for such a model too, unless told otherwise.
          transposed: String(job.transpose),
          createdBy: "stackae train",
          // Class names, input scale and preparation, only where they are not IDX's (so its file is unchanged).
          ...modelDataMetadata(data.modelData),
          ...validationMetadata(result.stages),
        },
        failures,
      )
    : null;
  let reportTo: string | null = null;
  if (job.report) {
    try {
      writeReport(job.report, result, data.imageShape, page());
      reportTo = job.report;
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
      failures.push(errorReport(error));
    }
  }
  return { savedTo, reportTo, failures };
}

/**
 * Saves the trained model to `path`; where that fails, to a file in the temporary folder, so
 * that the run is not lost. Returns the file written (null: neither could be), and adds to
 * `failures` the error to report when it is not `path`.
 */
function saveTrainedModel(
  path: string,
  model: StackedModel,
  metadata: Record<string, string>,
  failures: ErrorReport[],
): string | null {
  try {
    saveModel(path, model, metadata);
    return path;
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    const rescue = join(tmpdir(), `stackae-${process.pid}-${basename(path)}`);
    try {
      saveModel(rescue, model, metadata);
      failures.push({
        ...errorReport(error),
        message: `${error.message}; the trained model is saved in ${rescue} instead: move it from there`,
      });
      return rescue;
    } catch (again) {
      const why = fileErrorReason(again instanceof WriteError ? again.cause : again);
      failures.push({
        ...errorReport(error),
        message: `${error.message}, nor in ${rescue} (${why}): the trained model is lost`,
      });
      return null;
    }
  }
}

if (parentPort && (workerData as { stackaeTrainJob?: TrainJob } | null)?.stackaeTrainJob) {
  const port = parentPort;
  const job = (workerData as { stackaeTrainJob: TrainJob }).stackaeTrainJob;
  try {
    const outcome = await runTraining(job, (m) => port.postMessage(m));
    port.postMessage({ type: "done", ...outcome } satisfies WorkerMessage);
  } catch (error) {
    const stopped = Atomics.load(new Int32Array(job.stop), 0) !== 0;
    port.postMessage({
      type: "error",
      error: errorReport(error),
      checkpoint: job.checkpoint ?? (stopped ? job.interruptFile : null),
      ...(error instanceof StopCheckpointError ? { lastGood: error.lastGood } : {}),
    } satisfies WorkerMessage);
  }
}
