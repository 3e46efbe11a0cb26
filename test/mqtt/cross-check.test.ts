// Our codec against mqtt-packet, both ways, over seeded random packets: what we encode,
// mqtt-packet parses to the same fields; what mqtt-packet generates, we decode (through the
// frame reader, in random chunks) to the same fields.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createPrng, Prng } from "../helpers/prng";
import {
  ConnectOptions, connectSize, writeConnect, publishSize, writePublish, writePuback, subscribeSize, writeSubscribe,
  unsubscribeSize, writeUnsubscribe, writePingreq, writeDisconnect,
} from "../../firmware/mqtt/encode";
import { OK } from "../../firmware/status";
import { Decoded, encodeWith, mpParse, mpGenerate, readStream } from "./kit";

const COUNT = 10_000;

// Random text with 1- to 4-byte UTF-8 characters; our side sees its UTF-8 bytes as a byte string.
const ALPHABET = ["a", "b", "Z", "0", "/", "$", "-", ".", "=", "%", " ", "\u00e9", "\u00ff", "\u0100", "\u20ac", "\u6f22", "\ud83d\ude00"];
function text(prng: Prng, min: number, max: number): string {
  let s = "";
  const n = min + prng.int(max - min + 1);
  for (let i = 0; i < n; i++) s += ALPHABET[prng.int(ALPHABET.length)];
  return s;
}
const bytesOf = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const payloadOf = (prng: Prng) => prng.bytes(prng.int(10) === 0 ? 200 + prng.int(20000) : prng.int(64));
const id = (prng: Prng) => 1 + prng.int(65535);

interface Case {
  /** Our encoding. */
  bytes: Uint8Array;
  /** What mqtt-packet must report. */
  expect: Record<string, unknown>;
}

function randomOutbound(prng: Prng): Case {
  const kind = prng.int(7);
  if (kind === 0) {
    const user = prng.int(2) === 0 ? text(prng, 0, 40) : undefined;
    const pass = user !== undefined && prng.int(2) === 0 ? Buffer.from(prng.bytes(prng.int(200))) : undefined;
    const will = prng.int(2) === 0 ? { topic: text(prng, 1, 30), payload: prng.bytes(prng.int(50)), qos: prng.int(3), retain: prng.int(2) === 0 } : undefined;
    const o: ConnectOptions = {
      clientId: bytesOf(text(prng, 0, 23)),
      keepAliveS: prng.int(65536),
      cleanSession: prng.int(2) === 0,
      ...(user !== undefined ? { username: bytesOf(user) } : {}),
      ...(pass !== undefined ? { password: pass.toString("latin1") } : {}),
      ...(will ? { will: { ...will, topic: bytesOf(will.topic) } } : {}),
    };
    const bytes = encodeWith(connectSize(o), (b, off) => writeConnect(b, off, o)) as Uint8Array;
    return {
      bytes,
      expect: {
        cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: Buffer.from(o.clientId, "latin1").toString("utf8"),
        keepalive: o.keepAliveS, clean: o.cleanSession, username: user, password: pass,
        will: will ? { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } : undefined,
      },
    };
  }
  if (kind === 1 || kind === 2) {
    const topic = text(prng, 1, 60);
    const payload = payloadOf(prng);
    const qos = prng.int(2);
    const dup = qos === 1 && prng.int(2) === 0;
    const retain = prng.int(2) === 0;
    const messageId = qos ? id(prng) : 0;
    const bytes = encodeWith(publishSize(bytesOf(topic), payload.length, qos), (b, off) => writePublish(b, off, bytesOf(topic), payload, qos, dup, retain, messageId)) as Uint8Array;
    return { bytes, expect: { cmd: "publish", topic, payload: Buffer.from(payload), qos, dup, retain, messageId: qos ? messageId : undefined } };
  }
  if (kind === 3) {
    const messageId = id(prng);
    return { bytes: encodeWith(4, (b, off) => writePuback(b, off, messageId)) as Uint8Array, expect: { cmd: "puback", messageId } };
  }
  if (kind === 4) {
    const n = 1 + prng.int(5);
    const topics: string[] = [];
    const qos: number[] = [];
    for (let i = 0; i < n; i++) {
      topics.push(text(prng, 1, 40));
      qos.push(prng.int(3));
    }
    const messageId = id(prng);
    const ours = topics.map(bytesOf);
    const bytes = encodeWith(subscribeSize(ours, qos), (b, off) => writeSubscribe(b, off, messageId, ours, qos)) as Uint8Array;
    return { bytes, expect: { cmd: "subscribe", messageId, subscriptions: topics.map((topic, i) => ({ topic, qos: qos[i] })) } };
  }
  if (kind === 5) {
    const n = 1 + prng.int(5);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(text(prng, 1, 40));
    const messageId = id(prng);
    const ours = topics.map(bytesOf);
    const bytes = encodeWith(unsubscribeSize(ours), (b, off) => writeUnsubscribe(b, off, messageId, ours)) as Uint8Array;
    return { bytes, expect: { cmd: "unsubscribe", messageId, unsubscriptions: topics } };
  }
  return prng.int(2) === 0
    ? { bytes: encodeWith(2, writePingreq) as Uint8Array, expect: { cmd: "pingreq" } }
    : { bytes: encodeWith(2, writeDisconnect) as Uint8Array, expect: { cmd: "disconnect" } };
}

