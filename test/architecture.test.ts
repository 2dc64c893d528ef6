// The layers of docs/architecture.md hold: every import in src/ goes where the table there allows.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/** The part a file of src/ belongs to: its top folder, or its name for the files at the top. */
function partOf(file: string): string {
  const rel = relative(src, file).split(/[\\/]/);
  return rel.length > 1 ? (rel[0] as string) : (rel[0] as string).replace(/\.ts$/, "");
}

/** The table of docs/architecture.md: each part and the parts it may import. */
export function allowedImports(markdown: string): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length !== 5) continue;
    const part = /^`([a-z]+)`$/.exec(cells[1] as string)?.[1];
    if (part === undefined) continue;
    const may = [...(cells[3] as string).matchAll(/`([a-z]+)`/g)].map((m) => m[1] as string);
    allowed.set(part, new Set([part, ...may]));
  }
  return allowed;
}

/** Every relative import of a source text (static, re-export, type-only and dynamic with a literal). */
function importsOf(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((name) => name.startsWith(".") || name.startsWith("node:"));
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** The imports among `files` (path → text) that the table forbids. */
export function violations(
  files: Map<string, string>,
  allowed: Map<string, Set<string>>,
  nodeAllowed: readonly (string | RegExp)[],
): Violation[] {
  const found: Violation[] = [];
  for (const [file, text] of files) {
    const part = partOf(file);
    const may = allowed.get(part);
    const rel = relative(root, file);
    if (may === undefined) {
      found.push({ file: rel, imports: "", why: `part "${part}" is not in docs/architecture.md's table` });
      continue;
    }
    for (const spec of importsOf(text)) {
      if (spec.startsWith("node:")) {
        const atEdge = nodeAllowed.some((edge) =>
          typeof edge === "string" ? rel === edge || (edge.endsWith("/") && rel.startsWith(edge)) : edge.test(rel),
        );
        if (!atEdge) found.push({ file: rel, imports: spec, why: "only the edges listed may import Node's modules" });
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(`${src}/`)) {
        if (!target.startsWith(join(root, "wasm"))) {
          found.push({ file: rel, imports: spec, why: "imports from outside src/" });
        }
        continue;
      }
      const to = partOf(target);
      if (!may.has(to)) found.push({ file: rel, imports: spec, why: `${part} may not import ${to}` });
    }
  }
  return found;
}

function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, readFileSync(path, "utf8"));
  }
  return files;
}

const table = allowedImports(readFileSync(join(root, "docs", "architecture.md"), "utf8"));
/** The files and folders that may import `node:` modules (docs/architecture.md, "Node's modules stay at the edges"). */
const NODE_EDGES: readonly (string | RegExp)[] = [
  "src/platform/node.ts",
  "src/platform/cpu-quota.ts",
  "src/platform/relaxed-simd.ts",
  "src/platform/memory-limit.ts",
  /^src\/(data|io)\/([a-z-]+-file|files)\.ts$/,
  "src/cli/",
];

describe("architecture: the import rules of docs/architecture.md", () => {
  test("the table names every part of src/", () => {
    const parts = new Set([...sourceFiles(src).keys()].map(partOf));
    for (const part of parts) assert.ok(table.has(part), `docs/architecture.md has no row for "${part}"`);
    for (const part of ["errors", "linalg", "optim", "nn", "data", "train", "io", "cli"]) {
      assert.ok(table.has(part), `the table lost its row for "${part}"`);
    }
  });

  test("no file of src/ imports a part its row does not allow", () => {
    const found = violations(sourceFiles(src), table, NODE_EDGES);
    assert.deepEqual(
      found.map((v) => `${v.file} imports ${v.imports}: ${v.why}`),
      [],
    );
  });

  test("the rules the issue names are in the table", () => {
    const may = (from: string, to: string) => table.get(from)?.has(to) === true;
    for (const math of ["nn", "optim", "linalg"]) {
      for (const outer of ["data", "io", "train", "cli"]) assert.ok(!may(math, outer), `${math} may import ${outer}`);
    }
    assert.ok(!may("optim", "nn"), "optimisers may import the network");
    assert.ok(!may("linalg", "optim") && !may("linalg", "nn"), "kernels may import optimisers or the network");
  });

  test("a forbidden import is caught (math reaching for data, kernels for optim, a file off the edges using node:)", () => {
    const fake = new Map([
      [join(src, "nn", "fake.ts"), 'import { parseIdx } from "../data/idx.ts";\nexport const x = 1;'],
      [join(src, "linalg", "fake.ts"), 'import type { OptimResult } from "../optim/types.ts";'],
      [join(src, "linalg", "io.ts"), 'const m = await import("node:fs");'],
      [join(src, "nn", "fine.ts"), 'import { Matrix } from "../linalg/matrix.ts";\nimport { x } from "./fake.ts";'],
    ]);
    const found = violations(fake, table, NODE_EDGES).map((v) => `${v.file}: ${v.imports}`);
    assert.deepEqual(found, [
      "src/nn/fake.ts: ../data/idx.ts",
      "src/linalg/fake.ts: ../optim/types.ts",
      "src/linalg/io.ts: node:fs",
    ]);
  });

  test("assembly/ imports only assembly/", () => {
    const dir = join(root, "assembly");
    for (const [file, text] of sourceFiles(dir)) {
      for (const spec of importsOf(text)) {
        const target = resolve(dirname(file), spec);
        assert.ok(target.startsWith(`${dir}/`), `${relative(root, file)} imports ${spec}, outside assembly/`);
      }
    }
  });
});
