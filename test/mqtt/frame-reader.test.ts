import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createFrameReader } from "../../firmware/mqtt/frame-reader";
import { OK, ERR_MALFORMED, ERR_TOO_LARGE, ERR_PROTOCOL } from "../../firmware/status";
import { outbound, inbound, inboundErrors, ramp } from "./vectors";
import { readStream, splitAt, byteAtATime, hex } from "./kit";

const all = [
  ...outbound.map((v) => ({ name: v.name, bytes: new Uint8Array(v.bytes) })),
  ...inbound.map((v) => ({ name: v.name, bytes: new Uint8Array(v.bytes) })),
];

const splits = suite("frame reader: every split point");

for (const v of all) {
  splits(`${v.name} split anywhere or byte by byte -> the same single frame`, () => {
    const whole = readStream([v.bytes]);
    assert.is(whole.status, OK);
    assert.is(whole.frames.length, 1);
    assert.is(whole.frames[0].first, v.bytes[0]);
    for (let at = 0; at <= v.bytes.length; at++) assert.equal(readStream(splitAt(v.bytes, at)), whole, `split at ${at}`);
    assert.equal(readStream(byteAtATime(v.bytes)), whole, "byte at a time");
  });
}
for (const v of inbound) {
  splits(`${v.name} split anywhere -> decodes to the vector's fields`, () => {
    const b = new Uint8Array(v.bytes);
    for (let at = 0; at <= b.length; at++) assert.equal(readStream(splitAt(b, at)).decoded, [v.fields], `split at ${at}`);
  });
}
for (const v of inboundErrors) {
  splits(`${v.name} split anywhere -> framed whole, decode says ${v.status}`, () => {
    const b = new Uint8Array(v.bytes);
    for (let at = 0; at <= b.length; at++) assert.equal(readStream(splitAt(b, at)).decoded, [v.status], `split at ${at}`);
  });
}
splits.run();

const streams = suite("frame reader: streams");

const stream = new Uint8Array(all.flatMap((v) => Array.from(v.bytes)));
streams("every vector in one chunk -> every frame in order", () => {
  const r = readStream([stream]);
  assert.is(r.status, OK);
  assert.equal(r.frames.map((f) => f.first), all.map((v) => v.bytes[0]));
});
streams("the same stream in chunks of 1..17 bytes -> identical frames", () => {
  const whole = readStream([stream]);
  for (let size = 1; size <= 17; size++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
    assert.equal(readStream(chunks), whole, `chunks of ${size}`);
  }
});
streams("a packet split across many chunks, with the next packet's start in the last", () => {
  const big = new Uint8Array([0x30, 0xcb, 0x01, 0x00, 0x01, 0x74, ...ramp(200), 0xd0, 0x00]);
  const r = readStream([big.slice(0, 2), big.slice(2, 50), big.slice(50, 150), big.slice(150, 207), big.slice(207)]);
  assert.is(r.frames.length, 2);
  assert.is(r.frames[0].body.length, 203);
  assert.equal(r.decoded[1], { type: 13, id: 0 });
});
streams("empty chunks -> no effect", () => {
  const r = readStream([new Uint8Array(0), new Uint8Array([0xd0]), new Uint8Array(0), new Uint8Array([0x00]), new Uint8Array(0)]);
  assert.is(r.frames.length, 1);
});
streams.run();

const bounds = suite("frame reader: bounds and errors");

bounds("packet exactly maxPacket bytes -> accepted", () => {
  const b = new Uint8Array([0x30, 62, 0x00, 0x01, 0x74, ...ramp(59)]);
  assert.is(b.length, 64);
  assert.is(readStream([b], 64).status, OK);
  assert.is(readStream(byteAtATime(b), 64).frames.length, 1);
});
bounds("packet one byte over maxPacket -> ERR_TOO_LARGE from the header, before its body", () => {
  const frames: number[] = [];
  const reader = createFrameReader(64, (first) => {
    frames.push(first);
    return OK;
  });
  assert.is(reader.push(new Uint8Array([0x30, 63])), ERR_TOO_LARGE);
  assert.is(reader.push(new Uint8Array(100)), ERR_TOO_LARGE, "stays refused until reset");
  assert.equal(frames, []);
});
bounds("a 256 MB remaining length announced -> ERR_TOO_LARGE, nothing buffered", () => {
  assert.is(readStream([new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f])], 4096).status, ERR_TOO_LARGE);
});
bounds("five remaining-length bytes -> ERR_MALFORMED (§2.2.3)", () => {
  assert.is(readStream([new Uint8Array([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])]).status, ERR_MALFORMED);
  assert.is(readStream(byteAtATime(new Uint8Array([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).status, ERR_MALFORMED);
});
bounds("four remaining-length bytes -> accepted", () => {
  // 0x80 0x80 0x80 0x00 is a (non-minimal) zero
  assert.is(readStream([new Uint8Array([0xd0, 0x80, 0x80, 0x80, 0x00])]).frames.length, 1);
});
bounds("reset after an error -> reads again from a packet start", () => {
  const seen: number[] = [];
  const reader = createFrameReader(16, (first) => {
    seen.push(first);
    return OK;
  });
  assert.is(reader.push(new Uint8Array([0x30, 100])), ERR_TOO_LARGE);
  reader.reset();
  assert.is(reader.push(new Uint8Array([0xd0, 0x00])), OK);
  assert.equal(seen, [0xd0]);
});
bounds("reset mid-packet -> the partial packet is forgotten", () => {
  const seen: number[] = [];
  const reader = createFrameReader(16, (first) => {
    seen.push(first);
    return OK;
  });
  reader.push(new Uint8Array([0x40, 0x02, 0x00]));
  reader.reset();
  reader.push(new Uint8Array([0xd0, 0x00]));
  assert.equal(seen, [0xd0]);
});
bounds("handler returns non-OK -> push stops there and returns it", () => {
  const seen: number[] = [];
  const reader = createFrameReader(16, (first) => {
    seen.push(first);
    return seen.length === 2 ? ERR_PROTOCOL : OK;
  });
  assert.is(reader.push(new Uint8Array([0xd0, 0x00, 0xd0, 0x00, 0xd0, 0x00])), ERR_PROTOCOL);
  assert.is(seen.length, 2);
});
bounds("whole packet inside one chunk -> handed over in place; split packet -> from the reader's buffer", () => {
  const sources: Uint8Array[] = [];
  const reader = createFrameReader(32, (_first, data) => {
    sources.push(data);
    return OK;
  });
  const chunk = new Uint8Array([0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00]);
  reader.push(chunk);
  reader.push(new Uint8Array([0x02]));
  assert.is(sources.length, 2);
  assert.is(sources[0], chunk);
  assert.is.not(sources[1], chunk);
  assert.is(sources[1].length, 32, "the bounded buffer, allocated once");
});
bounds("buffered bodies -> the same bytes as in place", () => {
  const b = new Uint8Array([0x30, 6, 0x00, 0x01, 0x74, 1, 2, 3]);
  assert.is(hex(readStream(byteAtATime(b)).frames[0].body), hex(b.subarray(2)));
});
bounds.run();
