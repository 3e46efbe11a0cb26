// MQTT 3.1.1 codec vectors: one per case, bytes with a comment per field group.
// Outbound vectors (what the client sends) carry the size and write steps that produce
// them; inbound vectors (what a server sends) carry the fields our decoder must report.
// `mp` is the same packet as mqtt-packet describes it, for the cross-checks.
import {
  connectSize, writeConnect, publishSize, writePublish, writePuback, subscribeSize, writeSubscribe,
  unsubscribeSize, writeUnsubscribe, writePingreq, writeDisconnect,
} from "../../firmware/mqtt/encode";
import { ERR_MALFORMED, ERR_PROTOCOL } from "../../firmware/status";
import type { Decoded } from "./kit";

export interface OutVector {
  name: string;
  size: () => number;
  write: (b: Uint8Array, off: number) => number;
  bytes: number[];
  mp: Record<string, unknown>;
}

export interface InVector {
  name: string;
  bytes: number[];
  fields: Decoded;
  mp: Record<string, unknown>;
}

export interface ErrorVector {
  name: string;
  bytes: number[];
  status: number;
}

const M = 0x4d, Q = 0x51, T = 0x54; // "MQTT"

const connectMinimal = { clientId: "dev1", keepAliveS: 60, cleanSession: true };
const connectFull = {
  clientId: "d",
  keepAliveS: 240,
  cleanSession: false,
  username: "u",
  password: "p",
  will: { topic: "w", payload: new Uint8Array([0x00, 0xff]), qos: 1, retain: true },
};
const connectUserOnly = { clientId: "x", keepAliveS: 0, cleanSession: false, username: "hub/x/?api-version=2021-04-12" };

