// Seeded fuzzing of the inbound path: random bytes and mutations of valid server
// packets (some over the reader's bound), fed in random splits to the frame reader + decoder
// and to a live session. Nothing may throw; every input ends in packets or a status code.
// Used by fuzz.test.ts (fixed seed, fixed count) and tools/mqtt-fuzz.ts (fresh seed, long run).
import { createPrng, Prng } from "../helpers/prng";
import { createFrameReader } from "../../firmware/mqtt/frame-reader";
import { decodePacket } from "../../firmware/mqtt/decode";
import { createPacket } from "../../firmware/mqtt/packet";
import { createSession } from "../../firmware/mqtt/session";
import { OK } from "../../firmware/status";
import { mpGenerate } from "./kit";

export interface FuzzStats {
  seed: number;
  inputs: number;
  bytes: number;
  /** Frames the reader delivered, and how decoding them ended, by status. */
  frames: number;
  byStatus: Record<string, number>;
  /** Session closes, by reason. */
  closes: Record<string, number>;
  /** The largest frame body seen; the reader's bound is MAX_PACKET. */
  largestFrame: number;
  /** Exceptions that escaped (the test requires none); the first few messages. */
  exceptions: number;
  firstExceptions: string[];
}

export const MAX_PACKET = 512;

/** Valid server packets to mutate. */
function seeds(prng: Prng): Uint8Array[] {
  const topic = () => "devices/d/messages/devicebound/" + "x".repeat(prng.int(20));
  const out: Uint8Array[] = [
    mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: false }),
    mpGenerate({ cmd: "connack", returnCode: 5, sessionPresent: false }),
    mpGenerate({ cmd: "puback", messageId: 1 }),
    mpGenerate({ cmd: "suback", messageId: 2, granted: [0, 1, 128] }),
    mpGenerate({ cmd: "unsuback", messageId: 3 }),
    mpGenerate({ cmd: "pingresp" }),
  ];
  for (let i = 0; i < 20; i++) {
    const qos = prng.int(2);
    out.push(mpGenerate({ cmd: "publish", topic: topic(), payload: Buffer.from(prng.bytes(prng.int(300))), qos, dup: prng.int(2) === 1, retain: false, ...(qos ? { messageId: 1 + prng.int(65535) } : {}) }));
  }
  // Over MAX_PACKET: skipped by the reader (the last two with a topic longer than its buffer).
  for (let i = 0; i < 4; i++) {
    const qos = i & 1;
    const long = i > 1 ? "y".repeat(MAX_PACKET + prng.int(100)) : "";
    out.push(mpGenerate({ cmd: "publish", topic: topic() + long, payload: Buffer.from(prng.bytes(MAX_PACKET + prng.int(1000))), qos, dup: false, retain: false, ...(qos ? { messageId: 1 + prng.int(65535) } : {}) }));
  }
  return out;
}

function mutate(prng: Prng, base: Uint8Array): Uint8Array {
  const b = Array.from(base);
  const edits = 1 + prng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = prng.int(b.length + 1);
    switch (prng.int(6)) {
      case 0: // flip a bit
        if (b.length) b[at % b.length] ^= 1 << prng.int(8);
        break;
      case 1: // random byte
        if (b.length) b[at % b.length] = prng.int(256);
        break;
      case 2: // insert
        b.splice(at, 0, prng.int(256));
        break;
      case 3: // delete
        b.splice(at, 1);
        break;
      case 4: // truncate
        b.length = at;
        break;
      default: // duplicate a slice
        b.splice(at, 0, ...b.slice(prng.int(b.length + 1), prng.int(b.length + 1)));
    }
  }
  return new Uint8Array(b);
}

/** One input: random bytes (1 in 3), a mutated packet, or a few valid packets with a mutated one. */
function input(prng: Prng, pool: Uint8Array[]): Uint8Array {
  const kind = prng.int(3);
  if (kind === 0) return prng.bytes(prng.int(64));
  const one = mutate(prng, pool[prng.int(pool.length)]);
  if (kind === 1) return one;
  const parts = [pool[prng.int(pool.length)], one, pool[prng.int(pool.length)]];
  return new Uint8Array(Buffer.concat(parts));
}

/** Random split into 1..4 chunks. */
function chunks(prng: Prng, b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  const n = 1 + prng.int(4);
  for (let i = 1; i < n; i++) {
    const next = at + prng.int(b.length - at + 1);
    out.push(b.subarray(at, next));
    at = next;
  }
  out.push(b.subarray(at));
  return out;
}

export function fuzz(seed: number, count: number): FuzzStats {
  const prng = createPrng(seed);
  const pool = seeds(prng);
  const stats: FuzzStats = { seed, inputs: 0, bytes: 0, frames: 0, byStatus: {}, closes: {}, largestFrame: 0, exceptions: 0, firstExceptions: [] };
  const packet = createPacket();
  const reader = createFrameReader(MAX_PACKET, (first, data, start, end) => {
    stats.frames++;
    if (end - start > stats.largestFrame) stats.largestFrame = end - start;
    const st = decodePacket(packet, first, data, start, end);
    stats.byStatus[st] = (stats.byStatus[st] || 0) + 1;
    return OK;
  }, true);
  let now = 0;
  const session = createSession(
    {
      send: () => {},
      connack: () => {},
      message: () => true,
      oversized: () => {},
      puback: () => {},
      suback: () => {},
      unsuback: () => {},
      closed: (code) => {
        stats.closes[code] = (stats.closes[code] || 0) + 1;
      },
    },
    { maxPacket: MAX_PACKET, maxInflight: 4 },
  );
  const connack = mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: false });
  const payload = new Uint8Array(8);

  for (let i = 0; i < count; i++) {
    const bytes = input(prng, pool);
    stats.inputs++;
    stats.bytes += bytes.length;
    try {
      // The codec alone: the reader restarts on each input.
      reader.reset();
      for (const c of chunks(prng, bytes)) if (reader.push(c) !== OK) break;
      // A live session: keep it up, with publishes in flight for stray PUBACKs to hit.
      now += 1000;
      if (session.state === 0) {
        session.connect({ clientId: "fuzz", keepAliveS: 30, cleanSession: false }, now);
        session.receive(connack, now);
      }
      if (session.inflight < 4) session.publish("t", payload, 1, false, now);
      for (const c of chunks(prng, bytes)) if (session.receive(c, now) !== OK) break;
      session.tick(now);
    } catch (e) {
      stats.exceptions++;
      if (stats.firstExceptions.length < 5) stats.firstExceptions.push(`input ${i} (${Buffer.from(bytes).toString("hex")}): ${String((e as Error).stack || e)}`);
    }
  }
  return stats;
}
