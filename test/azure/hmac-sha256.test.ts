import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac } from "node:crypto";
import { hmacSha256 } from "../../firmware/azure/hmac-sha256";
import { createPrng } from "../helpers/prng";

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));
const filled = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);

// RFC 4231 section 4, HMAC-SHA-256 results. Case 5 publishes only the first 128 bits.
const RFC4231: Array<{ name: string; key: Uint8Array; data: Uint8Array; mac: string }> = [
  { name: "1: 20-byte key, 'Hi There'", key: filled(20, 0x0b), data: ascii("Hi There"),
    mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
  { name: "2: key shorter than the output", key: ascii("Jefe"), data: ascii("what do ya want for nothing?"),
    mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
  { name: "3: 50 bytes of 0xdd", key: filled(20, 0xaa), data: filled(50, 0xdd),
    mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
  { name: "4: 25-byte counting key", key: fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), data: filled(50, 0xcd),
    mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
  { name: "5: truncated to 128 bits", key: filled(20, 0x0c), data: ascii("Test With Truncation"),
    mac: "a3b6167473100ee06e0c796c2955552b" },
  { name: "6: 131-byte key, hashed first", key: filled(131, 0xaa), data: ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
    mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
  { name: "7: 131-byte key and 152-byte data", key: filled(131, 0xaa),
    data: ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
    mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
];

const rfc = suite("hmacSha256: RFC 4231");
for (const vector of RFC4231) {
  rfc(`case ${vector.name} -> published MAC`, () => {
    const mac = hmacSha256(vector.key, vector.data, sha256);
    assert.is(mac.length, 32);
    assert.is(hex(mac).slice(0, vector.mac.length), vector.mac);
  });
}
rfc("case 2 with key and data as strings -> same MAC", () => {
  assert.is(hex(hmacSha256("Jefe", "what do ya want for nothing?", sha256)), RFC4231[1].mac);
});
rfc.run();

const calls = suite("hmacSha256: SHA-256 calls");
function counting(): { fn: (d: Uint8Array) => Uint8Array; lengths: number[] } {
  const lengths: number[] = [];
  const fn = (d: Uint8Array): Uint8Array => {
    lengths.push(d.length);
    return sha256(d);
  };
  return { lengths, fn };
}
calls("key of 64 bytes or less -> exactly two calls, 64+message then 96 bytes", () => {
  for (const size of [0, 1, 32, 64]) {
    const c = counting();
    hmacSha256(filled(size, 1), ascii("message"), c.fn);
    assert.equal(c.lengths, [71, 96], `key of ${size} bytes`);
  }
});
calls("key of 65 bytes -> key hashed first, then the two HMAC calls", () => {
  const c = counting();
  hmacSha256(filled(65, 1), ascii("m"), c.fn);
  assert.equal(c.lengths, [65, 65, 96]);
});
calls("inputs -> left unchanged", () => {
  const key = filled(70, 7);
  const message = filled(10, 9);
  hmacSha256(key, message, sha256);
  assert.equal(key, filled(70, 7));
  assert.equal(message, filled(10, 9));
});
calls.run();

const cross = suite("hmacSha256: against node:crypto");
cross("300 seeded random keys (0..200 bytes) and messages (0..300 bytes) -> same MAC as createHmac", () => {
  const rng = createPrng(0x5a5a0004);
  for (let i = 0; i < 300; i++) {
    const key = rng.bytes(rng.int(201));
    const message = rng.bytes(rng.int(301));
    const expected = createHmac("sha256", key).update(message).digest("hex");
    assert.is(hex(hmacSha256(key, message, sha256)), expected, `case ${i}: key ${key.length} bytes, message ${message.length} bytes`);
  }
});
cross.run();

const text = suite("hmacSha256: string inputs are UTF-8");
text("non-ASCII text, surrogate pairs, lone surrogates -> same MAC as createHmac over Buffer.from(text)", () => {
  for (const message of ["caf\u00e9", "\u20ac 5", "smile \ud83d\ude00", "lone \ud800 high", "lone \udc00 low", "end \ud83d", ""]) {
    const expected = createHmac("sha256", "k\u00e9y").update(Buffer.from(message, "utf8")).digest("hex");
    assert.is(hex(hmacSha256("k\u00e9y", message, sha256)), expected, JSON.stringify(message));
  }
});
text("string message -> same MAC as its UTF-8 bytes as a Uint8Array", () => {
  const key = filled(16, 3);
  assert.equal(hmacSha256(key, "\u00e9", sha256), hmacSha256(key, new Uint8Array([0xc3, 0xa9]), sha256));
});
text.run();
