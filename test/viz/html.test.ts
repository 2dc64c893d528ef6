import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { base64, escapeHtml, htmlPage, percent, seconds, table } from "../../src/viz/html.ts";

describe("the HTML helpers", () => {
  it("escape the five characters that matter in content and attributes", () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("base64 agrees with Node's Buffer, padding included", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) % 256);
      assert.equal(base64(bytes), Buffer.from(bytes).toString("base64"), `${n} bytes`);
    }
  });

  it("tables escape their cells, right-align numbers with separators, and mark the totals", () => {
    const html = table(
      ["class", "n"],
      [
        ["<x>", 12345],
        ["all", 12345],
      ],
      { numeric: [1], totalsFrom: 1 },
    );
    assert.match(html, /<th>&lt;x&gt;<\/th><td class="num">12,345<\/td>/);
    assert.match(html, /<tr class="total"><th>all<\/th>/);
  });

  it("the page forbids every request but inline pictures", () => {
    const page = htmlPage("t</title><script>", "<p>x</p>");
    assert.match(
      page,
      /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/,
    );
    assert.match(page, /<title>t&lt;\/title&gt;&lt;script&gt;<\/title>/);
  });

  it("percentages and seconds as people read them", () => {
    assert.equal(percent(0.98123), "98.12 %");
    assert.equal(percent(Number.NaN), "–");
    assert.equal(seconds(0.4219), "0.42 s");
    assert.equal(seconds(12.34), "12.3 s");
    assert.equal(seconds(245), "4 min 05 s");
  });
});
