import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decodePacket, byteString } from "../../firmware/mqtt/decode";
import { createPacket } from "../../firmware/mqtt/packet";
import { OK } from "../../firmware/status";
import { inbound, inboundErrors } from "./vectors";
import { hex, snapshot, mpGenerate, mpParse } from "./kit";

/** Decodes a whole packet whose remaining length fits one byte. */
function decodeWhole(bytes: number[]): { status: number; p: ReturnType<typeof createPacket> } {
  const b = new Uint8Array(bytes);
  assert.ok(b[1] < 128, "vector uses a one-byte remaining length");
  assert.is(b[1], b.length - 2, "remaining length matches the vector");
  const p = createPacket();
  return { status: decodePacket(p, b[0], b, 2, b.length), p };
}

const vectors = suite("decodePacket: vectors");

for (const v of inbound) {
  vectors(`${v.name} -> the listed fields`, () => {
    const bytes = new Uint8Array(v.bytes);
    const p = createPacket();
    // the body starts after the remaining length, which is one or two bytes here
    const start = bytes[1] & 0x80 ? 3 : 2;
    assert.is(decodePacket(p, bytes[0], bytes, start, bytes.length), OK);
    assert.equal(snapshot(p), v.fields);
  });
  vectors(`${v.name} -> mqtt-packet encodes the same bytes`, () => {
    assert.is(hex(mpGenerate(v.mp)), hex(v.bytes));
  });
  vectors(`${v.name} -> round trip: mqtt-packet bytes decode to the same fields`, () => {
    const { packets } = mpParse(new Uint8Array(v.bytes));
    const again = mpGenerate(packets[0]);
    const p = createPacket();
    assert.is(decodePacket(p, again[0], again, 2, again.length), OK);
    assert.equal(snapshot(p), v.fields);
  });
}
vectors.run();

const errors = suite("decodePacket: refused input");
for (const v of inboundErrors) {
  errors(`${v.name} -> ${v.status}`, () => {
    assert.is(decodeWhole(v.bytes).status, v.status);
  });
}
errors.run();

const views = suite("decodePacket: views, not copies");
views("PUBLISH payload -> a view into the input", () => {
  const b = new Uint8Array([0x30, 5, 0x00, 0x01, 0x74, 0xaa, 0xbb]);
  const p = createPacket();
  assert.is(decodePacket(p, b[0], b, 2, b.length), OK);
  assert.is(p.payload.buffer, b.buffer);
  b[5] = 0x11;
  assert.is(p.payload[0], 0x11);
});
views("SUBACK codes -> a view into the input", () => {
  const b = new Uint8Array([0x90, 3, 0x00, 0x01, 0x01]);
  const p = createPacket();
  assert.is(decodePacket(p, b[0], b, 2, b.length), OK);
  assert.is(p.codes.buffer, b.buffer);
});
views("one record reused -> each decode overwrites the id", () => {
  const p = createPacket();
  const a = new Uint8Array([0x40, 2, 0x00, 0x09]);
  const c = new Uint8Array([0x30, 3, 0x00, 0x01, 0x74]);
  decodePacket(p, a[0], a, 2, 4);
  assert.is(p.id, 9);
  decodePacket(p, c[0], c, 2, 5);
  assert.is(p.id, 0);
  assert.is(p.type, 3);
});
views.run();

const bytes = suite("byteString");
bytes("every byte value -> the char with that code", () => {
  const b = new Uint8Array(256);
  for (let i = 0; i < 256; i++) b[i] = i;
  const s = byteString(b, 0, 256);
  assert.is(s.length, 256);
  for (let i = 0; i < 256; i++) assert.is(s.charCodeAt(i), i);
});
bytes("longer than 256 bytes (the apply limit on Espruino) -> whole string", () => {
  const b = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) b[i] = (i * 7) & 255;
  assert.is(byteString(b, 0, 1000), Buffer.from(b).toString("latin1"));
  assert.is(byteString(b, 3, 700), Buffer.from(b.subarray(3, 700)).toString("latin1"));
});
bytes("empty range -> empty string", () => {
  assert.is(byteString(new Uint8Array(4), 2, 2), "");
});
bytes.run();
