import assert from "node:assert/strict";
import { it } from "node:test";
import { checkFiniteInputs, inputsToMatrix } from "../../src/linalg/inputs.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";

it("inputsToMatrix scales unsigned-byte pixels by 1/255 and copies floats as they are", () => {
  const backend = new JsBackend("float64");
  assert.deepEqual(Array.from(inputsToMatrix(backend, 1, 3, Uint8Array.of(0, 51, 255)).data), [0, 0.2, 1]);
  assert.deepEqual(Array.from(inputsToMatrix(backend, 1, 2, Float64Array.of(0.25, 7)).data), [0.25, 7]);
});

it("NaN or infinite inputs are refused by name, example and place", () => {
  const inputs = new Float32Array(12).fill(0.5);
  inputs[7] = Number.NaN;
  assert.throws(() => checkFiniteInputs(inputs, 4), {
    name: "DataError",
    message: /^inputs hold NaN at example 1, value 3: every input must be a finite number/,
  });
  inputs[7] = Number.POSITIVE_INFINITY;
  assert.throws(() => checkFiniteInputs(inputs, 4, "unlabeled inputs"), {
    message: /^unlabeled inputs hold Infinity at example 1, value 3/,
  });
  checkFiniteInputs(Uint8Array.from([0, 255]), 2);
});
