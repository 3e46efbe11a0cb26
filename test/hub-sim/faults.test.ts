// Fault injection through the API, observed by a plain MQTT client.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MALFORMED } from "../../tools/hub-sim/index";
import type { MalformedKind } from "../../tools/hub-sim/index";
import { TestClient, dpsPassword, dpsUsername, settle } from "./mqtt-client";
import { HUB_A, HUB_B, KEY, dpsClient, fixture, hubClient, hubConnect, open, poll, provision, register, teardown, type Fixture } from "./sim-helpers";

let f: Fixture | undefined;
async function fresh(options = {}): Promise<Fixture> {
  await teardown(f);
  f = await fixture(options);
  f.sim.addDevice("dev1", { hub: "hub-a", key: KEY });
  f.sim.addDevice("dev2", { hub: "hub-a", key: KEY });
  f.sim.addDevice("dev3", { hub: "hub-b", key: KEY });
  return f;
}
const done = () => teardown(f).then(() => (f = undefined));

async function refused(host: string): Promise<string> {
  try {
    const c = await TestClient.open({ host, address: f!.sim.hosts[host], caPem: f!.sim.caPem });
    c.close();
    return "connected";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? "error";
  }
}

const hub = suite("faults: hub");
hub.after(done);

hub("drop hub -> every connection of that hub closed, other hubs untouched", async () => {
  await fresh();
  const a1 = await hubClient(f!, HUB_A, "dev1", KEY);
  const a2 = await hubClient(f!, HUB_A, "dev2", KEY);
  const b = await hubClient(f!, HUB_B, "dev3", KEY);
  assert.is(f!.sim.dropHub("hub-a"), 2);
  await a1.waitClosed();
  await a2.waitClosed();
  assert.ok(await b.staysOpen(50));
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
});

hub("outage, refuse mode -> connections dropped, TCP refused until N s of sim clock pass", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await f!.sim.hubOutage("hub-a", 30, "refuse");
  await c.waitClosed();
  assert.is(await refused(HUB_A), "ECONNREFUSED");
  assert.is(await refused(HUB_B), "connected");
  f!.clock.advance(29_000);
  f!.sim.sweep();
  assert.is(await refused(HUB_A), "ECONNREFUSED");
  f!.clock.advance(1_000);
  const over = f!.sim.waitForEvent((e) => e.type === "fault" && e.text === "outage over");
  f!.sim.sweep();
  await over;
  await settle();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
});

hub("outage, connack3 mode -> CONNACK 3 until it ends", async () => {
  await fresh();
  await f!.sim.hubOutage("hub-a", 10, "connack3");
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 3);
  f!.clock.advance(10_000);
  f!.sim.sweep();
  await settle();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
  assert.is(f!.sim.counters().hubs[HUB_A].connacks[3], 1);
});

hub("reject device -> its connection dropped and CONNACK 5 from then on; cleared -> 0", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  f!.sim.rejectDevice("dev1");
  await c.waitClosed();
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 5);
  assert.is((await hubConnect(f!, HUB_A, "dev2", KEY)).code, 0);
  f!.sim.rejectDevice("dev1", false);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
});

hub("move a DPS device -> connection dropped, old hub CONNACK 5, new hub only after DPS", async () => {
  await fresh();
  f!.sim.enrollIndividual("m1", { key: KEY });
  await provision(f!, "m1", KEY);
  const c = await hubClient(f!, HUB_A, "m1", KEY);
  f!.sim.moveDevice("m1", "hub-b");
  await c.waitClosed();
  assert.is(f!.sim.device("m1")?.hub, null);
  assert.is((await hubConnect(f!, HUB_B, "m1", KEY)).code, 5);
  await provision(f!, "m1", KEY);
  assert.is((await hubConnect(f!, HUB_B, "m1", KEY)).code, 0);
});

hub("move a device that never used DPS -> moves at once", async () => {
  await fresh();
  f!.sim.moveDevice("dev1", "hub-b");
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 5);
  assert.is((await hubConnect(f!, HUB_B, "dev1", KEY)).code, 0);
});

hub("drop PUBACKs -> none sent; the device's resend (dup) is recorded again and acknowledged", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  f!.sim.dropPubacks("dev1", 1);
  c.publish("devices/dev1/messages/events/", "m", 1, { messageId: 5 });
  await f!.sim.waitForEvent((e) => e.type === "puback-dropped");
  assert.ok(await c.staysOpen(50));
  assert.is(c.packets.length, 0);
  c.publish("devices/dev1/messages/events/", "m", 1, { messageId: 5, dup: true });
  assert.is((await c.take<{ cmd: "puback"; messageId: number }>("puback")).messageId, 5);
  assert.equal(f!.sim.telemetry("dev1").map((r) => [r.messageId, r.dup]), [[5, false], [5, true]]);
});

