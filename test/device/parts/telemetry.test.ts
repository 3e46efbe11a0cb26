// The telemetry part (firmware/device/telemetry.ts) on a fake Core: the outbox (add, pump
// into the QoS 1 window, acknowledge, discard when full), a new identity re-sending what is
// in flight, low-memory shedding, the flash outbox across a boot, and C2D handlers whose
// errors stay contained. The hub session is a recording stand-in.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTelemetry } from "../../../firmware/device/telemetry";
import { ERR_FULL } from "../../../firmware/status";
import { RamOutbox } from "../../../firmware/outbox";
import { createFlashStore } from "../../helpers/flash-store";
import { createPrng } from "../../helpers/prng";
import { testCore, dpsConfig, hubConfig, recordingSession, RecordingSession, TestCore, HUB, KEY } from "./kit";
import { DeviceConfig } from "../../../firmware/config";

const EVENTS = "devices/dev1/messages/events/";

function telemetryCore(outbox: DeviceConfig["outbox"] = { persist: false }): { core: TestCore; session: RecordingSession } {
  const core = testCore(dpsConfig({ outbox }));
  const session = recordingSession();
  core.hubSession = session;
  core.telemetry = createTelemetry(core);
  core.telemetry.setDeviceId("dev1", false);
  return { core, session };
}

function payloads(session: RecordingSession): string[] {
  return session.published.map((p) => p.payload);
}

const outbox = suite("device part telemetry: the outbox");

outbox("sent -> queued with a sequence number, published at QoS 1 only when pumped", () => {
  const { core, session } = telemetryCore();
  assert.is(core.telemetry.send("a", undefined), 1);
  assert.is(core.telemetry.send(new Uint8Array([98]), undefined), 2);
  assert.is(core.stats.accepted, 2);
  assert.equal(session.published, []);
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session), ["a", "b"]);
  assert.ok(session.published.every((p) => p.qos === 1));
  assert.match(session.published[0].topic, new RegExp("^" + EVENTS + "%24\\.mid=[0-9a-f]+-1$"));
  assert.match(session.published[1].topic, /-2$/);
  core.telemetry.pump(core.hal.t);
  assert.is(session.published.length, 2, "a message goes out once");
});

outbox("properties -> after the message id, percent-encoded", () => {
  const { core, session } = telemetryCore();
  core.telemetry.send("{}", { "$.ct": "application/json", "x y": "1&2" });
  core.telemetry.pump(core.hal.t);
  assert.match(session.published[0].topic, /^devices\/dev1\/messages\/events\/%24\.mid=[0-9a-f]+-1&%24\.ct=application%2Fjson&x%20y=1%262$/);
});

outbox("a module identity -> the module's events topic", () => {
  const core = testCore(hubConfig("HostName=" + HUB + ";DeviceId=dev1;ModuleId=m1;SharedAccessKey=" + KEY));
  const session = recordingSession();
  core.hubSession = session;
  core.telemetry = createTelemetry(core);
  core.telemetry.setDeviceId("dev1", false);
  core.telemetry.send("x", undefined);
  core.telemetry.pump(core.hal.t);
  assert.match(session.published[0].topic, /^devices\/dev1\/modules\/m1\/messages\/events\/%24\.mid=/);
});

outbox("more than the window -> 7 in flight; each PUBACK lets the next one out", () => {
  const { core, session } = telemetryCore();
  for (let i = 0; i < 10; i++) core.telemetry.send("m" + i, undefined);
  core.telemetry.pump(core.hal.t);
  assert.is(session.published.length, 7);
  const first = session.published[0].id;
  session.open.delete(first);
  core.telemetry.outbox.acknowledge(first);
  assert.is(core.telemetry.outbox.acknowledged, 1);
  assert.is(core.telemetry.outbox.size, 9);
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session).slice(7), ["m7"]);
});

