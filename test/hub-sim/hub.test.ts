// IoT Hub over MQTT (its documented topics, quotas and throttling), driven by a plain MQTT client.
import type { IConnackPacket } from "mqtt-packet";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { hubPassword, hubUsername, json, sas, settle } from "./mqtt-client";
import { HUB_A, HUB_B, KEY, OTHER_KEY, fixture, hubClient, hubConnect, open, provision, teardown, type Fixture } from "./sim-helpers";

let f: Fixture | undefined;
async function fresh(options = {}): Promise<Fixture> {
  await teardown(f);
  f = await fixture(options);
  f.sim.addDevice("dev1", { hub: "hub-a", key: KEY });
  return f;
}
const done = () => teardown(f).then(() => (f = undefined));

const connect = suite("hub: CONNECT rules");
connect.after(done);

connect("valid SAS token -> CONNACK 0", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
  assert.ok(f!.sim.device("dev1")?.connected);
});

connect("sr spelled %2F, %2f or / -> accepted when signed as sent", async () => {
  await fresh();
  for (const sr of [HUB_A + "%2Fdevices%2Fdev1", HUB_A + "%2fdevices%2fdev1", HUB_A + "/devices/dev1"]) {
    assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { password: sas(sr, KEY, f!.se()) })).code, 0, sr);
  }
});

connect("bad signature -> CONNACK 5 and close", async () => {
  await fresh();
  const r = await hubConnect(f!, HUB_A, "dev1", OTHER_KEY);
  assert.is(r.code, 5);
  await r.client.waitClosed();
  assert.is(f!.sim.counters().devices.dev1.connacks[5], 1);
});

connect("expired se -> CONNACK 5", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { se: f!.clock.seconds })).code, 5);
});

connect("sr of another device or hub -> CONNACK 5", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { password: hubPassword(HUB_A, "dev2", KEY, f!.se()) })).code, 5);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { password: hubPassword(HUB_B, "dev1", KEY, f!.se()) })).code, 5);
});

connect("unknown device -> CONNACK 5", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_A, "nobody", KEY)).code, 5);
});

connect("device of another hub -> CONNACK 5", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_B, "dev1", KEY)).code, 5);
});

connect("disabled device -> CONNACK 5; enabled again -> 0", async () => {
  await fresh();
  f!.sim.setDeviceEnabled("dev1", false);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 5);
  f!.sim.setDeviceEnabled("dev1", true);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
});

connect("username of another device or without api-version -> CONNACK 5", async () => {
  await fresh();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { username: hubUsername(HUB_A, "dev2") })).code, 5);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY, { username: HUB_A + "/dev1/" })).code, 5);
});

connect("DPS-provisioned device -> connects to its hub with the enrollment key", async () => {
  await fresh();
  f!.sim.enrollIndividual("reg9", { key: OTHER_KEY, deviceId: "dev9", hub: "hub-b" });
  await provision(f!, "reg9", OTHER_KEY);
  assert.is((await hubConnect(f!, HUB_B, "dev9", OTHER_KEY)).code, 0);
});

connect("second connection of a device -> the first one is dropped", async () => {
  await fresh();
  const first = await hubClient(f!, HUB_A, "dev1", KEY);
  const second = await hubClient(f!, HUB_A, "dev1", KEY);
  await first.waitClosed();
  assert.ok(await second.staysOpen());
  assert.ok(f!.sim.device("dev1")?.connected);
  assert.is(f!.sim.counters().devices.dev1.connections, 2);
});

connect.run();

const subs = suite("hub: SUBSCRIBE rules");
subs.after(done);

const FIVE = ["devices/dev1/messages/devicebound/#", "devices/+/messages/devicebound/#", "$iothub/methods/POST/#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"];

subs("5 subscriptions -> granted; a 6th distinct one -> disconnect", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  assert.equal((await c.subscribe(FIVE, 1)).granted, [1, 1, 1, 1, 1]);
  assert.equal((await c.subscribe([FIVE[0]], 1)).granted, [1]);
  c.send({ cmd: "subscribe", messageId: 77, subscriptions: [{ topic: "devices/dev1/messages/devicebound/x/#", qos: 1 }] });
  await c.waitClosed();
});

subs("unsubscribe frees a slot", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(FIVE.slice(0, 4), 1);
  c.send({ cmd: "unsubscribe", messageId: 50, unsubscriptions: [FIVE[0]] });
  await c.take("unsuback");
  await c.subscribe([FIVE[0], FIVE[4]], 1);
  assert.ok(await c.staysOpen());
  assert.is(f!.sim.device("dev1")?.subscriptions.length, 5);
});

