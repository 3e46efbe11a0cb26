import { suite } from "uvu";
import * as assert from "uvu/assert";
import { utf8Bytes, utf8Length, writeUtf8 } from "../../firmware/azure/bytes";
import { createPrng } from "../helpers/prng";

const nodeUtf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"));

/** A string as Espruino 2v29 holds decoded text: one char per code point, so an emoji is a
 *  single char whose charCodeAt is above 0xFFFF (not expressible as a Node string). */
function espruinoText(codePoints: number[]): string {
  return { length: codePoints.length, charCodeAt: (i: number) => codePoints[i] } as unknown as string;
}

const bytes = suite("utf8Bytes");
bytes("ASCII -> one byte per char, unchanged", () => {
  assert.equal(utf8Bytes("abc\n\u007f"), new Uint8Array([97, 98, 99, 10, 127]));
});
bytes("empty string -> zero bytes", () => {
  assert.is(utf8Bytes("").length, 0);
});
bytes("U+00E9, U+20AC, an emoji as a surrogate pair -> 2, 3 and 4 UTF-8 bytes", () => {
  assert.equal(utf8Bytes("\u00e9"), new Uint8Array([0xc3, 0xa9]));
  assert.equal(utf8Bytes("\u20ac"), new Uint8Array([0xe2, 0x82, 0xac]));
  assert.equal(utf8Bytes("\ud83d\ude00"), new Uint8Array([0xf0, 0x9f, 0x98, 0x80]));
});
bytes("an emoji as one Espruino char (code 0x1F600) -> the same 4 bytes as on Node", () => {
  const text = espruinoText([0x41, 0x1f600]);
  assert.is(utf8Length(text), 5);
  assert.equal(utf8Bytes(text), new Uint8Array([0x41, 0xf0, 0x9f, 0x98, 0x80]));
});
bytes("lone surrogates -> U+FFFD, as Node's Buffer.from", () => {
  for (const text of ["\ud800", "\udc00", "a\ud800b", "\ud83d", "\ude00\ud83d"]) assert.equal(utf8Bytes(text), nodeUtf8(text), JSON.stringify(text));
});
bytes("2000 seeded random strings of mixed ranges -> same bytes as Buffer.from(text, 'utf8')", () => {
  const rng = createPrng(0xb17e5);
  const ranges = [0x80, 0x800, 0x10000];
  for (let i = 0; i < 2000; i++) {
    let text = "";
    const n = rng.int(12);
    for (let j = 0; j < n; j++) text += String.fromCharCode(rng.int(ranges[rng.int(3)]));
    assert.equal(utf8Bytes(text), nodeUtf8(text), `case ${i}`);
    assert.is(utf8Length(text), nodeUtf8(text).length);
  }
});
bytes.run();

const write = suite("writeUtf8");
write("offset inside a larger buffer -> writes only its bytes, returns the end offset", () => {
  const out = new Uint8Array(8).fill(0xee);
  assert.is(writeUtf8("a\u00e9", out, 2), 5);
  assert.equal(out, new Uint8Array([0xee, 0xee, 0x61, 0xc3, 0xa9, 0xee, 0xee, 0xee]));
});
write.run();
