// firmware/mqtt figures: minified bytes of the module alone (everything it exports, bundled
// through the shipping pipeline), and encode / decode throughput of our codec against
// mqtt-packet on the same packets, as ratios from one run (> 1: ours is faster).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { rollup } from "rollup";
import * as mqttPacket from "mqtt-packet";
import { espruinoBundle } from "../build/espruino-pipeline.mjs";
import type { BenchRow } from "./main";
import { createPrng } from "../../test/helpers/prng";
import { createPacket, Packet } from "../../firmware/mqtt/packet";
import { decodePacket } from "../../firmware/mqtt/decode";
import { createFrameReader } from "../../firmware/mqtt/frame-reader";
import { writePublish, writeSubscribe, writePuback, writePingreq } from "../../firmware/mqtt/encode";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "../..");

/** Bundles an entry that keeps every export of firmware/mqtt alive (or just `only`) through
 *  the shipping pipeline; returns the minified bytes. */
export async function mqttMinifiedBytes(only?: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-size-"));
  try {
    const entry = join(dir, "entry.js");
    const index = JSON.stringify(join(root, "firmware/mqtt/index.ts"));
    writeFileSync(entry, only ? `import { ${only} } from ${index};\nglobal.mqtt = ${only};\n` : `import * as mqtt from ${index};\nglobal.mqtt = mqtt;\n`);
    const config = espruinoBundle({ input: entry, file: join(dir, "mqtt.min.js") });
    const bundle = await rollup({ input: config.input, plugins: config.plugins, onwarn: config.onwarn });
    // freeze off: a namespace object would otherwise use Object.freeze, which Espruino lacks
    await bundle.write({ ...config.output[0], freeze: false });
    await bundle.close();
    return readFileSync(join(dir, "mqtt.min.js")).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- throughput ------------------------------------------------------------------------------

const MTU = 1460; // inbound bytes arrive in TCP-sized chunks, split anywhere

/** Best-of-`rounds` rate of fn, which handles `perCall` packets per call, in packets/s. */
function rate(fn: () => void, perCall: number, rounds = 7, minMs = 150): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    best = Math.max(best, (calls * perCall * 1000) / elapsed);
  }
  return best;
}

/** A device-like inbound mix: C2D/method/twin publishes, PUBACKs, a SUBACK, CONNACK, PINGRESP. */
function inboundMix(n: number): mqttPacket.Packet[] {
  const prng = createPrng(42);
  const out: mqttPacket.Packet[] = [];
  for (let i = 0; i < n; i++) {
    const k = prng.int(10);
    if (k < 5) {
      const qos = prng.int(2) as 0 | 1;
      out.push({ cmd: "publish", topic: "$iothub/methods/POST/reboot/?$rid=" + i, payload: Buffer.from(prng.bytes(20 + prng.int(400))), qos, dup: false, retain: false, ...(qos ? { messageId: 1 + (i % 65535) } : {}) } as mqttPacket.Packet);
    } else if (k < 8) out.push({ cmd: "puback", messageId: 1 + (i % 65535) });
    else if (k < 9) out.push({ cmd: "suback", messageId: 7, granted: [1, 1, 0, 128] });
    else out.push(prng.int(2) ? { cmd: "pingresp" } : { cmd: "connack", returnCode: 0, sessionPresent: true });
  }
  return out;
}

function decodeRates(): { ours: number; theirs: number } {
  const packets = inboundMix(2000);
  const stream = Buffer.concat(packets.map((p) => mqttPacket.generate(p)));
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += MTU) chunks.push(new Uint8Array(stream.buffer, stream.byteOffset + i, Math.min(MTU, stream.length - i)));
  const bufChunks = chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length));

  let seen = 0;
  const p: Packet = createPacket();
  const reader = createFrameReader(1 << 16, (first, data, start, end) => {
    if (decodePacket(p, first, data, start, end) === 0) seen++;
    return 0;
  });
  const ours = rate(() => {
    for (let i = 0; i < chunks.length; i++) reader.push(chunks[i]);
  }, packets.length);

  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", () => seen++);
  const theirs = rate(() => {
    for (let i = 0; i < bufChunks.length; i++) parser.parse(bufChunks[i]);
  }, packets.length);
  if (seen === 0) throw new Error("nothing decoded");
  return { ours, theirs };
}

function encodeRates(): { ours: number; theirs: number } {
  const prng = createPrng(7);
  const n = 1000;
  const topics: string[] = [];
  const payloads: Uint8Array[] = [];
  const kinds: number[] = [];
  const theirsPackets: mqttPacket.Packet[] = [];
  for (let i = 0; i < n; i++) {
    const k = prng.int(10);
    const topic = "devices/dev-0001/messages/events/%24.ct=application%2Fjson&seq=" + i;
    const payload = prng.bytes(20 + prng.int(400));
    topics.push(topic);
    payloads.push(payload);
    kinds.push(k);
    if (k < 6) theirsPackets.push({ cmd: "publish", topic, payload: Buffer.from(payload), qos: (k & 1) as 0 | 1, dup: false, retain: false, ...(k & 1 ? { messageId: 1 + i } : {}) } as mqttPacket.Packet);
    else if (k < 8) theirsPackets.push({ cmd: "puback", messageId: 1 + i });
    else if (k < 9) theirsPackets.push({ cmd: "pingreq" });
    else theirsPackets.push({ cmd: "subscribe", messageId: 1 + i, subscriptions: [{ topic: "devices/dev-0001/messages/devicebound/#", qos: 1 }, { topic: "$iothub/methods/POST/#", qos: 0 }] });
  }
  const filters = ["devices/dev-0001/messages/devicebound/#", "$iothub/methods/POST/#"];
  const qos = [1, 0];
  const tx = new Uint8Array(2048);
  let bytes = 0;
  const ours = rate(() => {
    for (let i = 0; i < n; i++) {
      const k = kinds[i];
      if (k < 6) bytes += writePublish(tx, 0, topics[i], payloads[i], k & 1, false, false, 1 + i);
      else if (k < 8) bytes += writePuback(tx, 0, 1 + i);
      else if (k < 9) bytes += writePingreq(tx, 0);
      else bytes += writeSubscribe(tx, 0, 1 + i, filters, qos);
    }
  }, n);
  const theirs = rate(() => {
    for (let i = 0; i < n; i++) bytes += mqttPacket.generate(theirsPackets[i]).length;
  }, n);
  if (bytes <= 0) throw new Error("nothing encoded");
  return { ours, theirs };
}

export default async function (): Promise<BenchRow[]> {
  const decode = decodeRates();
  const encode = encodeRates();
  const k = (x: number) => Math.round(x / 1000);
  return [
    { name: "minified bytes", value: await mqttMinifiedBytes(), unit: "bytes", target: "<= 4096", note: "every export of firmware/mqtt" },
    { name: "minified bytes, createSession only", value: await mqttMinifiedBytes("createSession"), unit: "bytes", note: "what a device bundle pulls in" },
    { name: "decode ratio ours/mqtt-packet", value: Math.round((decode.ours / decode.theirs) * 100) / 100, unit: "x", target: ">= 1", note: `${k(decode.ours)}k vs ${k(decode.theirs)}k packets/s, ${MTU}-byte chunks` },
    { name: "encode ratio ours/mqtt-packet", value: Math.round((encode.ours / encode.theirs) * 100) / 100, unit: "x", target: ">= 1", note: `${k(encode.ours)}k vs ${k(encode.theirs)}k packets/s` },
  ];
}
