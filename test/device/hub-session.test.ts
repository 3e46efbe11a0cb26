// The IoT Hub session end to end (issue 8): telemetry never lost, C2D, direct methods, the
// device twin, and the built-in Reprovision method, against the simulator over TLS.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createWorld, dpsConfig, World } from "./harness";
import { Device } from "../../firmware/device/index";
import { ERR_TOO_LARGE } from "../../firmware/status";
import { createPrng } from "../helpers/prng";

const HUB_A = "hub-a.azure-devices.net";

async function connectedDevice(extra: object = {}, sim: object = {}): Promise<{ w: World; device: Device }> {
  const w = await createWorld({ sim });
  const e = w.sim.enrollIndividual("dev1");
  const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key, extra));
  await w.advanceUntil(() => device.stats().status === "Connected", 200_000);
  await w.advance(100);
  return { w, device };
}

async function run(fn: (w: World, device: Device) => Promise<void>, extra: object = {}): Promise<void> {
  const { w, device } = await connectedDevice(extra);
  try {
    await fn(w, device);
  } finally {
    await w.stop();
  }
}

const telemetry = suite("hub: telemetry");

telemetry("properties and payload arrive exactly as sent, with a message id", () =>
  run(async (w, device) => {
    const body = JSON.stringify({ t: 21.5, note: "a&b=c" });
    device.sendTelemetry(body, { "$.ct": "application/json", "$.ce": "utf-8", alert: "high temp", "x/y": "1=2" });
    await w.advanceUntil(() => w.sim.telemetry("dev1").length === 1, 10_000, 100);
    const [m] = w.sim.telemetry("dev1");
    assert.is(m.payload.toString(), body);
    assert.is(m.properties["$.ct"], "application/json");
    assert.is(m.properties["$.ce"], "utf-8");
    assert.is(m.properties.alert, "high temp");
    assert.is(m.properties["x/y"], "1=2");
    assert.match(String(m.properties["$.mid"]), /^[0-9a-f]+-1$/);
    assert.is(m.qos, 1);
    assert.is(device.stats().telemetryAcknowledged, 1);
  }));

telemetry("above the hub's 256 KB limit -> refused at send time", () =>
  run(async (_w, device) => {
    assert.is(device.sendTelemetry(new Uint8Array(256 * 1024 + 1)), ERR_TOO_LARGE);
  }));

telemetry("chaos: the connection killed 20 times during 500 messages -> every one arrives, in order", () =>
  run(async (w, device) => {
    const prng = createPrng(20);
    const kills = new Set<number>();
    while (kills.size < 20) kills.add(1 + prng.int(498));
    // PUBACKs held back 300 ms (sim clock): kills land while messages are in flight.
    w.sim.delayPubacks("dev1", 300);
    let killed = 0;
    for (let i = 1; i <= 500; i++) {
      assert.ok(device.sendTelemetry(JSON.stringify({ seq: i })) > 0);
      if (kills.has(i)) {
        // Back on line, let a random share of the in-flight messages through, then kill it.
        await w.advanceUntil(() => device.stats().status === "Connected", 30 * 60_000, 5000);
        await new Promise((r) => setTimeout(r, prng.int(4)));
        if (w.sim.dropDevice("dev1")) killed++;
        await w.until(() => device.stats().status !== "Connected");
      }
      if (i % 5 === 0) await w.advance(200);
    }
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 500, 60 * 60_000, 5000);
    const seqs = w.sim.telemetry("dev1").map((m) => JSON.parse(m.payload.toString()).seq as number);
    const first = new Map<number, number>();
    seqs.forEach((s, index) => {
      if (!first.has(s)) first.set(s, index);
    });
    for (let i = 1; i <= 500; i++) assert.ok(first.has(i), `message ${i} lost`);
    for (let i = 2; i <= 500; i++) assert.ok((first.get(i) as number) > (first.get(i - 1) as number), `message ${i} out of order`);
    const duplicates = seqs.length - 500;
    console.log(`    chaos: 500 messages, ${killed} kills, ${duplicates} duplicates, ${device.stats().hubConnections} connections`);
    assert.is(killed, 20);
    assert.is(device.stats().telemetryDropped, 0);
  }, { outbox: { maxMessages: 600, maxBytes: 64 * 1024 } }));

telemetry("dropped PUBACKs -> the message is sent again with DUP and the same packet id", () =>
  run(async (w, device) => {
    w.sim.dropPubacks("dev1", 1);
    device.sendTelemetry("once");
    await w.advanceUntil(() => w.sim.telemetry("dev1").length === 1, 10_000, 100);
    assert.is(device.stats().telemetryAcknowledged, 0);
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 1, 120_000);
    const records = w.sim.telemetry("dev1");
    assert.is(records.length, 2);
    assert.is(records[1].dup, true);
    assert.is(records[1].messageId, records[0].messageId);
  }));

