// The link (firmware/device/link.ts) on a fake HAL network: one socket at a time, a new
// connection waiting for the previous socket's close report, stale sockets ignored, session
// events bound to the kind of link they were made for, the bounded inbound queue (the session
// pausing when it is full), and openMqtt's socket options and failure report.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createLink, openMqtt, certificate, certificates, Link, LinkUser, MAX_INBOUND } from "../../../firmware/device/link";
import { MESSAGE_ACK, MESSAGE_PAUSE } from "../../../firmware/mqtt/session-api";
import { LINK_DPS, LINK_HUB } from "../../../firmware/device/core";
import { Session } from "../../../firmware/mqtt/session-api";
import { createSession } from "../../../firmware/mqtt/session";
import { Inbound } from "../../../firmware/device/core";
import { mpGenerate } from "../../mqtt/kit";
import { KIND_HUB_SOCKET } from "../../../firmware/policy/classify";
import { testCore, dpsConfig, hubConfig, policyCalls, TestCore, HUB } from "./kit";
import { ResolvedConfig } from "../../../firmware/config";

const OPTIONS = { host: HUB, port: 8883, tls: true };

function linkCore(config: ResolvedConfig = dpsConfig()): { core: TestCore; link: Link } {
  const core = testCore(config);
  const link = createLink(core);
  (core as { link: Link }).link = link;
  return { core, link };
}

/** A link user that logs what it hears. */
function user(name: string, log: string[]): LinkUser {
  return {
    opened: () => log.push(name + " opened"),
    data: (b) => log.push(name + " data " + Buffer.from(b).toString()),
    closed: (e, d) => log.push(name + " closed " + e + " " + d),
  };
}

/** A session stand-in: logs disconnect and lost. */
function session(log: string[]): Session {
  return {
    disconnect: () => log.push("disconnect"),
    lost: () => log.push("lost"),
    connect: () => log.push("connect"),
    receive: (b: Uint8Array) => log.push("receive " + Buffer.from(b).toString()),
  } as unknown as Session;
}

const socket = suite("device part link: one socket");