export const outbound: OutVector[] = [
  {
    name: "CONNECT minimal, clean session",
    size: () => connectSize(connectMinimal),
    write: (b, off) => writeConnect(b, off, connectMinimal),
    bytes: [
      0x10, 16, //                       CONNECT, remaining length 16
      0x00, 0x04, M, Q, T, T, //         protocol name "MQTT"
      0x04, //                           protocol level 4 (3.1.1)
      0x02, //                           flags: clean session
      0x00, 0x3c, //                     keep-alive 60 s
      0x00, 0x04, 0x64, 0x65, 0x76, 0x31, // client id "dev1"
    ],
    mp: { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 60, clientId: "dev1" },
  },
  {
    name: "CONNECT with will, username and password, clean session off",
    size: () => connectSize(connectFull),
    write: (b, off) => writeConnect(b, off, connectFull),
    bytes: [
      0x10, 26, //                       CONNECT, remaining length 26
      0x00, 0x04, M, Q, T, T, 0x04, //   "MQTT", level 4
      0xec, //                           flags: user 0x80, password 0x40, will retain 0x20, will QoS 1 0x08, will 0x04
      0x00, 0xf0, //                     keep-alive 240 s
      0x00, 0x01, 0x64, //               client id "d"
      0x00, 0x01, 0x77, //               will topic "w"
      0x00, 0x02, 0x00, 0xff, //         will payload, 2 binary bytes
      0x00, 0x01, 0x75, //               username "u"
      0x00, 0x01, 0x70, //               password "p"
    ],
    mp: {
      cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, keepalive: 240, clientId: "d",
      username: "u", password: Buffer.from("p"), will: { topic: "w", payload: Buffer.from([0, 255]), qos: 1, retain: true },
    },
  },
  {
    name: "CONNECT username without password (X.509), keep-alive off",
    size: () => connectSize(connectUserOnly),
    write: (b, off) => writeConnect(b, off, connectUserOnly),
    bytes: [
      0x10, 44, //                       CONNECT, remaining length 44
      0x00, 0x04, M, Q, T, T, 0x04, //   "MQTT", level 4
      0x80, //                           flags: username only
      0x00, 0x00, //                     keep-alive 0: off
      0x00, 0x01, 0x78, //               client id "x"
      0x00, 29, ...Array.from(Buffer.from("hub/x/?api-version=2021-04-12")), // username, 29 bytes
    ],
    mp: { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, keepalive: 0, clientId: "x", username: "hub/x/?api-version=2021-04-12" },
  },
  {
    name: "PUBLISH QoS 0",
    size: () => publishSize("a/b", 2, 0),
    write: (b, off) => writePublish(b, off, "a/b", new Uint8Array([0x68, 0x69]), 0, false, false, 0),
    bytes: [
      0x30, 7, //                        PUBLISH, QoS 0, remaining length 7
      0x00, 0x03, 0x61, 0x2f, 0x62, //   topic "a/b"
      0x68, 0x69, //                     payload "hi"
    ],
    mp: { cmd: "publish", qos: 0, dup: false, retain: false, topic: "a/b", payload: Buffer.from("hi") },
  },
  {
    name: "PUBLISH QoS 1 with DUP and RETAIN",
    size: () => publishSize("a/b", 2, 1),
    write: (b, off) => writePublish(b, off, "a/b", new Uint8Array([0x68, 0x69]), 1, true, true, 0x1234),
    bytes: [
      0x3b, 9, //                        PUBLISH, DUP 0x08, QoS 1 0x02, RETAIN 0x01, remaining length 9
      0x00, 0x03, 0x61, 0x2f, 0x62, //   topic "a/b"
      0x12, 0x34, //                     packet id 0x1234
      0x68, 0x69, //                     payload "hi"
    ],
    mp: { cmd: "publish", qos: 1, dup: true, retain: true, topic: "a/b", messageId: 0x1234, payload: Buffer.from("hi") },
  },
  {
    name: "PUBLISH QoS 1, empty payload, topic with a non-ASCII byte string",
    size: () => publishSize("\xc3\xa9", 0, 1),
    write: (b, off) => writePublish(b, off, "\xc3\xa9", new Uint8Array(0), 1, false, false, 65535),
    bytes: [
      0x32, 6, //                        PUBLISH, QoS 1, remaining length 6
      0x00, 0x02, 0xc3, 0xa9, //         topic: the UTF-8 bytes of "e-acute", one char per byte
      0xff, 0xff, //                     packet id 65535
    ], //                                no payload
    mp: { cmd: "publish", qos: 1, dup: false, retain: false, topic: "\u00e9", messageId: 65535, payload: Buffer.alloc(0) },
  },
  {
    name: "PUBLISH with a two-byte remaining length (200-byte binary payload)",
    size: () => publishSize("t", 200, 0),
    write: (b, off) => writePublish(b, off, "t", ramp(200), 0, false, false, 0),
    bytes: [
      0x30, 0xcb, 0x01, //               PUBLISH QoS 0, remaining length 203 = 0x4b | 0x80, 0x01
      0x00, 0x01, 0x74, //               topic "t"
      ...Array.from(ramp(200)), //       payload 0x00..0xc7
    ],
    mp: { cmd: "publish", qos: 0, dup: false, retain: false, topic: "t", payload: Buffer.from(ramp(200)) },
  },
  {
    name: "PUBACK",
    size: () => 4,
    write: (b, off) => writePuback(b, off, 0x0102),
    bytes: [
      0x40, 2, //                        PUBACK, remaining length 2
      0x01, 0x02, //                     packet id 0x0102
    ],
    mp: { cmd: "puback", messageId: 0x0102 },
  },
  {
    name: "SUBSCRIBE two filters",
    size: () => subscribeSize(["a/#", "$iothub/twin/res/#"], [1, 0]),
    write: (b, off) => writeSubscribe(b, off, 10, ["a/#", "$iothub/twin/res/#"], [1, 0]),
    bytes: [
      0x82, 29, //                       SUBSCRIBE (reserved flags 0010), remaining length 29
      0x00, 0x0a, //                     packet id 10
      0x00, 0x03, 0x61, 0x2f, 0x23, //   filter "a/#"
      0x01, //                           requested QoS 1
      0x00, 18, ...Array.from(Buffer.from("$iothub/twin/res/#")), // filter "$iothub/twin/res/#"
      0x00, //                           requested QoS 0
    ],
    mp: { cmd: "subscribe", messageId: 10, subscriptions: [{ topic: "a/#", qos: 1 }, { topic: "$iothub/twin/res/#", qos: 0 }] },
  },
  {
    name: "UNSUBSCRIBE",
    size: () => unsubscribeSize(["a/#"]),
    write: (b, off) => writeUnsubscribe(b, off, 11, ["a/#"]),
    bytes: [
      0xa2, 7, //                        UNSUBSCRIBE (reserved flags 0010), remaining length 7
      0x00, 0x0b, //                     packet id 11
      0x00, 0x03, 0x61, 0x2f, 0x23, //   filter "a/#"
    ],
    mp: { cmd: "unsubscribe", messageId: 11, unsubscriptions: ["a/#"] },
  },
  {
    name: "PINGREQ",
    size: () => 2,
    write: (b, off) => writePingreq(b, off),
    bytes: [0xc0, 0x00], //              PINGREQ, remaining length 0
    mp: { cmd: "pingreq" },
  },
  {
    name: "DISCONNECT",
    size: () => 2,
    write: (b, off) => writeDisconnect(b, off),
    bytes: [0xe0, 0x00], //              DISCONNECT, remaining length 0
    mp: { cmd: "disconnect" },
  },
];