telemetry("outbox overflow while offline -> the oldest are dropped and counted", () =>
  run(async (w, device) => {
    await w.sim.hubOutage(HUB_A, 600, "refuse");
    w.sim.dropHub(HUB_A);
    await w.until(() => device.stats().status !== "Connected");
    for (let i = 1; i <= 10; i++) device.sendTelemetry(JSON.stringify({ seq: i }));
    assert.is(device.stats().telemetryDropped, 6);
    assert.is(device.stats().outboxSize, 4);
    await w.sim.endHubOutage(HUB_A);
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 4, 30 * 60_000);
    assert.equal(w.sim.telemetry("dev1").map((m) => JSON.parse(m.payload.toString()).seq), [7, 8, 9, 10]);
  }, { outbox: { maxMessages: 4 } }));

telemetry.run();

const c2d = suite("hub: cloud-to-device");

c2d("a C2D message with properties reaches the handler, then is acknowledged", () =>
  run(async (w, device) => {
    const got: Array<[string, unknown]> = [];
    device.onC2D((body, properties) => got.push([body, properties]));
    await w.delivered(device, () => w.sim.sendC2D("dev1", "switch on", { properties: { cmd: "power", "a b": "c&d" } }));
    await w.advanceUntil(() => got.length === 1, 10_000, 100);
    assert.is(got[0][0], "switch on");
    const props = got[0][1] as Record<string, string>;
    assert.is(props.cmd, "power");
    assert.is(props["a b"], "c&d");
    await w.advanceUntil(() => w.sim.counters().devices.dev1.c2dAcked === 1, 10_000, 100);
  }));

c2d("a C2D message above maxInboundBytes is skipped and acknowledged; the link stays up, telemetry and desired changes go on", () =>
  run(async (w, device) => {
    const got: string[] = [];
    const desired: unknown[] = [];
    device.onC2D((body) => got.push(body));
    device.onDesired((d) => desired.push(d));
    const connections = w.sim.counters().devices.dev1.connections;
    await w.delivered(device, () => w.sim.sendC2D("dev1", "x".repeat(20_000)));
    await w.advanceUntil(() => w.sim.counters().devices.dev1.c2dAcked === 1, 10_000, 100);
    for (let i = 1; i <= 40; i++) {
      device.sendTelemetry(JSON.stringify({ seq: i }));
      if (i === 20) w.sim.updateDesired("dev1", { fan: "on" });
      await w.advance(15_000);
    }
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 40, 60_000, 1000);
    assert.is(got.length, 0, "the oversized body never reaches the handler");
    assert.is(device.stats().messagesTooLarge, 1);
    assert.is(w.sim.counters().devices.dev1.connections, connections, "no reconnect");
    assert.is(w.sim.telemetry("dev1").length, 40);
    assert.ok(desired.some((d) => (d as { fan?: string }).fan === "on"), "the desired change made meanwhile arrives");
    assert.ok(w.logs.some((l) => l.includes("above maxInboundBytes")));
    await w.delivered(device, () => w.sim.sendC2D("dev1", "small again"));
    await w.advanceUntil(() => got.length === 1, 10_000, 100);
    assert.is(got[0], "small again");
  }, { maxInboundBytes: 4096 }));

c2d.run();

const methods = suite("hub: direct methods");

methods("a method round trip: handler answers with status and body", () =>
  run(async (w, device) => {
    device.onMethod("setInterval", (payload, respond) => respond(200, { applied: JSON.parse(payload).seconds }));
    const r = await (await w.delivered(device, () => w.sim.invokeMethod("dev1", "setInterval", { seconds: 30 }))).result;
    assert.is(r.status, 200);
    assert.equal(r.payload, { applied: 30 });
  }));

methods("unknown method -> 404 with a message; a handler that never answers -> 504", () =>
  run(async (w, device) => {
    const r = await (await w.delivered(device, () => w.sim.invokeMethod("dev1", "nope", {}))).result;
    assert.is(r.status, 404);
    assert.match(JSON.stringify(r.payload), /no handler for method nope/);
    device.onMethod("slow", () => undefined);
    const slow = await w.delivered(device, () => w.sim.invokeMethod("dev1", "slow", {}, { timeoutMs: 60_000 }));
    await w.advance(31_000);
    const s = await slow.result;
    assert.is(s.status, 504);
  }));