hub("delay PUBACKs -> held until the sim clock passes the delay", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  f!.sim.delayPubacks("dev1", 5000);
  c.publish("devices/dev1/messages/events/", "m", 1, { messageId: 8 });
  await f!.sim.waitForEvent((e) => e.type === "puback-delayed");
  f!.clock.advance(4999);
  f!.sim.sweep();
  assert.ok(await c.staysOpen(50));
  assert.is(c.packets.length, 0);
  f!.clock.advance(1);
  f!.sim.sweep();
  assert.is((await c.take<{ cmd: "puback"; messageId: number }>("puback")).messageId, 8);
  f!.sim.clearPubackFault("dev1");
  c.publish("devices/dev1/messages/events/", "m", 1, { messageId: 9 });
  assert.is((await c.take<{ cmd: "puback"; messageId: number }>("puback")).messageId, 9);
});

hub("malformed packet -> exactly those bytes reach the device", async () => {
  await fresh();
  for (const kind of Object.keys(MALFORMED) as MalformedKind[]) {
    const c = await hubClient(f!, HUB_A, "dev1", KEY);
    assert.ok(f!.sim.sendMalformed("dev1", kind), kind);
    const expected = Buffer.from(MALFORMED[kind].bytes);
    await c.waitFor(() => (Buffer.concat(c.rawIn).subarray(-expected.length).equals(expected) ? true : undefined), 2000, kind);
    c.close();
  }
  assert.not.ok(f!.sim.sendMalformed("nobody"));
});

hub("twin fault -> next GET answered with the given status", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["$iothub/twin/res/#"], 0);
  f!.sim.failTwin("dev1", 429);
  c.publish("$iothub/twin/GET/?$rid=1", "", 0);
  assert.is((await c.message("$iothub/twin/res/")).topic, "$iothub/twin/res/429/?$rid=1");
  c.publish("$iothub/twin/GET/?$rid=2", "", 0);
  assert.is((await c.message("$iothub/twin/res/")).topic, "$iothub/twin/res/200/?$rid=2");
});

hub.run();

const dps = suite("faults: DPS");
dps.after(done);

dps("outage, refuse mode -> TCP refused, back after N s", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  await f!.sim.dpsOutage(20, "refuse");
  assert.is(await refused(f!.sim.dpsHost), "ECONNREFUSED");
  f!.clock.advance(20_000);
  const over = f!.sim.waitForEvent((e) => e.type === "fault" && e.text === "outage over");
  f!.sim.sweep();
  await over;
  await settle();
  assert.is((await provision(f!, "r1", KEY)).body.status, "assigned");
});

dps("outage, connack3 mode -> CONNACK 3", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  await f!.sim.dpsOutage(20, "connack3");
  const c = await open(f!, f!.sim.dpsHost);
  assert.is((await c.connect("r1", dpsUsername(f!.sim.idScope, "r1"), dpsPassword(f!.sim.idScope, "r1", KEY, f!.se()))).returnCode, 3);
  await f!.sim.endDpsOutage();
  assert.is((await provision(f!, "r1", KEY)).status, 200);
});

dps("outage, 503 mode -> register answered 503", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  await f!.sim.dpsOutage(20, "503");
  const c = await dpsClient(f!, "r1", KEY);
  assert.is((await register(c, "r1")).status, 503);
});

dps("throttling -> register and poll answered 429 with retry-after, until it ends", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  const c = await dpsClient(f!, "r1", KEY);
  const op = String((await register(c, "r1")).body.operationId);
  f!.sim.dpsThrottle(30, 7);
  const r = await register(c, "r1");
  assert.is(r.status, 429);
  assert.is(r.retryAfter, 7);
  const p = await poll(c, op);
  assert.is(p.status, 429);
  assert.is(p.retryAfter, 7);
  f!.clock.advance(30_000);
  f!.sim.sweep();
  assert.is((await poll(c, op)).status, 200);
  assert.is(f!.sim.counters().dps.byRegistration.r1.throttled, 2);
});

dps("enrollment disabled later -> next registration answers disabled", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  assert.is((await provision(f!, "r1", KEY)).body.status, "assigned");
  f!.sim.setEnrollmentDisabled("r1", true);
  assert.is((await provision(f!, "r1", KEY)).body.status, "disabled");
});

dps("malformed packet on a DPS connection -> bytes reach the client", async () => {
  await fresh();
  f!.sim.enrollIndividual("r1", { key: KEY });
  const c = await dpsClient(f!, "r1", KEY);
  assert.ok(f!.sim.sendMalformed("r1", "reserved-type"));
  await c.waitFor(() => (c.parseError ? true : undefined));
});

dps.run();
