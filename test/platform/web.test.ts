// The web entry point reaches no Node module: every static and literal dynamic import of the
// modules reachable from src/browser.ts is followed, and none is a node: built-in or the Node
// platform. (The bundled demo is checked the same way by npm run test:browser.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../../src", import.meta.url));

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1] as string);
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith(".")) visit(resolve(dirname(file), s));
  };
  visit(entry);
  return seen;
}

it("src/browser.ts imports no node: module and not the Node platform, directly or through any module", () => {
  const graph = reachable(join(src, "browser.ts"));
  const offenders: string[] = [];
  for (const [file, specifiers] of graph) {
    for (const s of specifiers) {
      if (s.startsWith("node:") || s.endsWith("platform/node.ts")) offenders.push(`${relative(src, file)} → ${s}`);
    }
  }
  assert.deepEqual(offenders, []);
  assert.ok(graph.size > 30, `only ${graph.size} modules reached: the walk is broken`);
  assert.ok([...graph.keys()].some((f) => f.endsWith("wasm/backend.ts")));
  // And the Node entry point does reach node modules, so the check can fail.
  const node = reachable(join(src, "index.ts"));
  assert.ok([...node.values()].flat().some((s) => s.startsWith("node:")));
});