subs("subscription to another device's or a foreign topic -> disconnect", async () => {
  await fresh();
  for (const topic of ["devices/dev2/messages/devicebound/#", "#"]) {
    const c = await hubClient(f!, HUB_A, "dev1", KEY);
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await c.waitClosed();
  }
});

subs("QoS 2 subscription -> granted QoS 1", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  assert.equal((await c.subscribe(["$iothub/twin/res/#"], 2)).granted, [1]);
});

subs.run();

const pub = suite("hub: PUBLISH rules and telemetry");
pub.after(done);

pub("telemetry -> recorded with decoded properties, payload bytes, QoS, arrival order", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  c.publish("devices/dev1/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&temp=21%2C5&flag", '{"t":1}', 1);
  await c.take("puback");
  c.publish("devices/dev1/messages/events/", Buffer.from([0, 255]), 0);
  await settle();
  const t = f!.sim.telemetry("dev1");
  assert.is(t.length, 2);
  assert.equal(t[0].properties, { "$.ct": "application/json", "$.ce": "utf-8", temp: "21,5", flag: null });
  assert.is(t[0].propertyBag, "%24.ct=application%2Fjson&%24.ce=utf-8&temp=21%2C5&flag");
  assert.is(t[0].payload.toString(), '{"t":1}');
  assert.is(t[0].qos, 1);
  assert.equal([...t[1].payload], [0, 255]);
  assert.ok(t[0].seq < t[1].seq);
  assert.is(f!.sim.counters().hubs[HUB_A].telemetry, 2);
});

pub("resend with dup -> recorded again with dup set", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  c.publish("devices/dev1/messages/events/", "x", 1, { messageId: 9 });
  c.publish("devices/dev1/messages/events/", "x", 1, { messageId: 9, dup: true });
  await c.take("puback");
  await c.take("puback");
  assert.equal(f!.sim.telemetry("dev1").map((r) => r.dup), [false, true]);
});

pub("QoS 2 publish -> disconnect, nothing recorded", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  c.publish("devices/dev1/messages/events/", "x", 2);
  await c.waitClosed();
  assert.is(f!.sim.telemetry("dev1").length, 0);
});

pub("publish to another device's topic or a foreign topic -> disconnect", async () => {
  await fresh();
  for (const topic of ["devices/dev2/messages/events/", "sensors/temp", "$iothub/twin/GET/"]) {
    const c = await hubClient(f!, HUB_A, "dev1", KEY);
    c.publish(topic, "x", 0);
    await c.waitClosed();
  }
});

pub("retain -> forwarded as mqtt-retain property, not stored or re-delivered", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  c.publish("devices/dev1/messages/events/a=1", "r", 1, { retain: true });
  await c.take("puback");
  const rec = f!.sim.telemetry("dev1")[0];
  assert.ok(rec.retain);
  assert.equal(rec.properties, { a: "1", "mqtt-retain": "true" });
  await c.subscribe(["devices/dev1/messages/devicebound/#"], 1);
  assert.ok(await c.staysOpen(100));
  assert.is(c.packets.filter((p) => p.cmd === "publish").length, 0);
});

pub("will on the telemetry topic -> recorded with iothub-MessageType=Will when the link breaks", async () => {
  await fresh();
  const c = await open(f!, HUB_A);
  await c.connect("dev1", hubUsername(HUB_A, "dev1"), hubPassword(HUB_A, "dev1", KEY, f!.se()), {
    will: { topic: "devices/dev1/messages/events/", payload: Buffer.from("bye"), qos: 1, retain: false },
  });
  f!.sim.dropDevice("dev1");
  await c.waitClosed();
  await settle(50);
  const t = f!.sim.telemetry("dev1");
  assert.is(t.length, 1);
  assert.ok(t[0].will);
  assert.is(t[0].properties["iothub-MessageType"], "Will");
});

pub.run();

const cloud = suite("hub: C2D, methods, twin");
cloud.after(done);

cloud("C2D with properties -> delivered QoS 1 with $.mid, $.to and encoded properties; ack counted", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["devices/dev1/messages/devicebound/#"], 1);
  const mid = f!.sim.sendC2D("dev1", "hello", { properties: { color: "red/blue", "$.ct": "text/plain" } });
  const m = await c.message("devices/dev1/messages/devicebound/");
  assert.is(m.qos, 1);
  assert.is(m.payload.toString(), "hello");
  const bag = m.topic.slice("devices/dev1/messages/devicebound/".length);
  assert.is(bag, "%24.mid=" + mid + "&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&color=red%2Fblue&%24.ct=text%2Fplain");
  c.puback(m.messageId!);
  await f!.sim.waitForEvent((e) => e.type === "c2d-ack");
  assert.is(f!.sim.counters().devices.dev1.c2dAcked, 1);
});

