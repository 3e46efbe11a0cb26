// MQTT 3.1.1 decoder for what a QoS 0/1 client receives: CONNACK, PUBLISH, PUBACK, SUBACK,
// UNSUBACK, PINGRESP (§3.2, 3.3, 3.4, 3.9, 3.11, 3.13). It reads one whole packet (the frame
// reader finds the bounds) into a reused record, with views instead of copies.
// Bad input never throws: it yields ERR_MALFORMED or ERR_PROTOCOL.
import { OK, ERR_MALFORMED, ERR_PROTOCOL } from "../status";
import { Packet, CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP } from "./packet";

/** Bytes [s, e) as a byte string, one char per byte. fromCharCode.apply takes at most 256
 *  arguments on Espruino, so it goes in slices of 256. */
export function byteString(b: Uint8Array, s: number, e: number): string {
  let out = "";
  while (s < e) {
    const k = e - s > 256 ? s + 256 : e;
    out += String.fromCharCode.apply(null, b.subarray(s, k) as unknown as number[]);
    s = k;
  }
  return out;
}

/**
 * Decodes one packet: `first` is its first byte, b[s..e) the bytes after the remaining length.
 * Returns OK (p filled in), ERR_MALFORMED (bad length, reserved flags or values) or
 * ERR_PROTOCOL (QoS 2, or a type a server never sends to a QoS 0/1 client).
 */
export function decodePacket(p: Packet, first: number, b: Uint8Array, s: number, e: number): number {
  const type = first >> 4;
  const f = first & 15;
  const n = e - s;
  // The first two bytes: packet id of PUBACK, SUBACK, UNSUBACK; topic length of PUBLISH.
  let id = n > 1 ? (b[s] << 8) | b[s + 1] : 0;
  // Declared here, not in a branch: Espruino declares a var only when its statement runs.
  let i = s + 2;
  p.type = type;
  if (type == PUBLISH) {
    const qos = (f >> 1) & 3;
    if (qos > 1) return qos > 2 ? ERR_MALFORMED : ERR_PROTOCOL; // MQTT-3.3.1-4; never subscribed above 1
    const t = i + id;
    i = t + qos * 2;
    if (n < 2 || i > e) return ERR_MALFORMED;
    p.topic = byteString(b, s + 2, t);
    p.id = id = qos ? (b[t] << 8) | b[t + 1] : 0;
    p.qos = qos;
    p.dup = f > 7;
    p.retain = (f & 1) > 0;
    p.payload = b.subarray(i, e);
    return qos && !id ? ERR_MALFORMED : OK; // MQTT-2.3.1-1
  }
  p.id = 0;
  // Every other type has reserved header flags 0 (MQTT-2.2.2-2).
  if (type == CONNACK) {
    p.present = b[s] == 1;
    p.code = b[s + 1];
    return f || n != 2 || b[s] > 1 ? ERR_MALFORMED : OK; // acknowledge flags 0 or 1 (MQTT-3.2.2-1)
  }
  if (type == PINGRESP) return f || n ? ERR_MALFORMED : OK;
  if (type != PUBACK && type != SUBACK && type != UNSUBACK) return ERR_PROTOCOL;
  p.id = id;
  if (f || !id || (type == SUBACK ? n < 3 : n != 2)) return ERR_MALFORMED;
  // SUBACK return codes: granted QoS 0..2 or 0x80 failure (§3.9.3)
  for (; i < e; i++) if (b[i] > 2 && b[i] != 0x80) return ERR_MALFORMED;
  if (type == SUBACK) p.codes = b.subarray(s + 2, e);
  return OK;
}
