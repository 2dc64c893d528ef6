// The CSV spec runs against both parsers, as one kernel spec runs against every backend.
import { before, describe } from "node:test";
import { useCsvWasm } from "../../src/data/csv-wasm.ts";

/** `body` as a describe block once with the WebAssembly fast path, once with the JS parser alone. */
export function describeBothParsers(name: string, body: () => void): void {
  for (const wasm of [true, false]) {
    describe(`${name} (${wasm ? "WebAssembly fast path" : "JS parser alone"})`, () => {
      before(() => useCsvWasm(wasm));
      body();
    });
  }
}