cloud("C2D to another device -> not delivered through a devices/+ filter", async () => {
  await fresh();
  f!.sim.addDevice("dev2", { hub: "hub-a", key: KEY });
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["devices/+/messages/devicebound/#"], 1);
  f!.sim.sendC2D("dev2", "not yours");
  assert.ok(await c.staysOpen(100));
  assert.is(c.packets.filter((p) => p.cmd === "publish").length, 0);
});

cloud("C2D while offline with clean session false -> delivered on reconnect", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY, { clean: false });
  await c.subscribe(["devices/dev1/messages/devicebound/#"], 1);
  c.close();
  await f!.sim.waitForEvent((e) => e.type === "disconnect");
  f!.sim.sendC2D("dev1", "queued");
  await settle();
  const again = await hubConnect(f!, HUB_A, "dev1", KEY, { clean: false });
  assert.ok(again.sessionPresent);
  const m = await again.client.message("devices/dev1/messages/devicebound/");
  assert.is(m.payload.toString(), "queued");
});

cloud("C2D while offline with clean session true -> not delivered", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY, { clean: true });
  await c.subscribe(["devices/dev1/messages/devicebound/#"], 1);
  c.close();
  await f!.sim.waitForEvent((e) => e.type === "disconnect");
  f!.sim.sendC2D("dev1", "lost");
  const again = await hubClient(f!, HUB_A, "dev1", KEY, { clean: true });
  await again.subscribe(["devices/dev1/messages/devicebound/#"], 1);
  assert.ok(await again.staysOpen(100));
  assert.is(again.packets.filter((p) => p.cmd === "publish").length, 0);
});

cloud("direct method -> request on $iothub/methods/POST, device status and payload returned", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/methods/POST/#"], 0);
  const call = f!.sim.invokeMethod("dev1", "reboot", { delay: 3 });
  const req = await c.message("$iothub/methods/POST/");
  const m = /^\$iothub\/methods\/POST\/reboot\/\?\$rid=(.+)$/.exec(req.topic);
  assert.ok(m);
  assert.equal(json(req), { delay: 3 });
  c.publish("$iothub/methods/res/202/?$rid=" + m![1], '{"ok":true}', 0);
  const r = await call;
  assert.is(r.status, 202);
  assert.equal(r.payload, { ok: true });
  assert.not.ok(r.timedOut);
});

cloud("direct method without an answer -> 504 after the timeout on the sim clock", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/methods/POST/#"], 0);
  let settled = false;
  const call = f!.sim.invokeMethod("dev1", "slow", null, { timeoutMs: 10_000 }).then((r) => ((settled = true), r));
  await c.message("$iothub/methods/POST/slow/");
  f!.clock.advance(9_999);
  f!.sim.sweep();
  await settle();
  assert.not.ok(settled);
  f!.clock.advance(1);
  f!.sim.sweep();
  const r = await call;
  assert.is(r.status, 504);
  assert.ok(r.timedOut);
  assert.is((r.payload as { errorCode: number }).errorCode, 504101);
});

cloud("direct method to an offline or unsubscribed device -> 404 (404103) at once", async () => {
  await fresh();
  assert.is((await f!.sim.invokeMethod("dev1", "x")).status, 404);
  await hubClient(f!, HUB_A, "dev1", KEY);
  const r = await f!.sim.invokeMethod("dev1", "x");
  assert.is(r.status, 404);
  assert.is((r.payload as { errorCode: number }).errorCode, 404103);
});

cloud("twin GET -> 200 with desired and reported and their $version", async () => {
  await fresh();
  f!.sim.updateDesired("dev1", { interval: 30 });
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/twin/res/#"], 0);
  c.publish("$iothub/twin/GET/?$rid=g1", "", 0);
  const r = await c.message("$iothub/twin/res/");
  assert.is(r.topic, "$iothub/twin/res/200/?$rid=g1");
  assert.equal(json(r), { desired: { interval: 30, $version: 2 }, reported: { $version: 1 } });
});

