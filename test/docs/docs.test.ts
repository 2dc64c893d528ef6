// The user documentation holds what it promises: the README's and the tutorial's code blocks run
// as written, and the README stays a short page for users, not a lab notebook.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** The TypeScript and JavaScript code blocks of a Markdown text, in order. */
function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```(ts|typescript|js|javascript)\s*\n([\s\S]*?)^```\s*$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[2] as string);
  return blocks;
}

/**
 * A document's blocks as one program, in order (a later block uses what an earlier one made),
 * with the package's name resolved to its source, as a user's installed package resolves it.
 */
function program(markdown: string): string {
  const entry = (file: string) => JSON.stringify(join(root, "src", file));
  return codeBlocks(markdown)
    .join("\n")
    .replace(/from "stackae"/g, `from ${entry("index.ts")}`)
    .replace(/from "stackae\/browser"/g, `from ${entry("browser.ts")}`);
}

/** Runs a document's program in a process of its own; its stdout. */
function run(path: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "stackae-docs-")), "program.mts");
  writeFileSync(file, program(read(path)));
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `${path}'s code exited ${r.status} (${r.signal ?? "no signal"}):\n${r.stderr}`);
  assert.equal(r.stderr, "", `${path}'s code wrote on stderr`);
  return r.stdout;
}

describe("the README", () => {
  const readme = read("README.md");
  it("is a page for users: under 300 lines, no clock times, commit hashes or paths outside the repository", () => {
    const lines = readme.split("\n");
    assert.ok(lines.length < 300, `${lines.length} lines`);
    assert.doesNotMatch(readme, /\d\d:\d\dZ/, "a clock time");
    const hashes = readme.match(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/g);
    assert.equal(hashes, null, `commit hashes: ${hashes}`);
    assert.doesNotMatch(readme, /\.\.\//, "a path outside the repository");
    assert.doesNotMatch(readme, /shared\//, "a path outside the repository");
    assert.doesNotMatch(readme, /(^|\s)#\d+\b/m, "an issue number");
  });
  it("keeps the two set-up commands", () => {
    assert.match(readme, /^npm install && npx stackae train\b/m);
    assert.match(readme, /^npm test\b/m);
  });
  it("links only to files that exist", () => {
    for (const [, target] of readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
      if (/^https?:/.test(target as string) || target === "docs/architecture.md") continue;
      assert.doesNotThrow(() => read(target as string), `a link to ${target}`);
    }
  });
  it("has a library quick start that runs as written: trains, tests, saves and loads", () => {
    assert.ok(codeBlocks(readme).length >= 1, "no TypeScript block");
    const out = run("README.md");
    const m = out.match(/^before fine-tuning (\d+\.\d) %, after (\d+\.\d) %$/m);
    assert.ok(m, out);
    assert.ok(Number(m[2]) > 70, `after ${m[2]} %`);
  });
});

describe("docs/tutorial.md", () => {
  it("runs as written, every step, and fine-tuning helps as it says", () => {
    const out = run("docs/tutorial.md");
    const percent = (label: string) =>
      Number(out.match(new RegExp(`^${label} fine-tuning: (\\d+\\.\\d) %$`, "m"))?.[1]);
    assert.ok(percent("before") > 40, out);
    assert.ok(percent("after") > 75, out);
    assert.match(out, /^autoencoder 784 → 64: cost \d+\.\d+, reached the limit of 40 iterations$/m);
  });
});