export const inbound: InVector[] = [
  {
    name: "CONNACK accepted, no session",
    bytes: [
      0x20, 2, //                        CONNACK, remaining length 2
      0x00, //                           acknowledge flags: session present 0
      0x00, //                           return code 0: accepted
    ],
    fields: { type: 2, id: 0, code: 0, present: false },
    mp: { cmd: "connack", sessionPresent: false, returnCode: 0 },
  },
  {
    name: "CONNACK accepted, session present",
    bytes: [0x20, 2, 0x01, 0x00], //     CONNACK, session present 1, accepted
    fields: { type: 2, id: 0, code: 0, present: true },
    mp: { cmd: "connack", sessionPresent: true, returnCode: 0 },
  },
  {
    name: "CONNACK refused: not authorized",
    bytes: [0x20, 2, 0x00, 0x05], //     CONNACK, return code 5 (what IoT Hub answers to every refusal)
    fields: { type: 2, id: 0, code: 5, present: false },
    mp: { cmd: "connack", sessionPresent: false, returnCode: 5 },
  },
  {
    name: "PUBLISH QoS 0, binary payload",
    bytes: [
      0x30, 6, //                        PUBLISH QoS 0, remaining length 6
      0x00, 0x01, 0x74, //               topic "t"
      0x00, 0xff, 0x80, //               payload: three binary bytes
    ],
    fields: { type: 3, id: 0, qos: 0, dup: false, retain: false, topic: "t", payload: [0x00, 0xff, 0x80] },
    mp: { cmd: "publish", qos: 0, dup: false, retain: false, topic: "t", payload: Buffer.from([0, 255, 128]) },
  },
  {
    name: "PUBLISH QoS 1 redelivery (DUP), C2D topic",
    bytes: [
      0x3a, 44, //                       PUBLISH, DUP 0x08, QoS 1 0x02, remaining length 44
      0x00, 39, ...Array.from(Buffer.from("devices/d1/messages/devicebound/%24.to=")), // topic, 39 bytes
      0x00, 0x07, //                     packet id 7
      0x7b, //                           payload "{"
    ],
    fields: { type: 3, id: 7, qos: 1, dup: true, retain: false, topic: "devices/d1/messages/devicebound/%24.to=", payload: [0x7b] },
    mp: { cmd: "publish", qos: 1, dup: true, retain: false, topic: "devices/d1/messages/devicebound/%24.to=", messageId: 7, payload: Buffer.from("{") },
  },
  {
    name: "PUBLISH retained, UTF-8 topic comes out as a byte string, empty payload",
    bytes: [
      0x31, 4, //                        PUBLISH QoS 0, RETAIN, remaining length 4
      0x00, 0x02, 0xc3, 0xa9, //         topic: UTF-8 bytes of "e-acute"
    ],
    fields: { type: 3, id: 0, qos: 0, dup: false, retain: true, topic: "\xc3\xa9", payload: [] },
    mp: { cmd: "publish", qos: 0, dup: false, retain: true, topic: "\u00e9", payload: Buffer.alloc(0) },
  },
  {
    name: "PUBACK",
    bytes: [0x40, 2, 0x00, 0x07], //     PUBACK, remaining length 2, packet id 7
    fields: { type: 4, id: 7 },
    mp: { cmd: "puback", messageId: 7 },
  },
  {
    name: "SUBACK with a refused filter",
    bytes: [
      0x90, 5, //                        SUBACK, remaining length 5
      0x00, 0x0a, //                     packet id 10
      0x01, 0x00, 0x80, //               granted QoS 1, granted QoS 0, 0x80 failure
    ],
    fields: { type: 9, id: 10, codes: [1, 0, 0x80] },
    mp: { cmd: "suback", messageId: 10, granted: [1, 0, 128] },
  },
  {
    name: "UNSUBACK",
    bytes: [0xb0, 2, 0x00, 0x0b], //     UNSUBACK, remaining length 2, packet id 11
    fields: { type: 11, id: 11 },
    mp: { cmd: "unsuback", messageId: 11 },
  },
  {
    name: "PINGRESP",
    bytes: [0xd0, 0x00], //              PINGRESP, remaining length 0
    fields: { type: 13, id: 0 },
    mp: { cmd: "pingresp" },
  },
];

