// MQTT 3.1.1 encoders for what a client sends (§3.1, 3.3, 3.4, 3.8, 3.10, 3.12, 3.14). Each
// packet has a size step and a write step into a caller buffer; a write returns
// the offset after the packet or a negative status and never writes past the buffer.
// Strings are byte strings: one char per byte, char codes 0..255 (Espruino's native form).
//
// Each packet's fields are laid out by one body function that runs twice: with no buffer it
// only measures and validates, with a buffer it writes (the measure pass has validated).
import { ERR_BAD_ARGUMENT, ERR_NO_SPACE, ERR_TOO_LARGE } from "../status";

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
}

export interface ConnectOptions {
  /** Byte string; empty only together with cleanSession (§3.1.3.1). */
  clientId: string;
  /** Seconds, 0..65535; 0 turns keep-alive off (§3.1.2.10). */
  keepAliveS: number;
  cleanSession: boolean;
  username?: string;
  /** Needs a username (MQTT-3.1.2-22). */
  password?: string;
  will?: Will;
}

type Out = Uint8Array | null;

/** Largest remaining length four bytes can carry (§2.2.3). */
const MAX_REMAINING = 268435455;
/** A failed measure: far enough below zero that adding field sizes keeps it negative. */
const BAD = -1e9;

/** Length-prefixed byte string (§1.5.3). A Uint8Array keeps the low byte of what is stored. */
function str(b: Out, off: number, s: string): number {
  const n = s.length;
  if (n > 65535) return BAD;
  if (b) {
    b[off] = n >> 8;
    b[off + 1] = n;
  }
  off += 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return BAD;
    if (b) b[off + i] = c;
  }
  return off + n;
}

/** A string that must not be empty (topic names and filters, MQTT-4.7.3-1). */
function name(b: Out, off: number, s: string): number {
  return s.length ? str(b, off, s) : BAD;
}

function u16(b: Out, off: number, v: number): number {
  if (b) {
    b[off] = v >> 8;
    b[off + 1] = v;
  }
  return v >= 0 && v <= 65535 ? off + 2 : BAD;
}

/** A packet identifier: 1..65535 (MQTT-2.3.1-1). */
function pid(b: Out, off: number, id: number): number {
  return id ? u16(b, off, id) : BAD;
}

/** Whole packet size for a measured remaining length: type byte, 1..4 length bytes, body.
 *  (Written out rather than calling a helper: terser inlines such a helper as a temporary
 *  `var` after the return, which Espruino never declares, so it would hit an outer name.) */
function total(rem: number): number {
  return rem < 0 ? ERR_BAD_ARGUMENT : rem > MAX_REMAINING ? ERR_TOO_LARGE : rem + (rem < 128 ? 2 : rem < 16384 ? 3 : rem < 2097152 ? 4 : 5);
}

/** Fixed header (§2.2) after checking that it and `fit` body bytes fit; returns the body offset. */
function head(b: Uint8Array, off: number, first: number, rem: number, fit: number): number {
  const size = total(rem);
  if (size < 0) return size;
  if (off + size - rem + fit > b.length) return ERR_NO_SPACE;
  b[off++] = first;
  do {
    const digit = rem & 127;
    rem = rem >>> 7;
    b[off++] = rem ? digit | 128 : digit;
  } while (rem);
  return off;
}

function qosOk(q: number, max: number): boolean {
  return q === 0 || q === 1 || (q === 2 && max > 1);
}

function connectBody(b: Out, off: number, o: ConnectOptions): number {
  const w = o.will;
  const user = o.username;
  const pass = o.password;
  off = str(b, off, "MQTT");
  if (b) {
    b[off] = 4; // protocol level 3.1.1
    // Connect flags (§3.1.2.3): user, password, will retain, will QoS, will, clean session
    b[off + 1] = (user != null ? 128 : 0) | (pass != null ? 64 : 0) | (w ? (w.retain ? 32 : 0) | (w.qos << 3) | 4 : 0) | (o.cleanSession ? 2 : 0);
  }
  off = str(b, u16(b, off + 2, o.keepAliveS), o.clientId);
  if (w) {
    off = name(b, off, w.topic);
    const n = w.payload.length;
    off = u16(b, off, n);
    if (b) b.set(w.payload, off);
    off += qosOk(w.qos, 2) ? n : BAD;
  }
  if (user != null) off = str(b, off, user);
  if (pass != null) off = user != null ? str(b, off, pass) : BAD;
  return off;
}

/** CONNECT size in bytes, or ERR_BAD_ARGUMENT / ERR_TOO_LARGE. */
export function connectSize(o: ConnectOptions): number {
  return total(connectBody(null, 0, o));
}

/** Writes CONNECT (§3.1). Returns the new offset, ERR_BAD_ARGUMENT, ERR_TOO_LARGE or ERR_NO_SPACE. */
export function writeConnect(b: Uint8Array, off: number, o: ConnectOptions): number {
  const rem = connectBody(null, 0, o);
  off = head(b, off, 0x10, rem, rem);
  return off < 0 ? off : connectBody(b, off, o);
}

