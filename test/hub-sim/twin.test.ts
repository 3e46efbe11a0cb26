// Twin storage: merge patch and versions.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Twin, mergePatch, parseJsonObject } from "../../tools/hub-sim/twin";

const twin = suite("twin: storage");

twin("mergePatch: nested merge, null deletes, $ keys ignored", () => {
  const t: Record<string, unknown> = { a: 1, b: { c: 2, d: 3 } };
  mergePatch(t, { b: { c: null, e: 4 }, f: [1], $version: 9 });
  assert.equal(t, { a: 1, b: { d: 3, e: 4 }, f: [1] });
});

twin("versions start at 1 and count patches per section", () => {
  const t = new Twin({ interval: 5 });
  assert.equal(t.document(), { desired: { interval: 5, $version: 1 }, reported: { $version: 1 } });
  assert.is(t.patchReported({ fw: "1.0" }), 2);
  assert.is(t.patchDesired({ interval: 10 }), 2);
  assert.is(t.patchDesired({ x: 1 }), 3);
  assert.equal(t.document(), { desired: { interval: 10, x: 1, $version: 3 }, reported: { fw: "1.0", $version: 2 } });
});

twin("document() is a copy", () => {
  const t = new Twin();
  t.patchReported({ a: { b: 1 } });
  const doc = t.document();
  (doc.reported.a as { b: number }).b = 2;
  assert.equal(t.document().reported.a, { b: 1 });
});

twin("parseJsonObject: objects only", () => {
  assert.equal(parseJsonObject(Buffer.from('{"a":1}')), { a: 1 });
  assert.is(parseJsonObject(Buffer.from("[1]")), undefined);
  assert.is(parseJsonObject(Buffer.from("nope")), undefined);
});

twin.run();