methods("Reprovision -> answered 200, cache cleared, DPS run, connected again", () =>
  run(async (w, device) => {
    const before = w.sim.counters().dps.registrations;
    const result = await w.delivered(device, () => w.sim.invokeMethod("dev1", "Reprovision", {}));
    assert.is((await result.result).status, 200);
    await w.advanceUntil(() => w.sim.counters().dps.registrations === before + 1, 60_000, 500);
    await w.advanceUntil(() => device.stats().status === "Connected", 200_000);
    assert.ok(w.statuses.includes("Provisioning/Reprovisioning"));
  }));

methods.run();

const twin = suite("hub: device twin");

twin("full GET after connecting delivers desired; reported PATCH lands with a new version", () =>
  run(async (w, device) => {
    const desired: Array<[Record<string, unknown>, number]> = [];
    device.onDesired((d, v) => desired.push([d, v]));
    await w.delivered(device, () => w.sim.updateDesired("dev1", { interval: 5 }));
    await w.advanceUntil(() => desired.length >= 1, 10_000, 100);
    assert.is(desired[desired.length - 1][0].interval, 5);
    device.reportProperties({ firmware: "1.2.0" });
    await w.advanceUntil(() => (w.sim.twin("dev1").reported as Record<string, unknown>).firmware === "1.2.0", 10_000, 100);
    // Desired changes made while offline arrive with the GET after the reconnect.
    w.sim.dropDevice("dev1");
    await w.until(() => device.stats().status !== "Connected");
    w.sim.updateDesired("dev1", { interval: 9 });
    await w.advanceUntil(() => desired.some((d) => d[0].interval === 9), 120_000);
    assert.ok(w.sim.counters().devices.dev1.twinGets >= 2, "a full GET after every connect");
  }));

twin("a stale desired version is ignored", () =>
  run(async (w, device) => {
    const versions: number[] = [];
    device.onDesired((_d, v) => versions.push(v));
    const v1 = (await w.delivered(device, () => w.sim.updateDesired("dev1", { a: 1 }))).result;
    const v2 = (await w.delivered(device, () => w.sim.updateDesired("dev1", { a: 2 }))).result;
    await w.advanceUntil(() => versions.includes(v2), 10_000, 100);
    // Replay of an older version (as after a reconnect race): ignored.
    const sent = versions.length;
    await w.delivered(device, () => w.sim.replayDesired("dev1", { a: 1 }, v1));
    assert.is(versions.length, sent);
    assert.ok(w.logs.some((l) => l.includes(`desired version ${v1} ignored`)));
  }));

twin("reported PATCH answered 429 / 503 -> retried later, then lands", () =>
  run(async (w, device) => {
    w.sim.failTwin("dev1", 503, 1);
    device.reportProperties({ state: "ok" });
    await w.advanceUntil(() => (w.sim.twin("dev1").reported as Record<string, unknown>).state === "ok", 120_000);
    assert.ok(w.sim.counters().devices.dev1.twinPatches >= 2);
  }));

twin("a twin document above maxInboundBytes -> full GETs disabled, the link stays up (no loop)", async () => {
  const w = await createWorld();
  try {
    const e = w.sim.enrollIndividual("dev1", { initialDesired: { blob: "x".repeat(3000) } });
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key, { maxInboundBytes: 1024 }));
    await w.advanceUntil(() => w.logs.some((l) => l.includes("full twin GET disabled")), 300_000);
    assert.is(device.stats().status, "Connected");
    const gets = w.sim.counters().devices.dev1.twinGets;
    const connections = w.sim.counters().devices.dev1.connections;
    await w.advance(30 * 60_000);
    assert.is(device.stats().status, "Connected", "stays connected");
    assert.is(w.sim.counters().devices.dev1.connections, connections, "no reconnect");
    assert.is(w.sim.counters().devices.dev1.twinGets, gets, "no GET loop");
  } finally {
    await w.stop();
  }
});

twin("a reported patch made from the Connected callback is sent once", async () => {
  const w = await createWorld();
  try {
    const e = w.sim.enrollIndividual("dev1");
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    let reported = 0;
    device.onStatus((status) => {
      if (status === "Connected" && reported++ === 0) device.reportProperties({ online: true });
    });
    await w.advanceUntil(() => !!w.sim.device("dev1") && (w.sim.twin("dev1").reported as Record<string, unknown>).online === true, 300_000);
    await w.advance(120_000);
    assert.is(w.sim.counters().devices.dev1.twinPatches, 1, "one PATCH, $version + 1");
  } finally {
    await w.stop();
  }
});

twin.run();
