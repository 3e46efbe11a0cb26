// Small helpers shared by the MQTT tests: byte and string conversions, running the frame
// reader over a split stream, and mqtt-packet's parser as a list-returning function.
import * as mqttPacket from "mqtt-packet";
import { createFrameReader } from "../../firmware/mqtt/frame-reader";
import { decodePacket } from "../../firmware/mqtt/decode";
import { createPacket, Packet } from "../../firmware/mqtt/packet";
import { OK } from "../../firmware/status";

/** A byte string (one char per byte) as bytes. */
export function latin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** UTF-8 text as the byte string our codec speaks. */
export function utf8ByteString(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

export function hex(b: Uint8Array | number[]): string {
  return Buffer.from(b as Uint8Array).toString("hex");
}

/** Runs size + write into an exactly sized buffer; returns the bytes or the status. */
export function encodeWith(size: number, write: (b: Uint8Array, off: number) => number): Uint8Array | number {
  if (size < 0) return size;
  const b = new Uint8Array(size);
  const end = write(b, 0);
  if (end < 0) return end;
  if (end !== size) throw new Error(`size step said ${size}, write ended at ${end}`);
  return b;
}

/** A decoded packet as plain data (views copied), for deep equality. */
export interface Decoded {
  type: number;
  id?: number;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  topic?: string;
  payload?: number[];
  codes?: number[];
  code?: number;
  present?: boolean;
}

/** The fields of p that its type defines. */
export function snapshot(p: Packet): Decoded {
  switch (p.type) {
    case 2:
      return { type: 2, id: p.id, code: p.code, present: p.present };
    case 3:
      return { type: 3, id: p.id, qos: p.qos, dup: p.dup, retain: p.retain, topic: p.topic, payload: Array.from(p.payload) };
    case 9:
      return { type: 9, id: p.id, codes: Array.from(p.codes) };
    case 13:
      return { type: 13, id: p.id };
    default:
      return { type: p.type, id: p.id };
  }
}

export interface StreamResult {
  /** Frames in order: first byte, body (copied) and the reader's oversize figure. */
  frames: { first: number; body: number[]; oversize: number }[];
  /** Decoded frames, or the decode status where it failed. */
  decoded: (Decoded | number)[];
  /** The first non-OK status of push, or OK. */
  status: number;
}

/** Feeds `chunks` to a fresh frame reader and decodes every frame. */
export function readStream(chunks: Uint8Array[], maxPacket = 1 << 16, skipPublish = true): StreamResult {
  const result: StreamResult = { frames: [], decoded: [], status: OK };
  const p = createPacket();
  const reader = createFrameReader(maxPacket, (first, data, start, end, oversize) => {
    result.frames.push({ first, body: Array.from(data.subarray(start, end)), oversize });
    const st = decodePacket(p, first, data, start, end);
    result.decoded.push(st === OK ? snapshot(p) : st);
    return OK;
  }, skipPublish);
  for (const c of chunks) {
    const st = reader.push(c);
    if (st !== OK) {
      result.status = st;
      break;
    }
  }
  return result;
}

/** Splits bytes at one position (either part may be empty). */
export function splitAt(b: Uint8Array, at: number): Uint8Array[] {
  return [b.slice(0, at), b.slice(at)];
}

export function byteAtATime(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.slice(i, i + 1));
  return out;
}

/** mqtt-packet's parser over one buffer: the packets, or the first error message. */
export function mpParse(bytes: Uint8Array): { packets: mqttPacket.Packet[]; error?: string } {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  let error: string | undefined;
  parser.on("packet", (p: mqttPacket.Packet) => packets.push(p));
  parser.on("error", (e: Error) => {
    if (error === undefined) error = e.message;
  });
  parser.parse(Buffer.from(bytes));
  return { packets, error };
}

export function mpGenerate(packet: unknown): Uint8Array {
  return new Uint8Array(mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: 4 }));
}
