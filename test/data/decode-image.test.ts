// Pictures whose headers declare more pixels than they hold, or than stackae decodes: refused from
// the header, before the decoders allocate for them (issue 30, item 2: a 69-byte PNG declaring
// 20000 × 20000 exhausted V8's heap in `predict`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { decodeImageGray, MAX_IMAGE_PIXELS } from "../../src/data/decode-image.ts";
import { DataError } from "../../src/errors.ts";

/** A valid w × h RGBA PNG of one gray level. */
function png(width: number, height: number): Uint8Array {
  const p = new PNG({ width, height });
  p.data.fill(200);
  return new Uint8Array(PNG.sync.write(p));
}

/** `bytes` (a PNG) with its IHDR's width and height replaced, its CRC made right again. */
function declarePng(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

/** A 16 × 16 baseline JPEG with its frame header's size replaced. */
function declareJpeg(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(16 * 16 * 4, 128);
  const out = new Uint8Array(jpeg.encode({ width: 16, height: 16, data }, 80).data);
  const sof = out.findIndex((b, i) => b === 0xff && out[i + 1] === 0xc0);
  const view = new DataView(out.buffer);
  view.setUint16(sof + 5, height);
  view.setUint16(sof + 7, width);
  return out;
}

function refused(bytes: Uint8Array, file: string, pattern: RegExp): void {
  const started = performance.now();
  assert.throws(
    () => decodeImageGray(bytes, file),
    (e: Error) => {
      assert.ok(e instanceof DataError, `expected a DataError, got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.file, file);
      assert.match(e.message, pattern);
      return true;
    },
  );
  assert.ok(performance.now() - started < 500, "refused from the header, without decoding");
}

describe("decodeImageGray refuses declared sizes before decoding", () => {
  it("the issue's 20000 × 20000 PNG of a few dozen bytes, and any over the pixel limit", () => {
    const small = png(4, 4);
    refused(declarePng(small, 20000, 20000), "huge.png", /^huge\.png: the PNG header says 20000 × 20000 pixels/);
    refused(declarePng(small, 8001, 8000), "a.png", /more than stackae decodes \(64000000 pixels/);
    assert.equal(MAX_IMAGE_PIXELS, 64_000_000);
  });

  it("a picture declaring no pixels one way", () => {
    refused(
      declarePng(png(4, 4), 0xffffffff, 0),
      "flat.png",
      /^flat\.png: the PNG header says 4294967295 × 0 pixels: a picture has at least one pixel/,
    );
  });

  it("a PNG whose data is too short to hold the pixels its header declares", () => {
    refused(
      declarePng(png(4, 4), 3000, 3000),
      "short.png",
      /^short\.png: the PNG's pixel data inflates to \d+ bytes of the 36003000 its header needs, too few for 3000 × 3000 pixels/,
    );
    // pngjs alone decodes this one, 5 rows declared where 4 are, the fifth from memory it never wrote.
    refused(declarePng(png(4, 4), 4, 5), "row.png", /inflates to \d+ bytes of the 85 its header needs/);
  });

  it("the same for JPEG: over the limit, or too short for its size", () => {
    refused(declareJpeg(9000, 9000), "huge.jpg", /^huge\.jpg: the JPEG header says 9000 × 9000 pixels/);
    refused(
      declareJpeg(3000, 3000),
      "short.jpg",
      /holds \d+ bytes \(at least \d+ needed\), too few for 3000 × 3000 pixels/,
    );
  });

  it("still decodes pictures that hold what they declare", () => {
    assert.equal(decodeImageGray(png(300, 200), "ok.png").data.length, 300 * 200);
    const data = Buffer.alloc(64 * 48 * 4, 90);
    const ok = new Uint8Array(jpeg.encode({ width: 64, height: 48, data }, 90).data);
    assert.equal(decodeImageGray(ok, "ok.jpg").width, 64);
  });
});
