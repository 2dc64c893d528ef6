import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { className, modelDataMetadata, modelDataOf } from "../../src/io/model-data.ts";
import { ModelFileError } from "../../src/io/safetensors.ts";

describe("model data metadata", () => {
  test("round-trips class names, input scale and preparation; an empty record adds no key", () => {
    const data = { classNames: ["cat", "dog", "eel"], inputScale: 16, preparation: "resize" as const };
    assert.deepEqual(modelDataOf(modelDataMetadata(data), 3, "m.safetensors"), data);
    assert.deepEqual(modelDataMetadata({}), {});
    assert.deepEqual(modelDataOf({}, 10, "m.safetensors"), {});
    assert.equal(className(data, 1), "dog");
    assert.equal(className({}, 7), "7");
  });

  test("damaged values are errors naming the file and the key", () => {
    const cases: Record<string, string>[] = [
      { classNames: '["a","b"]' },
      { classNames: "not json" },
      { classNames: "[1,2,3]" },
      { inputScale: "0" },
      { inputScale: "x" },
      { preparation: "crop" },
    ];
    for (const metadata of cases) {
      const key = Object.keys(metadata)[0] as string;
      assert.throws(
        () => modelDataOf(metadata, 3, "m.safetensors"),
        (e: unknown) => e instanceof ModelFileError && e.message.includes("m.safetensors") && e.message.includes(key),
      );
    }
  });
});