/** PUBLISH variable header: topic, then the packet id at QoS 1 (§3.3.2). This client sends
 *  QoS 0 and 1 only; DUP is 0 on QoS 0 (MQTT-3.3.1-2). */
function publishHead(b: Out, off: number, topic: string, qos: number, dup: boolean, id: number): number {
  off = name(b, off, topic);
  return !qosOk(qos, 1) || (!qos && dup) ? BAD : qos ? pid(b, off, id) : off;
}

/** PUBLISH size for a payload of `length` bytes, or ERR_BAD_ARGUMENT / ERR_TOO_LARGE. */
export function publishSize(topic: string, length: number, qos: number): number {
  return total(publishHead(null, 0, topic, qos, false, 1) + length);
}

/** Writes PUBLISH up to its payload, which the caller sends right after (`length` bytes), so
 *  a large payload needs no copy. `fit`: payload bytes that must fit too (writePublish).
 *  Returns the new offset or ERR_BAD_ARGUMENT / ERR_TOO_LARGE / ERR_NO_SPACE. id is ignored at QoS 0. */
export function writePublishHead(b: Uint8Array, off: number, topic: string, length: number, qos: number, dup: boolean, retain: boolean, id: number, fit?: number): number {
  const h = publishHead(null, 0, topic, qos, dup, id);
  off = head(b, off, 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), h + length, h + (fit || 0));
  return off < 0 ? off : publishHead(b, off, topic, qos, dup, id);
}

/** Writes a whole PUBLISH (§3.3). Same returns as writePublishHead. */
export function writePublish(b: Uint8Array, off: number, topic: string, payload: Uint8Array, qos: number, dup: boolean, retain: boolean, id: number): number {
  const n = payload.length;
  off = writePublishHead(b, off, topic, n, qos, dup, retain, id, n);
  if (off >= 0) b.set(payload, off);
  return off < 0 ? off : off + n;
}

/** SUBSCRIBE (with qos) or UNSUBSCRIBE (qos null) body: id, then at least one filter
 *  (MQTT-3.8.3-3, 3.10.3-2), each followed by its requested QoS on SUBSCRIBE. */
function listBody(b: Out, off: number, id: number, topics: string[], qos: number[] | null): number {
  off = pid(b, off, id);
  if (!topics.length) return BAD;
  for (let i = 0; i < topics.length; i++) {
    off = name(b, off, topics[i]);
    if (qos) {
      if (b) b[off] = qos[i];
      off += qosOk(qos[i], 2) ? 1 : BAD;
    }
  }
  return off;
}

function writeList(b: Uint8Array, off: number, first: number, id: number, topics: string[], qos: number[] | null): number {
  const rem = listBody(null, 0, id, topics, qos);
  off = head(b, off, first, rem, rem);
  return off < 0 ? off : listBody(b, off, id, topics, qos);
}

/** SUBSCRIBE size: filters with requested QoS 0..2, one per filter. Or ERR_BAD_ARGUMENT / ERR_TOO_LARGE. */
export function subscribeSize(topics: string[], qos: number[]): number {
  return total(listBody(null, 0, 1, topics, qos));
}

/** Writes SUBSCRIBE (§3.8). Returns the new offset, ERR_BAD_ARGUMENT, ERR_TOO_LARGE or ERR_NO_SPACE. */
export function writeSubscribe(b: Uint8Array, off: number, id: number, topics: string[], qos: number[]): number {
  return writeList(b, off, 0x82, id, topics, qos);
}

/** UNSUBSCRIBE size, or ERR_BAD_ARGUMENT / ERR_TOO_LARGE. */
export function unsubscribeSize(topics: string[]): number {
  return total(listBody(null, 0, 1, topics, null));
}

/** Writes UNSUBSCRIBE (§3.10). Same returns as writeSubscribe. */
export function writeUnsubscribe(b: Uint8Array, off: number, id: number, topics: string[]): number {
  return writeList(b, off, 0xa2, id, topics, null);
}

/** Writes PUBACK (§3.4, 4 bytes). Returns the new offset, ERR_BAD_ARGUMENT or ERR_NO_SPACE. */
export function writePuback(b: Uint8Array, off: number, id: number): number {
  const rem = pid(null, 0, id);
  off = head(b, off, 0x40, rem, rem);
  return off < 0 ? off : pid(b, off, id);
}

/** Writes PINGREQ (§3.12, 2 bytes). Returns the new offset or ERR_NO_SPACE. */
export function writePingreq(b: Uint8Array, off: number): number {
  return head(b, off, 0xc0, 0, 0);
}

/** Writes DISCONNECT (§3.14, 2 bytes). Returns the new offset or ERR_NO_SPACE. */
export function writeDisconnect(b: Uint8Array, off: number): number {
  return head(b, off, 0xe0, 0, 0);
}
