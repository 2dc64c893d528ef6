import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  prepareFewLabelsReport,
  REPORT_FILES,
  type RunFacts,
  runReport,
  validationMetadata,
  validationSummary,
  writeFewLabelsReport,
  writeReport,
} from "../../src/cli/report.ts";
import { WriteError } from "../../src/io/files.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import type { TrainResult } from "../../src/train/pipeline.ts";
import { resolveSettings } from "../../src/train/settings.ts";
import type { StageReport } from "../../src/train/stages.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");

const point = (iteration: number, accuracy: number) => ({ iteration, accuracy, cost: 1 - accuracy });
const stage = (name: string, validation?: StageReport["validation"]): StageReport => ({
  name,
  optimizer: "adam",
  iterations: 4,
  evaluations: 4,
  cost: 0.5,
  status: "epochsDone",
  message: "ran",
  seconds: 1,
  costs: [0.9, 0.7, 0.6, 0.5],
  ...(validation ? { validation } : {}),
});
const curve = [point(0, 0.5), point(2, 0.8), point(4, 0.7)];
const withValidation = [
  stage("autoencoder 1"),
  stage("softmax", { curve, best: point(2, 0.8), kept: point(4, 0.7) }),
  stage("fine-tuning", { curve, best: point(2, 0.8), kept: point(2, 0.8) }),
];
const without = [stage("autoencoder 1"), stage("softmax"), stage("fine-tuning")];

const model = { sizes: [4, 2], classes: 2, params: Float32Array.from({ length: 4 * 2 + 2 + 2 * 2 }, (_, i) => i - 5) };
const result: TrainResult = { pretrained: model, model, stages: withValidation, settings: resolveSettings({}) };
const scores = { precision: 1, recall: 1, f1: 1, support: 2 };
const facts: RunFacts = {
  command: ["stackae", "train", "--report", "r"],
  source: "d.csv",
  kind: "csv",
  inputSize: 4,
  imageShape: [2, 2],
  inputScale: 1,
  classNames: ["no", "yes"],
  splits: [
    { name: "training", labels: Int32Array.from([0, 1, 1, 1]), count: 4 },
    { name: "test", labels: Int32Array.from([0, 1]), count: 2 },
    { name: "unlabelled (pretraining)", labels: null, count: 9 },
  ],
  accuracyBeforeFineTuning: 0.5,
  accuracyAfterFineTuning: 1,
  confusion: [
    [1, 0],
    [0, 1],
  ],
  metrics: { perClass: [{ name: "no", ...scores }], macroAverage: scores, weightedAverage: scores },
  backend: new JsBackend(),
  backendName: "js (float64)",
  totalSeconds: 3,
};

describe("the page of a run (report.html)", () => {
  it("is gathered from the run: each split's classes counted, the settings side by side, the machine", () => {
    const page = runReport(result, facts);
    assert.deepEqual(
      page.data.splits.map((s) => [s.name, s.perClass, s.total]),
      [
        ["training", [1, 3], 4],
        ["test", [1, 1], 2],
        ["unlabelled (pretraining)", null, 9],
      ],
    );
    assert.deepEqual(page.settings.stages, ["autoencoders", "softmax", "fine-tuning"]);
    const row = (name: string) => page.settings.perStage.find((r) => r.name === name)?.values;
    assert.deepEqual(row("iterations, or epochs"), ["400 iterations", "100 iterations", "400 iterations"]);
    assert.deepEqual(row("batch size"), ["", "", ""], "L-BFGS takes no batches");
    assert.deepEqual(row("sparsity weight β"), [3, "", ""]);
    assert.deepEqual(row("learning-rate schedule"), ["", "", ""], "nor a learning rate");
    assert.deepEqual(
      [row("weight decay of every encoder"), row("input dropout")],
      [
        ["", "", 0],
        ["", "", 0],
      ],
    );
    assert.deepEqual(page.settings.run[0], ["recipe", "reference"]);
    assert.equal(page.accuracy.validation, 0.8, "the fine-tuned parameters kept");
    assert.equal(page.machine.threads, 1);
    assert.equal(page.machine.node, process.version);
    assert.ok(page.machine.cpu.length > 0);
    // The tiles: one a hidden unit, each scaled by its own largest |weight| (W1 is −5 … 2, two rows of four).
    assert.deepEqual(page.features.after.maxAbs, [5, 2]);
    assert.equal(page.features.after.layout.count, 2);
  });

  it("is written with the other files, and the folder is checked for all of them before training", () => {
    const dir = mkdtempSync(join(tmpdir(), "stackae-report-"));
    writeReport(dir, result, [2, 2], runReport(result, facts));
    assert.match(
      readFileSync(join(dir, "report.html"), "utf8"),
      /^<!doctype html>[\s\S]*test accuracy after fine-tuning/,
    );
    assert.ok(REPORT_FILES.includes("report.html"));
  });

  it("few-labels --report: report.html in a folder made where missing; a file in the way is refused before the run", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "stackae-few-")), "new", "folder");
    const file = writeFewLabelsReport(dir, {
      title: "few labels",
      date: "today",
      command: ["stackae", "few-labels"],
      rows: [{ labels: 100, method: "pretrained", mean: 0.8, std: 0.01, seconds: 4 }],
    });
    assert.equal(file, join(dir, "report.html"));
    assert.match(readFileSync(file, "utf8"), /few labels/);
    assert.throws(() => prepareFewLabelsReport(file), WriteError);
  });
});

describe("the validation set in train's outputs", () => {
  it("--json's validation: by stage, only the stages that have one; no key without a validation set", () => {
    assert.deepEqual(Object.keys(validationSummary(withValidation).validation ?? {}), ["softmax", "fine-tuning"]);
    assert.deepEqual(validationSummary(without), {});
  });

  it("the model's validationAccuracy is that of the fine-tuned parameters kept; absent without a validation set", () => {
    assert.deepEqual(validationMetadata(withValidation), { validationAccuracy: "0.8" });
    assert.deepEqual(validationMetadata(without), {});
  });

  it("--report's stages.json holds each stage's validation, and costs.svg plots its cost", () => {
    const dir = mkdtempSync(join(tmpdir(), "stackae-report-"));
    writeReport(dir, result, [2, 2], runReport(result, facts));
    const stages = JSON.parse(readFileSync(join(dir, "stages.json"), "utf8"));
    assert.deepEqual(stages[2].validation.best, point(2, 0.8));
    assert.equal(stages[0].validation, undefined);
    assert.match(readFileSync(join(dir, "costs.svg"), "utf8"), /fine-tuning: validation cost/);
    writeReport(dir, { ...result, stages: without }, [2, 2], runReport(result, facts));
    assert.doesNotMatch(readFileSync(join(dir, "costs.svg"), "utf8"), /validation/);
  });

  it("train --early-stopping without a validation set: exit 2, naming --validation-fraction", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", main, "train", "--train-limit", "100", "--layers", "8", "--early-stopping", "5", "--quiet"],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^stackae: .*needs a validation set.*--validation-fraction/);
  });
});