cloud("reported PATCH -> 204 with $version, stored; bad JSON -> 400", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/twin/res/#"], 0);
  c.publish("$iothub/twin/PATCH/properties/reported/?$rid=p1", '{"fw":"1.2","net":{"rssi":-60}}', 0);
  assert.is((await c.message("$iothub/twin/res/")).topic, "$iothub/twin/res/204/?$rid=p1&$version=2");
  c.publish("$iothub/twin/PATCH/properties/reported/?$rid=p2", '{"net":{"rssi":null}}', 0);
  assert.is((await c.message("$iothub/twin/res/")).topic, "$iothub/twin/res/204/?$rid=p2&$version=3");
  assert.equal(f!.sim.twin("dev1").reported, { fw: "1.2", net: {}, $version: 3 });
  c.publish("$iothub/twin/PATCH/properties/reported/?$rid=p3", "not json", 0);
  assert.is((await c.message("$iothub/twin/res/")).topic, "$iothub/twin/res/400/?$rid=p3");
});

cloud("desired PATCH -> pushed to the connected device with $version and kept for GET", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/twin/PATCH/properties/desired/#", "$iothub/twin/res/#"], 0);
  const v = f!.sim.updateDesired("dev1", { led: "on" });
  const m = await c.message("$iothub/twin/PATCH/properties/desired/");
  assert.is(m.topic, "$iothub/twin/PATCH/properties/desired/?$version=" + v);
  assert.equal(json(m), { led: "on", $version: v });
  c.publish("$iothub/twin/GET/?$rid=1", "", 0);
  assert.equal(json(await c.message("$iothub/twin/res/")).desired, { led: "on", $version: v });
});

cloud("desired PATCH while offline -> stored only (not replayed on reconnect)", async () => {
  await fresh();
  f!.sim.updateDesired("dev1", { led: "off" });
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/twin/PATCH/properties/desired/#"], 0);
  assert.ok(await c.staysOpen(100));
  assert.is(c.packets.filter((p) => p.cmd === "publish").length, 0);
  assert.is(f!.sim.twin("dev1").desired.led, "off");
});

cloud.run();

const time = suite("hub: token expiry and connection rate");
time.after(done);

time("token expires while connected -> dropped by sweep on the sim clock", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY, { se: f!.clock.seconds + 60 });
  f!.clock.advance(59_000);
  f!.sim.sweep();
  assert.ok(await c.staysOpen(50));
  f!.clock.advance(1_000);
  f!.sim.sweep();
  await c.waitClosed();
  assert.is(f!.sim.counters().devices.dev1.tokenExpiries, 1);
});

time("connections beyond the per-second rate -> CONNACK delayed until tokens refill", async () => {
  await fresh({ rates: { hubConnectionsPerSecond: 1, hubConnectionQueue: 5 } });
  f!.sim.addDevice("dev2", { hub: "hub-a", key: KEY });
  await hubClient(f!, HUB_A, "dev1", KEY);
  const c2 = await open(f!, HUB_A);
  c2.sendConnect("dev2", hubUsername(HUB_A, "dev2"), hubPassword(HUB_A, "dev2", KEY, f!.se()));
  await f!.sim.waitForEvent((e) => e.type === "shaping");
  f!.sim.sweep();
  assert.ok(await c2.staysOpen(50));
  assert.is(c2.packets.length, 0);
  f!.clock.advance(1000);
  f!.sim.sweep();
  assert.is((await c2.take<IConnackPacket>("connack")).returnCode, 0);
  assert.is(f!.sim.counters().hubs[HUB_A].shaped, 1);
});

time("connections beyond the shaping queue -> dropped without CONNACK", async () => {
  await fresh({ rates: { hubConnectionsPerSecond: 1, hubConnectionQueue: 1 } });
  for (const id of ["dev2", "dev3"]) f!.sim.addDevice(id, { hub: "hub-a", key: KEY });
  await hubClient(f!, HUB_A, "dev1", KEY);
  const queued = await open(f!, HUB_A);
  queued.sendConnect("dev2", hubUsername(HUB_A, "dev2"), hubPassword(HUB_A, "dev2", KEY, f!.se()));
  await f!.sim.waitForEvent((e) => e.type === "shaping");
  const dropped = await open(f!, HUB_A);
  dropped.sendConnect("dev3", hubUsername(HUB_A, "dev3"), hubPassword(HUB_A, "dev3", KEY, f!.se()));
  await dropped.waitClosed();
  assert.is(dropped.packets.length, 0);
  assert.not.ok(queued.closed);
  assert.is(f!.sim.counters().hubs[HUB_A].shapingDropped, 1);
});

time.run();