interface InCase {
  mp: Record<string, unknown>;
  expect: Decoded;
}

function randomInbound(prng: Prng): InCase {
  const kind = prng.int(6);
  if (kind === 0) {
    const returnCode = prng.int(6);
    const sessionPresent = returnCode === 0 && prng.int(2) === 0;
    return { mp: { cmd: "connack", returnCode, sessionPresent }, expect: { type: 2, id: 0, code: returnCode, present: sessionPresent } };
  }
  if (kind === 1 || kind === 2) {
    const topic = text(prng, 1, 60);
    const payload = payloadOf(prng);
    const qos = prng.int(2);
    const dup = qos === 1 && prng.int(2) === 0;
    const retain = prng.int(2) === 0;
    const messageId = qos ? id(prng) : 0;
    return {
      mp: { cmd: "publish", topic, payload: Buffer.from(payload), qos, dup, retain, ...(qos ? { messageId } : {}) },
      expect: { type: 3, id: messageId, qos, dup, retain, topic: bytesOf(topic), payload: Array.from(payload) },
    };
  }
  if (kind === 3) {
    const n = 1 + prng.int(8);
    const granted: number[] = [];
    for (let i = 0; i < n; i++) granted.push([0, 1, 2, 0x80][prng.int(4)]);
    const messageId = id(prng);
    return { mp: { cmd: "suback", messageId, granted }, expect: { type: 9, id: messageId, codes: granted } };
  }
  if (kind === 4) {
    const messageId = id(prng);
    return prng.int(2) === 0
      ? { mp: { cmd: "puback", messageId }, expect: { type: 4, id: messageId } }
      : { mp: { cmd: "unsuback", messageId }, expect: { type: 11, id: messageId } };
  }
  return { mp: { cmd: "pingresp" }, expect: { type: 13, id: 0 } };
}

/** mqtt-packet output normalised to the fields a case lists. */
function pick(parsed: Record<string, unknown>, expect: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(expect)) {
    const v = parsed[key];
    out[key] = v === null ? undefined : key === "will" && v ? { ...(v as object) } : v;
  }
  return out;
}

const ours = suite("cross-check: we encode, mqtt-packet parses");

ours(`${COUNT} random CONNECT/PUBLISH/PUBACK/SUBSCRIBE/UNSUBSCRIBE/PINGREQ/DISCONNECT -> same fields`, () => {
  const prng = createPrng(0xc0ffee);
  const cases: Case[] = [];
  for (let i = 0; i < COUNT; i++) cases.push(randomOutbound(prng));
  // one stream, so mqtt-packet's own reassembly is exercised too
  const { packets, error } = mpParse(new Uint8Array(Buffer.concat(cases.map((c) => c.bytes))));
  assert.is(error, undefined);
  assert.is(packets.length, COUNT);
  for (let i = 0; i < COUNT; i++) {
    const parsed = packets[i] as unknown as Record<string, unknown>;
    if (parsed.will) {
      const w = parsed.will as Record<string, unknown>;
      parsed.will = { topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain };
    }
    assert.equal(pick(parsed, cases[i].expect), cases[i].expect, `packet ${i}`);
  }
});
ours.run();

const theirs = suite("cross-check: mqtt-packet generates, we decode");

theirs(`${COUNT} random CONNACK/PUBLISH/PUBACK/SUBACK/UNSUBACK/PINGRESP in random chunks -> same fields`, () => {
  const prng = createPrng(0xbeef);
  const cases: InCase[] = [];
  for (let i = 0; i < COUNT; i++) cases.push(randomInbound(prng));
  const stream = new Uint8Array(Buffer.concat(cases.map((c) => mpGenerate(c.mp))));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = 1 + prng.int(prng.int(4) === 0 ? 8 : 3000);
    chunks.push(stream.subarray(at, at + n));
    at += n;
  }
  const result = readStream(chunks, 1 << 16);
  assert.is(result.status, OK);
  assert.is(result.decoded.length, COUNT);
  for (let i = 0; i < COUNT; i++) assert.equal(result.decoded[i], cases[i].expect, `packet ${i}`);
});
theirs.run();
