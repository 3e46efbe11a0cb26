import { suite } from "uvu";
import * as assert from "uvu/assert";
import { base64Decode, base64DecodeLenient, base64Encode } from "../../firmware/azure/base64";
import { ERR_BAD_BASE64 } from "../../firmware/status";
import { createPrng } from "../helpers/prng";

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));

// RFC 4648 section 10.
const RFC4648: Array<[string, string]> = [
  ["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"],
];

const encode = suite("base64Encode");
encode("RFC 4648 vectors -> published text", () => {
  for (const [plain, text] of RFC4648) assert.is(base64Encode(ascii(plain)), text, plain);
});
encode("all byte values and 500 seeded random arrays -> same text as Buffer", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assert.is(base64Encode(all), Buffer.from(all).toString("base64"));
  const rng = createPrng(64);
  for (let i = 0; i < 500; i++) {
    const bytes = rng.bytes(rng.int(70));
    assert.is(base64Encode(bytes), Buffer.from(bytes).toString("base64"), `case ${i}`);
  }
});
encode.run();

const strict = suite("base64Decode (strict)");
strict("RFC 4648 vectors -> their bytes", () => {
  for (const [plain, text] of RFC4648) assert.equal(base64Decode(text), ascii(plain), text);
});
strict("500 seeded random round trips -> the original bytes", () => {
  const rng = createPrng(65);
  for (let i = 0; i < 500; i++) {
    const bytes = rng.bytes(rng.int(70));
    assert.equal(base64Decode(base64Encode(bytes)), bytes, `case ${i}`);
  }
});
strict("a 64-byte Azure-style key -> 64 bytes", () => {
  const key = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
  assert.equal(base64Decode(key), new Uint8Array(Buffer.from(key, "base64")));
});
strict("bad inputs -> ERR_BAD_BASE64 (each with what is wrong)", () => {
  const bad: Array<[string, string]> = [
    ["key", "unpadded"],
    ["Zg", "unpadded, two characters"],
    ["Zh==", "unused bits not zero"],
    ["Zm9=", "unused bits not zero, one pad"],
    ["Zg=", "one pad short"],
    ["Zg===", "one pad too many"],
    ["Zm9v=", "pad after a full group"],
    ["Z===", "a lone character padded"],
    ["Zm=v", "pad inside"],
    ["Zm9v Zm9v", "space"],
    ["Zm9v\n", "newline"],
    ["Zm-_", "URL-safe alphabet"],
    ["Zm9\u00e9", "non-ASCII"],
    ["A", "a lone character"],
    ["=", "only a pad"],
  ];
  for (const [text, why] of bad) assert.is(base64Decode(text), ERR_BAD_BASE64, why);
});
strict.run();

const lenient = suite("base64DecodeLenient");
lenient("unpadded 'key' (Node SDK test key) -> 0x91 0xEC", () => {
  assert.equal(base64DecodeLenient("key"), new Uint8Array([0x91, 0xec]));
});
lenient("padded input -> same as strict", () => {
  for (const [plain, text] of RFC4648) assert.equal(base64DecodeLenient(text), ascii(plain), text);
});
lenient("unused bits not zero -> ignored, like Node's Buffer", () => {
  assert.equal(base64DecodeLenient("Zh=="), ascii("f"));
  assert.equal(base64DecodeLenient("Zh"), ascii("f"));
});
lenient("300 seeded random texts with padding stripped -> same bytes as Buffer.from(text, 'base64')", () => {
  const rng = createPrng(66);
  for (let i = 0; i < 300; i++) {
    const text = base64Encode(rng.bytes(rng.int(70))).replace(/=+$/, "");
    assert.equal(base64DecodeLenient(text), new Uint8Array(Buffer.from(text, "base64")), text);
  }
});
lenient("bad characters, a lone character, wrong padding -> ERR_BAD_BASE64", () => {
  for (const text of ["k y", "ke-", "key\n", "A", "AAAAA", "Zg=", "Zg===", "Zm9v=", "Zm=v", "!!!!"]) {
    assert.is(base64DecodeLenient(text), ERR_BAD_BASE64, JSON.stringify(text));
  }
});
lenient.run();
