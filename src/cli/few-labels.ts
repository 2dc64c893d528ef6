// `stackae few-labels`: the few-labels experiment (docs/few-labels.md) on any data source. The
// library runs it (train/few-labels.ts); this file reads the flags and the data, and prints.
import { join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../io/files.ts";
import { BACKENDS, type BackendName, createBackend } from "../linalg/index.ts";
import {
  FEW_LABELS_METHODS,
  type FewLabelsMethod,
  type FewLabelsRun,
  type FewLabelsTable,
  fewLabelsExperiment,
} from "../train/few-labels.ts";
import type { OptimizerName } from "../train/settings.ts";
import { describeBackend } from "./backend.ts";
import { loadTrainingData } from "./data.ts";
import { choice, int, sizes } from "./parse.ts";
import { formatSeconds, progressReporter } from "./progress.ts";
import { prepareFewLabelsReport, writeFewLabelsReport } from "./report.ts";
import { settingsOf } from "./train.ts";
import { dataOptions, settingOptions, type TrainFlags } from "./train-options.ts";

interface FewLabelsFlags extends TrainFlags {
  labels: number[];
  seeds: number;
  earlyStopping: number;
}

/**
 * The optimisers of the experiment unless a flag names one: adam for the autoencoders and
 * fine-tuning (L-BFGS's 400 iterations on all 60,000 images would take most of an hour), L-BFGS
 * for the softmax (convex and cheap at any N).
 */
const DEFAULT_OPTIMIZERS = { ae: "adam", softmax: "lbfgs", finetune: "adam" } as const;

/** The default table: 100, 1,000 and 10,000 labels. */
export const DEFAULT_LABELS = [100, 1000, 10000];
const DEFAULT_VALIDATION = 0.2;

const METHOD_TITLES: Record<FewLabelsMethod, string> = {
  pretrained: "pretrained + fine-tuned",
  backprop: "backprop only",
  softmax: "softmax on inputs",
};

export function registerFewLabels(program: Command): void {
  const command = program
    .command("few-labels")
    .description(
      "pretrain once on all training images as unlabelled data, then for each number of labels compare the pretrained, fine-tuned stack with the same network trained by backpropagation alone and a softmax on the inputs, each tested on the whole test set",
    );
  dataOptions(command);
  settingOptions(command);
  const validation = command.options.find((o) => o.long === "--validation-fraction");
  if (validation) {
    validation.description = `hold out this stratified fraction of each labelled subset for early stopping, where it leaves 5 examples a class (default: ${DEFAULT_VALIDATION})`;
  }
  command
    .option("--labels <list>", "numbers of labelled training images, separated by commas", sizes, DEFAULT_LABELS)
    .option("--seeds <n>", "subsets (seeds --seed, --seed + 1, …) for each number of labels", int(1, 1000), 3)
    .option("--early-stopping <n>", "patience: evaluations of the validation part without improvement", int(1), 10)
    .option(
      "--backend <name>",
      `kernels: ${BACKENDS.join(", ")} (auto: native where it is built, else wasm)`,
      choice(BACKENDS),
      "auto",
    )
    .option("--threads <n>", "threads for the kernels (default: the cores present, within the CPU quota)", int(1, 256))
    .option("--report <dir>", "write DIR/report.html (accuracy against labels, and the table) and DIR/few-labels.json")
    .option("--json", "print one JSON object with the table instead of lines")
    .option("--quiet", "no progress on stderr")
    .action(async (flags: FewLabelsFlags, invoked: Command) => {
      await fewLabels(flags, invoked);
    });
}

async function fewLabels(flags: FewLabelsFlags, command: Command): Promise<void> {
  const given = (name: string) => command.getOptionValueSource(name) === "cli";
  for (const flag of ["aeOptimizer", "softmaxOptimizer", "finetuneOptimizer"] as const) {
    const key = flag.replace("Optimizer", "") as keyof typeof DEFAULT_OPTIMIZERS;
    if (!given(flag) && !given("optimizer")) flags[flag] = DEFAULT_OPTIMIZERS[key] as OptimizerName;
  }
  // The report's folder is checked before the experiment's minutes, not after.
  if (flags.report) prepareFewLabelsReport(flags.report);
  const started = performance.now();
  const data = await loadTrainingData(
    { ...flags, validationFraction: undefined, transpose: flags.transpose === true },
    flags.seed,
  );
  const backend = await createBackend(
    flags.backend as BackendName,
    flags.backend === "js" ? { dtype: "float32" } : flags.threads === undefined ? {} : { threads: flags.threads },
  );
  const quiet = flags.quiet === true;
  try {
    const table = fewLabelsExperiment(
      backend,
      {
        train: data.train,
        test: data.test,
        inputSize: data.inputSize,
        classes: data.classNames.length,
        ...(data.unlabeled ? { unlabeled: data.unlabeled.inputs } : {}),
      },
      {
        labels: flags.labels,
        seeds: flags.seeds,
        settings: settingsOf(flags),
        validationFraction: flags.validationFraction ?? DEFAULT_VALIDATION,
        patience: flags.earlyStopping,
        pretraining: progressReporter(process.stderr, quiet),
        ...(quiet ? {} : { onRun: (run: FewLabelsRun) => process.stderr.write(runLine(run)) }),
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const about = {
      source: data.source,
      trainImages: data.train.count,
      testImages: data.test.count,
      unlabeledImages: data.unlabeled?.count ?? null,
      backend: describeBackend(backend),
      node: process.version,
      seconds: Math.round(seconds * 10) / 10,
    };
    if (flags.report) fewLabelsReport(flags.report, table, about);
    process.stdout.write(
      flags.json ? `${JSON.stringify({ ...table, ...about }, null, 2)}\n` : formatTable(table, about),
    );
  } finally {
    await backend.dispose();
  }
}

/** What the output says of the data and the machine besides the table. */
export interface FewLabelsAbout {
  source: string;
  trainImages: number;
  testImages: number;
  unlabeledImages: number | null;
  backend: string;
  node: string;
  seconds: number;
}

/**
 * `few-labels --report DIR`: the table as DIR/few-labels.json, and drawn (accuracy against labels,
 * log scale, ± one standard deviation) in DIR/report.html.
 */
export function fewLabelsReport(dir: string, table: FewLabelsTable, about: FewLabelsAbout): void {
  writeFileAtomic(
    join(dir, "few-labels.json"),
    new TextEncoder().encode(`${JSON.stringify({ ...table, ...about }, null, 2)}\n`),
  );
  const seeds = table.seeds.length;
  writeFewLabelsReport(dir, {
    title: `few labels: ${about.source}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command: ["stackae", ...process.argv.slice(2)],
    rows: table.rows.flatMap((row) =>
      FEW_LABELS_METHODS.map((m) => ({
        labels: row.labels,
        method: METHOD_TITLES[m],
        mean: row.methods[m].mean,
        std: row.methods[m].std,
        seconds: row.methods[m].seconds * seeds,
        seeds,
      })),
    ),
    notes: table.rows.map((row) => `${row.labels} labels: ${row.note}`),
    about: [
      ["data", about.source],
      ["hidden layers", table.settings.layers.join(" → ")],
      [
        "pretrained on",
        `${table.pretraining.examples} ${about.unlabeledImages === null ? "training images, labels unused" : "unlabelled images"}`,
      ],
      ["pretraining", `${table.pretraining.seconds.toFixed(1)} s`],
      ["test images", about.testImages],
      ["backend", about.backend],
      ["Node", about.node],
      ["total", `${about.seconds} s`],
    ],
  });
}

const pct = (x: number) => `${(100 * x).toFixed(2)}`;

function runLine(run: FewLabelsRun): string {
  const r = run.results;
  const total = r.pretrained.seconds + r.backprop.seconds + r.softmax.seconds;
  return `labels ${run.labels}, seed ${run.seed}: pretrained ${pct(r.pretrained.accuracy)} %, backprop only ${pct(r.backprop.accuracy)} %, softmax ${pct(r.softmax.accuracy)} % (${formatSeconds(total)})\n`;
}

/** The table as lines: N, then each method's mean ± standard deviation of test accuracy and seconds per subset. */
export function formatTable(table: FewLabelsTable, about: FewLabelsAbout): string {
  const s = table.settings;
  const count = (n: number) => n.toLocaleString("en-US");
  const cells = (row: FewLabelsTable["rows"][number]) =>
    FEW_LABELS_METHODS.map((m) => {
      const x = row.methods[m];
      return `${`${pct(x.mean)} ± ${pct(x.std)} %`.padStart(17)} ${`${x.seconds.toFixed(1)} s`.padStart(7)}`;
    }).join("   ");
  const lines = [
    `${about.source}: ${s.layers.join(" → ")} hidden units, pretrained once on ${count(table.pretraining.examples)} ${about.unlabeledImages === null ? "training images (labels unused)" : "unlabelled images"} in ${table.pretraining.seconds.toFixed(1)} s; ${table.seeds.length} seeds (${table.seeds.join(", ")}) for each number of labels, each run tested on ${count(table.testExamples)} images`,
    `${"labels".padStart(7)}   ${FEW_LABELS_METHODS.map((m) => METHOD_TITLES[m].padEnd(25)).join("   ")}`,
    ...table.rows.map((row) => `${count(row.labels).padStart(7)}   ${cells(row)}`),
    "(test accuracy, mean ± standard deviation over the seeds; seconds of training per subset)",
    ...table.rows.map((row) => `${count(row.labels).padStart(7)}: ${row.note}`),
    `${about.backend}, ${formatSeconds(about.seconds)} in all`,
  ];
  return `${lines.join("\n")}\n`;
}
