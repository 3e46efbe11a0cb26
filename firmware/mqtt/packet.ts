// MQTT 3.1.1 control packet types (§2.2.1) and the record the decoder fills in. The record
// is created once per reader and reused for every packet.

// The types a client receives; the ones it sends have one writer each in encode.ts.
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;
export const UNSUBACK = 11;
export const PINGRESP = 13;

/** One decoded inbound packet. Only the fields of its type are meaningful; views point into
 *  the bytes that were decoded and are valid only until the next packet. */
export interface Packet {
  /** CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK or PINGRESP. */
  type: number;
  /** Packet identifier: PUBLISH QoS 1, PUBACK, SUBACK, UNSUBACK; 0 otherwise. */
  id: number;
  /** PUBLISH: QoS (0 or 1), DUP and RETAIN flags, topic as a byte string, payload view. */
  qos: number;
  dup: boolean;
  retain: boolean;
  topic: string;
  payload: Uint8Array;
  /** SUBACK: one return code per filter (0, 1, 2 granted QoS; 0x80 failure), a view. */
  codes: Uint8Array;
  /** CONNACK: return code (0 accepted, 1..5 refused, §3.2.2.3) and session present. */
  code: number;
  present: boolean;
}

/** A blank record for decodePacket. */
export function createPacket(): Packet {
  const empty = new Uint8Array(0);
  return { type: 0, id: 0, qos: 0, dup: false, retain: false, topic: "", payload: empty, codes: empty, code: 0, present: false };
}
