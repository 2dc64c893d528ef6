import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { validationMetadata, validationSummary, writeReport } from "../../src/cli/report.ts";
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
    const model = { sizes: [4, 2], classes: 2, params: new Float32Array(4 * 2 + 2 + 2 * 2) };
    const result: TrainResult = { pretrained: model, model, stages: withValidation, settings: resolveSettings({}) };
    const dir = mkdtempSync(join(tmpdir(), "stackae-report-"));
    writeReport(dir, result, [2, 2]);
    const stages = JSON.parse(readFileSync(join(dir, "stages.json"), "utf8"));
    assert.deepEqual(stages[2].validation.best, point(2, 0.8));
    assert.equal(stages[0].validation, undefined);
    assert.match(readFileSync(join(dir, "costs.svg"), "utf8"), /fine-tuning: validation cost/);
    writeReport(dir, { ...result, stages: without }, [2, 2]);
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