socket("connect -> one socket with the options; open, data and writes pass through", () => {
  const { core, link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", log));
  assert.is(core.hal.sockets.length, 1);
  assert.equal(core.hal.sockets[0].options, OPTIONS);
  assert.is(link.kind, LINK_HUB);
  assert.is(link.open, false);
  link.write(new Uint8Array([1]));
  assert.is(core.hal.sockets[0].writes.length, 0, "nothing written before the socket is open");
  core.hal.sockets[0].events.onOpen();
  assert.is(link.open, true);
  core.hal.sockets[0].events.onData(new Uint8Array([104, 105]));
  link.write(new Uint8Array([2]));
  assert.equal(core.hal.sockets[0].writes, [new Uint8Array([2])]);
  assert.equal(log, ["a opened", "a data hi"]);
});

socket("the socket ends on its own -> the user hears it once, the link is free", () => {
  const { core, link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", log));
  core.hal.sockets[0].events.onOpen();
  link.inbound.push({ topic: "t", payload: new Uint8Array(0), qos: 0, packetId: 0, tooLarge: 0 });
  core.hal.sockets[0].events.onClose(-102, "reset");
  assert.equal(log, ["a opened", "a closed -102 reset"]);
  assert.is(link.kind, 0);
  assert.is(link.open, false);
  assert.is(link.session, undefined);
  assert.equal(link.inbound, []);
});

socket("connect while a socket is open -> it is closed, and the new one waits for its close report", () => {
  const { core, link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_DPS, OPTIONS, undefined, user("dps", log));
  core.hal.sockets[0].events.onOpen();
  link.connect(LINK_HUB, OPTIONS, undefined, user("hub", log));
  assert.is(core.hal.sockets[0].closeCalls, 1);
  assert.is(core.hal.sockets.length, 1, "no second socket while the first one's TLS memory is held");
  assert.is(link.waiting, true);
  assert.is(link.kind, 0);
  const settles = core.settles;
  core.hal.sockets[0].events.onClose(0, "");
  assert.is(core.hal.sockets.length, 2);
  assert.is(link.kind, LINK_HUB);
  assert.is(link.waiting, false);
  assert.is(core.settles, settles + 1, "the device acts once the waiting connection started");
  core.hal.sockets[1].events.onOpen();
  assert.equal(log, ["dps opened", "hub opened"], "a socket closed by us is not reported to its user");
});

socket("close then connect -> the connect waits for the close report", () => {
  const { core, link } = linkCore();
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", []));
  link.close(false);
  link.connect(LINK_HUB, OPTIONS, undefined, user("b", []));
  assert.is(core.hal.sockets.length, 1);
  assert.is(link.waiting, true);
  core.hal.sockets[0].events.onClose(0, "");
  assert.is(core.hal.sockets.length, 2);
});

socket("a connect waiting, then close -> the waiting connect is dropped", () => {
  const { core, link } = linkCore();
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", []));
  link.connect(LINK_HUB, OPTIONS, undefined, user("b", []));
  link.close(false);
  assert.is(link.waiting, false);
  core.hal.sockets[0].events.onClose(0, "");
  assert.is(core.hal.sockets.length, 1);
});

socket("after the close report -> the next connect opens at once", () => {
  const { core, link } = linkCore();
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", []));
  link.close(false);
  core.hal.sockets[0].events.onClose(0, "");
  link.connect(LINK_HUB, OPTIONS, undefined, user("b", []));
  assert.is(core.hal.sockets.length, 2);
  assert.is(link.waiting, false);
});

socket("a closed socket's late events -> ignored", () => {
  const { core, link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", log));
  link.close(false);
  core.hal.sockets[0].events.onOpen();
  core.hal.sockets[0].events.onData(new Uint8Array([1]));
  core.hal.sockets[0].events.onClose(0, "");
  assert.equal(log, []);
  assert.is(link.open, false);
});

socket("close clean with a session up -> DISCONNECT first, then the session lost; not clean -> lost only", () => {
  const { core, link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_HUB, OPTIONS, session(log), user("a", []));
  core.hal.sockets[0].events.onOpen();
  link.close(true);
  assert.equal(log, ["disconnect", "lost"]);
  assert.is(core.hal.sockets[0].closeCalls, 1);
  core.hal.sockets[0].events.onClose(0, "");
  log.length = 0;
  link.connect(LINK_HUB, OPTIONS, session(log), user("b", []));
  core.hal.sockets[1].events.onOpen();
  link.close(false);
  assert.equal(log, ["lost"]);
});

socket("close clean before the socket opened -> no DISCONNECT", () => {
  const { link } = linkCore();
  const log: string[] = [];
  link.connect(LINK_HUB, OPTIONS, session(log), user("a", []));
  link.close(true);
  assert.equal(log, ["lost"]);
});

socket("close with no socket -> nothing", () => {
  const { core, link } = linkCore();
  link.close(true);
  assert.is(core.hal.sockets.length, 0);
  assert.is(link.waiting, false);
});

const events = suite("device part link: session events");

events("events made for DPS -> their sends dropped while the hub link is current", () => {
  const { core, link } = linkCore();
  const dps = link.events(LINK_DPS, () => undefined, () => undefined, () => undefined);
  const hub = link.events(LINK_HUB, () => undefined, () => undefined, () => undefined);
  link.connect(LINK_HUB, OPTIONS, undefined, user("a", []));
  core.hal.sockets[0].events.onOpen();
  dps.send(new Uint8Array([1]));
  hub.send(new Uint8Array([2]));
  assert.equal(core.hal.sockets[0].writes, [new Uint8Array([2])]);
});

events("CONNACK -> its code kept; the callback only when accepted", () => {
  const { link } = linkCore();
  let accepted = 0;
  const e = link.events(LINK_HUB, () => accepted++, () => undefined, () => undefined);
  e.connack(5, false);
  assert.is(link.connackCode, 5);
  assert.is(accepted, 0);
  e.connack(0, false);
  assert.is(link.connackCode, 0);
  assert.is(accepted, 1);
});

events("messages -> queued as copies; QoS 0 acknowledged at once, QoS 1 left to the part", () => {
  const { core, link } = linkCore();
  const e = link.events(LINK_HUB, () => undefined, () => undefined, () => undefined);
  const payload = new Uint8Array([1, 2]);
  assert.is(e.message("a", payload, 0, false, 0), MESSAGE_ACK, "QoS 0: accepted");
  assert.is(e.message("b", payload, 1, false, 7), 0, "QoS 1: acknowledged once handled");
  payload[0] = 9;
  assert.equal(link.inbound.map((m) => [m.topic, Array.from(m.payload), m.qos, m.packetId, m.tooLarge]), [
    ["a", [1, 2], 0, 0, 0],
    ["b", [1, 2], 1, 7, 0],
  ]);
  assert.is(core.stats.received, 2);
});

events("the queue full -> the message that fills it says pause; a further message refused (no ack), still counted", () => {
  const { core, link } = linkCore();
  const e = link.events(LINK_HUB, () => undefined, () => undefined, () => undefined);
  for (let i = 0; i < MAX_INBOUND; i++) {
    assert.is(e.message("t" + i, new Uint8Array(0), 0, false, 0), i < MAX_INBOUND - 1 ? MESSAGE_ACK : MESSAGE_ACK | MESSAGE_PAUSE);
  }
  assert.is(e.message("over", new Uint8Array(0), 0, false, 0), MESSAGE_PAUSE);
  assert.is(link.inbound.length, MAX_INBOUND);
  assert.is(core.stats.received, MAX_INBOUND + 1);
});

events("an oversized message -> queued as a size with no payload, counted as too large", () => {
  const { core, link } = linkCore();
  const e = link.events(LINK_HUB, () => undefined, () => undefined, () => undefined);
  e.oversized!("$iothub/methods/POST/x/?$rid=1", 0, 0, 9000);
  assert.equal(link.inbound.map((m) => [m.topic, m.payload.length, m.tooLarge]), [["$iothub/methods/POST/x/?$rid=1", 0, 9000]]);
  assert.is(core.stats.tooLarge, 1);
  assert.is(core.stats.received, 1);
});

events("the session gives up -> recorded for later with its kind and code, the socket untouched", () => {
  const { core, link } = linkCore();
  const e = link.events(LINK_DPS, () => undefined, () => undefined, () => undefined);
  link.connect(LINK_DPS, OPTIONS, undefined, user("a", []));
  e.closed(-9);
  assert.is(link.closeLater, LINK_DPS);
  assert.is(link.closeCode, -9);
  assert.is(core.hal.sockets[0].closeCalls, 0);
});

const mqtt = suite("device part link: openMqtt");

mqtt("TLS with a CA list and a client certificate -> PEM kept, base64 decoded to DER", () => {
  const der = Buffer.from([0x30, 0x82, 0x01, 0x02]).toString("base64");
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const config = hubConfig("HostName=" + HUB + ";DeviceId=dev1;x509=true", { certificate: der, privateKey: der, ca: [pem, der] });
  const { core, link } = linkCore(config);
  openMqtt(core, LINK_HUB, HUB, session([]), { clientId: "dev1", keepAliveS: 60, cleanSession: false });
  const o = core.hal.sockets[0].options;
  assert.is(o.tls, true);
  assert.equal(o.ca, [pem, new Uint8Array([0x30, 0x82, 0x01, 0x02])]);
  assert.equal(o.cert, new Uint8Array([0x30, 0x82, 0x01, 0x02]));
  assert.equal(o.key, new Uint8Array([0x30, 0x82, 0x01, 0x02]));
  assert.is(link.kind, LINK_HUB);
  assert.is(core.stats.connectAttempts, 1);
  assert.ok(core.hal.lines.some((l) => l.endsWith("connecting to " + HUB + " (TLS)")));
});

mqtt("more messages in one chunk than the inbound queue holds -> each handled once, in order", () => {
  const { core, link } = linkCore(hubConfig("HostName=" + HUB + ";DeviceId=dev1;SharedAccessKey=" + Buffer.alloc(32, 1).toString("base64")));
  const handled: string[] = [];
  (core as { hub: { handle(m: Inbound): void } }).hub = { handle: (m: Inbound) => void handled.push(m.topic + " q" + m.qos) };
  const s = createSession(link.events(LINK_HUB, () => undefined, () => undefined, () => undefined), { maxPacket: 4096 });
  openMqtt(core, LINK_HUB, HUB, s, { clientId: "dev1", keepAliveS: 60, cleanSession: false });
  const sock = core.hal.sockets[0];
  sock.events.onOpen();
  sock.events.onData(mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: false }));
  const n = MAX_INBOUND * 2 + 3;
  const packets: Uint8Array[] = [];
  const want: string[] = [];
  for (let i = 1; i <= n; i++) {
    const qos = i % 3 ? 1 : 0;
    packets.push(mpGenerate({ cmd: "publish", topic: "devices/dev1/messages/devicebound/n=" + i, payload: Buffer.from("m" + i), qos, dup: false, retain: false, ...(qos ? { messageId: i } : {}) }));
    want.push("devices/dev1/messages/devicebound/n=" + i + " q" + qos);
  }
  sock.events.onData(Buffer.concat(packets));
  // QoS 1 ones are acknowledged by the part that handles them (the hub part, a stand-in here).
  assert.equal(handled, want);
  assert.is(core.stats.received, n);
  assert.is(link.inbound.length, 0);
});

mqtt("plain TCP -> no certificates, said in the log", () => {
  const { core } = linkCore(dpsConfig({ tls: false, port: 1883 }));
  openMqtt(core, LINK_DPS, "dps.local", session([]), { clientId: "dev1", keepAliveS: 60, cleanSession: true });
  assert.equal(core.hal.sockets[0].options, { host: "dps.local", port: 1883, tls: false });
  assert.ok(core.hal.lines.some((l) => l.endsWith("(plain TCP)")));
});

mqtt("open -> CONNECT; bytes -> the session; each followed by settle", () => {
  const { core } = linkCore();
  const log: string[] = [];
  openMqtt(core, LINK_HUB, HUB, session(log), { clientId: "dev1", keepAliveS: 60, cleanSession: false });
  core.hal.sockets[0].events.onOpen();
  core.hal.sockets[0].events.onData(new Uint8Array([65]));
  assert.equal(log, ["connect", "receive A"]);
  assert.is(core.settles, 2);
});

mqtt("the hub socket ends -> session lost, the policy hears a hub socket failure with the code", () => {
  const { core } = linkCore();
  const log: string[] = [];
  openMqtt(core, LINK_HUB, HUB, session(log), { clientId: "dev1", keepAliveS: 60, cleanSession: false });
  core.hal.sockets[0].events.onClose(-101, "refused");
  assert.equal(log, ["lost"]);
  assert.equal(policyCalls(core), ["hubFailed " + KIND_HUB_SOCKET + ",-101"]);
  assert.ok(core.hal.lines.some((l) => l.includes("hub connection closed (-101 refused)")));
});

mqtt("certificate -> PEM text as it is, base64 as DER bytes, anything else as text", () => {
  assert.is(certificate("-----BEGIN X-----"), "-----BEGIN X-----");
  assert.equal(certificate("AQID"), new Uint8Array([1, 2, 3]));
  assert.equal(certificates(["AQID", "-----BEGIN X-----"]), [new Uint8Array([1, 2, 3]), "-----BEGIN X-----"]);
  assert.is(certificate("not base64 !!"), "not base64 !!");
});

socket.run();
events.run();
mqtt.run();
