// One record of the flash outbox (outbox-flash.ts): how it is written, checked, found again
// after damage and read back; and how its segments are named. Pure functions over bytes or a
// byte string (a flash-backed string on the device); the CRC-32 is the platform's, passed in.
//
// Record, little-endian: magic 0xA5 | state (0xFF queued, 0x00 done) | seq u32 | id length u8 |
// bag length u16 | payload length u32 | id | bag | payload | CRC-32 of everything from seq to
// the end of the payload (magic and state are outside it: the state changes after writing).
// A record that fails the check (torn by a power cut, corrupted in flash) is skipped and
// counted: the scan resumes at the next byte that starts a valid record. An erased byte where
// a record would start ends a segment.
import { OutboxMessage } from "./outbox";

const MAGIC = 0xa5;
export const QUEUED = 0xff;
export const ERASED = 0xff;
const HEADER = 13;
const TRAILER = 4;
/** Bytes a record adds to its id, bag and payload. */
export const OVERHEAD = HEADER + TRAILER;

export function u32(s: string, at: number): number {
  return (s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24)) >>> 0;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

/** Length of the valid record at off in s, or 0 when the bytes there are not one. */
export function recordLength(s: string, off: number, crc32: (data: string) => number): number {
  const end = s.length;
  if (off + HEADER + TRAILER > end || s.charCodeAt(off) !== MAGIC) return 0;
  const idLen = s.charCodeAt(off + 6);
  const payloadLen = u32(s, off + 9);
  if (idLen === 0 || payloadLen > end) return 0;
  const len = HEADER + idLen + (s.charCodeAt(off + 7) | (s.charCodeAt(off + 8) << 8)) + payloadLen + TRAILER;
  if (off + len > end) return 0;
  // substr of a flash-backed string stays in flash on the device: checked in place.
  return crc32(s.substr(off + 2, len - 6)) === u32(s, off + len - TRAILER) ? len : 0;
}

/** The next offset from `from` where a valid record starts, or limit. */
export function nextRecord(s: string, from: number, limit: number, crc32: (data: string) => number): number {
  for (let p = from; p < limit; p++) if (s.charCodeAt(p) === MAGIC && recordLength(s, p, crc32) > 0) return p;
  return limit;
}

/** The message in the valid record at off, copied into RAM. */
export function readRecord(s: string, off: number): OutboxMessage {
  const idLen = s.charCodeAt(off + 6);
  const bagLen = (s.charCodeAt(off + 7) | (s.charCodeAt(off + 8) << 8));
  const payloadLen = u32(s, off + 9);
  let p = off + HEADER;
  // "" + copies into RAM: a flash-backed string would move under a Storage compaction.
  const messageId = "" + s.substr(p, idLen);
  p += idLen;
  const bag = bagLen === 0 ? "" : "" + s.substr(p, bagLen);
  p += bagLen;
  const payload = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) payload[i] = s.charCodeAt(p + i);
  return { seq: u32(s, off + 2), messageId: messageId, bag: bag, payload: payload, packetId: 0 };
}

/** The record for a message, checksum included. */
export function encodeRecord(bag: string, payload: Uint8Array, messageId: string, seq: number, crc32: (data: Uint8Array) => number): Uint8Array {
  const idLen = messageId.length;
  const len = OVERHEAD + idLen + bag.length + payload.length;
  const r = new Uint8Array(len);
  r[0] = MAGIC;
  r[1] = QUEUED;
  put32(r, 2, seq);
  r[6] = idLen;
  r[7] = bag.length & 0xff;
  r[8] = bag.length >>> 8;
  put32(r, 9, payload.length);
  let p = HEADER;
  for (let i = 0; i < idLen; i++) r[p++] = messageId.charCodeAt(i);
  for (let i = 0; i < bag.length; i++) r[p++] = bag.charCodeAt(i);
  r.set(payload, p);
  put32(r, len - TRAILER, crc32(r.subarray(2, len - TRAILER)));
  return r;
}

/** The segments' numbers, ascending, from their Storage names (prefix + a number; anything
 *  else under the prefix is not a segment). */
export function segmentNumbers(names: string[], prefix: string): number[] {
  const ids: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const n = parseInt(names[i].substring(prefix.length), 10);
    if (n > 0 && (prefix + n) === names[i]) ids.push(n);
  }
  ids.sort(function (a: number, b: number) {
    return a - b;
  });
  return ids;
}
