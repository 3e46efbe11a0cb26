import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createFrameReader } from "../../firmware/mqtt/frame-reader";
import { OK, ERR_MALFORMED, ERR_TOO_LARGE, ERR_PROTOCOL } from "../../firmware/status";
import { outbound, inbound, inboundErrors, ramp } from "./vectors";
import { readStream, splitAt, byteAtATime, hex, latin1, mpGenerate } from "./kit";

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
bounds("SUBACK one byte over maxPacket -> ERR_TOO_LARGE from the header, before its body", () => {
  const frames: number[] = [];
  const reader = createFrameReader(64, (first) => {
    frames.push(first);
    return OK;
  });
  assert.is(reader.push(new Uint8Array([0x90, 63])), ERR_TOO_LARGE);
  assert.is(reader.push(new Uint8Array(100)), ERR_TOO_LARGE, "stays refused until reset");
  assert.equal(frames, []);
});
bounds("a 256 MB remaining length announced on a non-PUBLISH -> ERR_TOO_LARGE, nothing buffered", () => {
  assert.is(readStream([new Uint8Array([0x40, 0xff, 0xff, 0xff, 0x7f])], 4096).status, ERR_TOO_LARGE);
  assert.is(readStream([new Uint8Array([0x20, 0xff, 0x01])], 64).status, ERR_TOO_LARGE);
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
  assert.is(reader.push(new Uint8Array([0xb0, 100])), ERR_TOO_LARGE);
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
bounds("whole packet inside one chunk -> handed over in place; split packet -> a buffer of its own size", () => {
  const sources: Uint8Array[] = [];
  const reader = createFrameReader(32, (_first, data) => {
    sources.push(data);
    return OK;
  });
  const chunk = new Uint8Array([0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00]);
  reader.push(chunk);
  reader.push(new Uint8Array([0x02]));
  reader.push(new Uint8Array([0x30, 0x05, 0x00, 0x01]));
  reader.push(new Uint8Array([0x74, 0x09, 0x08]));
  assert.is(sources.length, 3);
  assert.is(sources[0], chunk);
  assert.is.not(sources[1], chunk);
  assert.is(sources[1].length, 2, "the body's size, not maxPacket: nothing is kept between packets");
  assert.is(sources[2].length, 5);
  assert.is.not(sources[2], sources[1], "made per packet");
  assert.is(hex(sources[2]), "0001740908");
});
bounds("buffered bodies -> the same bytes as in place", () => {
  const b = new Uint8Array([0x30, 6, 0x00, 0x01, 0x74, 1, 2, 3]);
  assert.is(hex(readStream(byteAtATime(b)).frames[0].body), hex(b.subarray(2)));
});
bounds.run();

const oversized = suite("frame reader: PUBLISH over maxPacket");

const MAX = 64;
const C2D = "devices/d/messages/devicebound/a=1";
const bigPublish = (topic: string, qos: number, size: number, id = 0x1234) =>
  mpGenerate({ cmd: "publish", topic, payload: Buffer.from(ramp(size)), qos, dup: false, retain: false, ...(qos ? { messageId: id } : {}) });
const u16 = (n: number) => [n >> 8, n & 255];
// A packet that fits, after the oversized one: it must still be framed and decoded.
const after = new Uint8Array([0xd0, 0x00, ...mpGenerate({ cmd: "publish", topic: "t", payload: Buffer.from("ok"), qos: 1, messageId: 9 })]);
const afterDecoded = [{ type: 13, id: 0 }, { type: 3, id: 9, qos: 1, dup: false, retain: false, topic: "t", payload: [0x6f, 0x6b] }];

const cases = [
  { name: "QoS 0, topic fits", bytes: bigPublish(C2D, 0, 300), body: [...u16(C2D.length), ...latin1(C2D)], topic: C2D, qos: 0, id: 0 },
  { name: "QoS 1, topic fits", bytes: bigPublish(C2D, 1, 300), body: [...u16(C2D.length), ...latin1(C2D), 0x12, 0x34], topic: C2D, qos: 1, id: 0x1234 },
  { name: "QoS 1, variable header exactly maxPacket", bytes: bigPublish("t".repeat(MAX - 4), 1, 10), body: [...u16(MAX - 4), ...latin1("t".repeat(MAX - 4)), 0x12, 0x34], topic: "t".repeat(MAX - 4), qos: 1, id: 0x1234 },
  { name: "QoS 1, topic one byte too long for the buffer", bytes: bigPublish("t".repeat(MAX - 3), 1, 10), body: [0, 0, 0x12, 0x34], topic: "", qos: 1, id: 0x1234 },
  { name: "QoS 1, topic of 1000 bytes", bytes: bigPublish("x".repeat(1000), 1, 5000, 0xfffe), body: [0, 0, 0xff, 0xfe], topic: "", qos: 1, id: 0xfffe },
  { name: "QoS 0, topic of 1000 bytes", bytes: bigPublish("x".repeat(1000), 0, 0), body: [0, 0], topic: "", qos: 0, id: 0 },
  { name: "QoS 1, empty payload, just over", bytes: bigPublish("t".repeat(61), 1, 0, 7), body: [0, 0, 0, 7], topic: "", qos: 1, id: 7 },
];

for (const v of cases) {
  oversized(`${v.name} (${v.bytes.length} B) -> its variable header and size, in any split; the next packet still decoded`, () => {
    assert.ok(v.bytes.length > MAX);
    const stream = new Uint8Array([...v.bytes, ...after]);
    const whole = readStream([stream], MAX);
    assert.is(whole.status, OK);
    assert.equal(whole.frames[0], { first: v.bytes[0], body: v.body, oversize: v.bytes.length });
    assert.equal(whole.decoded, [{ type: 3, id: v.id, qos: v.qos, dup: false, retain: false, topic: v.topic, payload: [] }, ...afterDecoded]);
    for (let at = 0; at <= stream.length; at++) assert.equal(readStream(splitAt(stream, at), MAX), whole, `split at ${at}`);
    const step = Math.max(2, Math.ceil(stream.length / 40));
    for (let a = 0; a <= v.bytes.length; a += step) {
      for (let b = a; b <= stream.length; b += step - 1) assert.equal(readStream([stream.slice(0, a), stream.slice(a, b), stream.slice(b)], MAX), whole, `split at ${a} and ${b}`);
    }
    assert.equal(readStream(byteAtATime(stream), MAX), whole, "byte at a time");
  });
}
oversized("topic length past the end of the packet -> framed, decode says ERR_MALFORMED", () => {
  const b = new Uint8Array([0x32, 100, 0x00, 0xff, ...ramp(98)]);
  for (let at = 0; at <= b.length; at++) assert.equal(readStream(splitAt(b, at), MAX).decoded, [ERR_MALFORMED], `split at ${at}`);
  const c = new Uint8Array([0x32, 100, 0x00, 97, ...ramp(98)]); // the topic fits, the packet id does not
  assert.equal(readStream([c], MAX).decoded, [ERR_MALFORMED]);
});
oversized("QoS 2 over maxPacket -> skipped, decode says ERR_PROTOCOL", () => {
  assert.equal(readStream([bigPublish("t", 2, 100)], MAX).decoded, [ERR_PROTOCOL]);
});
oversized("without skipPublish -> ERR_TOO_LARGE from the header, as any packet", () => {
  assert.is(readStream([bigPublish(C2D, 1, 300)], MAX, false).status, ERR_TOO_LARGE);
  assert.is(readStream([new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f])], 4096, false).status, ERR_TOO_LARGE);
  assert.equal(readStream(byteAtATime(bigPublish(C2D, 1, 300)), MAX, false).frames, []);
});
oversized("remaining length 1 over maxPacket -> ERR_TOO_LARGE (no room for a topic length)", () => {
  assert.is(readStream([new Uint8Array([0x30, 1, 0])], 2).status, ERR_TOO_LARGE);
});
oversized("a 256 MB PUBLISH streamed in 64 KB chunks -> one frame with its variable header alone, then the next packet", () => {
  const seen: { first: number; body: string; oversize: number; buffer: number }[] = [];
  const reader = createFrameReader(MAX, (first, data, start, end, oversize) => {
    seen.push({ first, body: hex(data.subarray(start, end)), oversize, buffer: data.length });
    return OK;
  }, true);
  const total = 268435455; // the largest remaining length (§2.2.3)
  const head = new Uint8Array([0x32, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x07]);
  assert.is(reader.push(head), OK);
  const zeros = new Uint8Array(65536);
  let left = total - (head.length - 5);
  while (left > zeros.length) {
    assert.is(reader.push(zeros), OK);
    left -= zeros.length;
  }
  assert.equal(seen, []);
  assert.is(reader.push(new Uint8Array([...zeros.subarray(0, left), 0xd0, 0x00])), OK);
  assert.equal(seen, [
    { first: 0x32, body: "0003612f620007", oversize: total + 5, buffer: 7 },
    { first: 0xd0, body: "", oversize: 0, buffer: left + 2 },
  ]);
});
oversized("reset in the middle of an oversized PUBLISH -> forgotten", () => {
  const firsts: number[] = [];
  const reader = createFrameReader(MAX, (first) => {
    firsts.push(first);
    return OK;
  }, true);
  const b = bigPublish(C2D, 1, 300);
  reader.push(b.subarray(0, 100));
  reader.reset();
  assert.is(reader.push(new Uint8Array([0xd0, 0x00])), OK);
  assert.equal(firsts, [0xd0]);
});
oversized("handler stops on an oversized PUBLISH -> push returns its status", () => {
  const reader = createFrameReader(MAX, () => ERR_PROTOCOL, true);
  assert.is(reader.push(new Uint8Array([...bigPublish(C2D, 0, 100), 0xd0, 0x00])), ERR_PROTOCOL);
});
oversized.run();