outbox("the session refuses a publish -> pumping stops, the message stays queued", () => {
  const { core, session } = telemetryCore();
  core.telemetry.send("a", undefined);
  session.refuse = -1;
  core.telemetry.pump(core.hal.t);
  assert.equal(session.published, []);
  session.refuse = 0;
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session), ["a"]);
});

outbox("full, dropOldest -> the oldest goes, released from the session if it was in flight", () => {
  const { core, session } = telemetryCore({ persist: false, maxMessages: 2 });
  core.telemetry.send("a", undefined);
  core.telemetry.send("b", undefined);
  core.telemetry.pump(core.hal.t);
  const idA = session.published[0].id;
  assert.is(core.telemetry.send("c", undefined), 3);
  assert.equal(session.discarded, [idA]);
  assert.is(core.telemetry.outbox.dropped, 1);
  assert.ok(core.hal.lines.some((l) => /outbox full: dropped message [0-9a-f]+-1$/.test(l)));
});

outbox("full, refuseNew -> the new message refused, nothing dropped", () => {
  const { core, session } = telemetryCore({ persist: false, maxMessages: 2, whenFull: "refuseNew" });
  core.telemetry.send("a", undefined);
  core.telemetry.send("b", undefined);
  assert.is(core.telemetry.send("c", undefined), ERR_FULL);
  assert.is(core.stats.accepted, 2);
  assert.is(core.telemetry.outbox.refused, 1);
  assert.ok(core.hal.lines.some((l) => l.includes("outbox full: refused message")));
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session), ["a", "b"]);
});

outbox("low memory -> a RAM outbox keeps its newer half, each dropped one heard by telemetry.dropped (as the device does it)", () => {
  const { core, session } = telemetryCore();
  for (let i = 0; i < 6; i++) core.telemetry.send("m" + i, undefined);
  (core.telemetry.outbox as RamOutbox).shed(core.telemetry.outbox.size >> 1, core.telemetry.dropped);
  assert.is(core.hal.lines.filter((l) => l.includes("outbox full: dropped message")).length, 3);
  assert.is(core.telemetry.outbox.size, 3);
  assert.is(core.telemetry.outbox.dropped, 3);
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session), ["m3", "m4", "m5"]);
});

outbox("a new identity -> in-flight messages released and re-sent to the new device's topic, same ids", () => {
  const { core, session } = telemetryCore();
  core.telemetry.send("a", undefined);
  core.telemetry.send("b", undefined);
  core.telemetry.pump(core.hal.t);
  const before = session.published.map((p) => p.id);
  core.telemetry.setDeviceId("dev2", true);
  assert.equal(session.discarded, before);
  core.telemetry.pump(core.hal.t);
  const again = session.published.slice(2);
  assert.equal(again.map((p) => p.payload), ["a", "b"]);
  assert.ok(again.every((p) => p.topic.startsWith("devices/dev2/messages/events/")));
  assert.equal(again.map((p) => p.topic.split("%24.mid=")[1]), session.published.slice(0, 2).map((p) => p.topic.split("%24.mid=")[1]),
    "the message ids stay, so the back end can drop duplicates");
});

outbox("in flash -> what a boot queued goes out after the next boot, first, with its numbers", () => {
  const store = createFlashStore(createPrng(3));
  const first = telemetryCore({ persist: true });
  first.core.hal.store = store;
  // a fresh part on the flash store (the store is read at creation)
  first.core.telemetry = createTelemetry(first.core);
  first.core.telemetry.send("a", undefined);
  first.core.telemetry.send("b", undefined);

  const { core, session } = telemetryCore({ persist: true });
  core.hal.store = store;
  core.telemetry = createTelemetry(core);
  core.telemetry.setDeviceId("dev1", false);
  assert.ok(core.hal.lines.some((l) => l.includes("outbox: 2 messages queued before the boot; next seq 3")));
  assert.is(core.telemetry.send("c", undefined), 3);
  core.telemetry.pump(core.hal.t);
  assert.equal(payloads(session), ["a", "b", "c"]);
  assert.match(session.published[0].topic, /-1$/);
});

outbox.run();