/** Whole packets (header included) the decoder must refuse, and with which code. */
export const inboundErrors: ErrorVector[] = [
  { name: "PUBLISH QoS 2 (we never subscribe above 1)", bytes: [0x34, 5, 0x00, 0x01, 0x74, 0x00, 0x01], status: ERR_PROTOCOL },
  { name: "PUBLISH with both QoS bits set (MQTT-3.3.1-4)", bytes: [0x36, 5, 0x00, 0x01, 0x74, 0x00, 0x01], status: ERR_MALFORMED },
  { name: "PUBLISH topic length past the end", bytes: [0x30, 3, 0x00, 0x05, 0x61], status: ERR_MALFORMED },
  { name: "PUBLISH shorter than a topic length", bytes: [0x30, 1, 0x00], status: ERR_MALFORMED },
  { name: "PUBLISH QoS 1 without room for the packet id", bytes: [0x32, 3, 0x00, 0x01, 0x74], status: ERR_MALFORMED },
  { name: "PUBLISH QoS 1 with packet id 0", bytes: [0x32, 5, 0x00, 0x01, 0x74, 0x00, 0x00], status: ERR_MALFORMED },
  { name: "CONNACK with reserved header flags", bytes: [0x21, 2, 0x00, 0x00], status: ERR_MALFORMED },
  { name: "CONNACK acknowledge flags other than 0/1", bytes: [0x20, 2, 0x02, 0x00], status: ERR_MALFORMED },
  { name: "CONNACK too long", bytes: [0x20, 3, 0x00, 0x00, 0x00], status: ERR_MALFORMED },
  { name: "CONNACK too short", bytes: [0x20, 1, 0x00], status: ERR_MALFORMED },
  { name: "PUBACK too long", bytes: [0x40, 3, 0x00, 0x01, 0x00], status: ERR_MALFORMED },
  { name: "PUBACK with packet id 0", bytes: [0x40, 2, 0x00, 0x00], status: ERR_MALFORMED },
  { name: "PUBACK with reserved flags", bytes: [0x42, 2, 0x00, 0x01], status: ERR_MALFORMED },
  { name: "SUBACK without return codes", bytes: [0x90, 2, 0x00, 0x01], status: ERR_MALFORMED },
  { name: "SUBACK with return code 3", bytes: [0x90, 3, 0x00, 0x01, 0x03], status: ERR_MALFORMED },
  { name: "UNSUBACK too short", bytes: [0xb0, 1, 0x00], status: ERR_MALFORMED },
  { name: "PINGRESP with a body", bytes: [0xd0, 1, 0x00], status: ERR_MALFORMED },
  { name: "PUBREC (QoS 2 flow)", bytes: [0x50, 2, 0x00, 0x01], status: ERR_PROTOCOL },
  { name: "CONNECT from a server", bytes: [0x10, 0], status: ERR_PROTOCOL },
  { name: "SUBSCRIBE from a server", bytes: [0x82, 0], status: ERR_PROTOCOL },
  { name: "reserved type 0", bytes: [0x00, 0], status: ERR_PROTOCOL },
  { name: "reserved type 15", bytes: [0xf0, 0], status: ERR_PROTOCOL },
];

/** 0, 1, 2, ... as bytes. */
export function ramp(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i & 255;
  return b;
}
