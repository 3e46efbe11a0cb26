// DPS over MQTT (as Microsoft documents it, with its published limits), driven by a plain MQTT client.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { dpsPassword, dpsUsername, sas } from "./mqtt-client";
import {
  HUB_A,
  HUB_B,
  KEY,
  OTHER_KEY,
  dpsClient,
  fixture,
  hubConnect,
  open,
  poll,
  provision,
  register,
  teardown,
  type Fixture,
} from "./sim-helpers";

let f: Fixture | undefined;
async function fresh(options = {}): Promise<Fixture> {
  await teardown(f);
  f = await fixture(options);
  return f;
}

const flow = suite("dps: register and poll");
flow.after(() => teardown(f).then(() => (f = undefined)));

flow("register -> 202 assigning with retry-after and an operation id", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  const a = await register(c, "dev1");
  assert.is(a.status, 202);
  assert.is(a.retryAfter, 3);
  assert.is(a.body.status, "assigning");
  assert.match(String(a.body.operationId), /^4\.[0-9a-f]{16}\.[0-9a-f-]{36}$/);
});

flow("poll -> 200 assigned with the full registrationState", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY, deviceId: "device-one" });
  const a = await provision(f!, "dev1", KEY);
  assert.is(a.status, 200);
  assert.is(a.body.status, "assigned");
  const rs = a.body.registrationState as Record<string, unknown>;
  assert.is(rs.assignedHub, HUB_A);
  assert.is(rs.deviceId, "device-one");
  assert.is(rs.registrationId, "dev1");
  assert.is(rs.status, "assigned");
  assert.is(rs.substatus, "initialAssignment");
  for (const k of ["createdDateTimeUtc", "lastUpdatedDateTimeUtc"]) assert.match(String(rs[k]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  assert.type(rs.etag, "string");
  assert.is(sim.device("device-one")?.hub, HUB_A);
});

flow("poll before the assignment delay -> 202 assigning again, then 200", async () => {
  const { sim, clock } = await fresh({ dpsAssignDelayMs: 2000 });
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  const a = await register(c, "dev1");
  const early = await poll(c, String(a.body.operationId));
  assert.is(early.status, 202);
  assert.is(early.body.status, "assigning");
  assert.is(early.retryAfter, 3);
  clock.advance(2000);
  assert.is((await poll(c, String(a.body.operationId))).body.status, "assigned");
});

flow("poll of an unknown operation id -> 404", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  assert.is((await poll(c, "4.0000.nope")).status, 404);
});

flow("register body naming another registration id -> 400", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  assert.is((await register(c, "dev1", { registrationId: "dev2" })).status, 400);
});

flow("group enrollment -> derived key accepted, deviceId = registration id", async () => {
  const { sim } = await fresh();
  sim.enrollGroup("g1", { key: OTHER_KEY });
  const a = await provision(f!, "sensor-7", sim.deviceKey("g1", "sensor-7"));
  assert.is(a.body.status, "assigned");
  assert.is((a.body.registrationState as Record<string, unknown>).deviceId, "sensor-7");
});

flow("disabled enrollment -> operation status disabled", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY, disabled: true });
  const a = await provision(f!, "dev1", KEY);
  assert.is(a.status, 200);
  assert.is(a.body.status, "disabled");
  assert.is(sim.device("dev1"), undefined);
});

flow("failing enrollment -> operation status failed with errorCode", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY, fail: { errorCode: 400209, errorMessage: "no hub" } });
  const a = await provision(f!, "dev1", KEY);
  assert.is(a.body.status, "failed");
  const rs = a.body.registrationState as Record<string, unknown>;
  assert.is(rs.errorCode, 400209);
  assert.is(rs.errorMessage, "no hub");
});

flow("QoS 2 subscription -> granted as QoS 1", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await open(f!, sim.dpsHost);
  await c.connect("dev1", dpsUsername(sim.idScope, "dev1"), dpsPassword(sim.idScope, "dev1", KEY, f!.se()));
  assert.equal((await c.subscribe(["$dps/registrations/res/#"], 2)).granted, [1]);
});

flow.run();

const auth = suite("dps: credentials");
auth.after(() => teardown(f).then(() => (f = undefined)));

auth("sr spelled %2f, %2F or / -> all accepted", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  for (const spelling of ["%2f", "%2F", "/"]) {
    const c = await dpsClient(f!, "dev1", KEY, dpsPassword(sim.idScope, "dev1", KEY, f!.se(), spelling));
    assert.is((await register(c, "dev1")).status, 202, spelling);
    c.close();
  }
});

auth("bad signature -> CONNACK 0 then 401 with errorCode 401002", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY, dpsPassword(sim.idScope, "dev1", OTHER_KEY, f!.se()));
  const a = await register(c, "dev1");
  assert.is(a.status, 401);
  assert.is(a.body.errorCode, 401002);
  assert.is(sim.counters().dps.unauthorized, 1);
});

auth("expired se -> 401", async () => {
  const { sim, clock } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY, dpsPassword(sim.idScope, "dev1", KEY, clock.seconds));
  assert.is((await register(c, "dev1")).status, 401);
});

auth("token that expires between register and poll -> poll 401", async () => {
  const { sim, clock } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY, dpsPassword(sim.idScope, "dev1", KEY, clock.seconds + 10));
  const a = await register(c, "dev1");
  clock.advance(10_000);
  assert.is((await poll(c, String(a.body.operationId))).status, 401);
});

auth("skn missing or not 'registration' -> 401", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  for (const skn of [undefined, "iothubowner"]) {
    const c = await dpsClient(f!, "dev1", KEY, sas(sim.idScope + "%2fregistrations%2fdev1", KEY, f!.se(), skn));
    assert.is((await register(c, "dev1")).status, 401, String(skn));
    c.close();
  }
});

auth("sr naming another registration -> 401", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY, dpsPassword(sim.idScope, "dev2", KEY, f!.se()));
  assert.is((await register(c, "dev1")).status, 401);
});

auth("no enrollment for the registration id -> 401", async () => {
  await fresh();
  const c = await dpsClient(f!, "ghost", KEY);
  assert.is((await register(c, "ghost")).status, 401);
});

auth("username with another scope or registration id -> CONNACK 5", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const password = dpsPassword(sim.idScope, "dev1", KEY, f!.se());
  for (const username of [dpsUsername("0ne99999999", "dev1"), dpsUsername(sim.idScope, "dev2"), sim.idScope + "/registrations/dev1", ""]) {
    const c = await open(f!, sim.dpsHost);
    assert.is((await c.connect("dev1", username, password)).returnCode, 5, username);
    await c.waitClosed();
  }
});

auth("username with ClientVersion suffix -> accepted", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await open(f!, sim.dpsHost);
  const ack = await c.connect("dev1", dpsUsername(sim.idScope, "dev1") + "&ClientVersion=c/1.2.3", dpsPassword(sim.idScope, "dev1", KEY, f!.se()));
  assert.is(ack.returnCode, 0);
});

auth.run();

const rules = suite("dps: topics, limits, counters, allocation");
rules.after(() => teardown(f).then(() => (f = undefined)));

rules("subscription to another topic -> disconnect", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await open(f!, sim.dpsHost);
  await c.connect("dev1", dpsUsername(sim.idScope, "dev1"), dpsPassword(sim.idScope, "dev1", KEY, f!.se()));
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] });
  await c.waitClosed();
});

rules("publish to a non-DPS topic -> disconnect", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  c.publish("devices/dev1/messages/events/", "x", 0);
  await c.waitClosed();
});

rules("6th poll within 10 s -> 429 with retry-after; allowed again once the window moved", async () => {
  const { sim, clock } = await fresh({ dpsAssignDelayMs: 60_000 });
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  const op = String((await register(c, "dev1")).body.operationId);
  for (let i = 0; i < 5; i++) {
    assert.is((await poll(c, op)).status, 202);
    clock.advance(1000);
  }
  const sixth = await poll(c, op);
  assert.is(sixth.status, 429);
  assert.is(sixth.retryAfter, 5);
  clock.advance(5000);
  assert.is((await poll(c, op)).status, 202);
  const counters = sim.counters().dps.byRegistration.dev1;
  assert.is(counters.polls, 7);
  assert.is(counters.throttled, 1);
});

rules("registrations beyond the per-minute limit -> 429 with retry-after", async () => {
  const { sim, clock } = await fresh({ rates: { dpsRegistrationsPerMinute: 2 } });
  sim.enrollIndividual("dev1", { key: KEY });
  const c = await dpsClient(f!, "dev1", KEY);
  assert.is((await register(c, "dev1")).status, 202);
  clock.advance(20_000);
  assert.is((await register(c, "dev1")).status, 202);
  const third = await register(c, "dev1");
  assert.is(third.status, 429);
  assert.is(third.retryAfter, 40);
  assert.is(third.body.errorCode, 429001);
  clock.advance(40_000);
  assert.is((await register(c, "dev1")).status, 202);
});

rules("counters -> registrations and polls per device and in total", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("a", { key: KEY });
  sim.enrollIndividual("b", { key: KEY });
  await provision(f!, "a", KEY);
  await provision(f!, "a", KEY);
  await provision(f!, "b", KEY);
  const dps = sim.counters().dps;
  assert.is(dps.registrations, 3);
  assert.is(dps.polls, 3);
  assert.is(dps.byRegistration.a.registrations, 2);
  assert.is(dps.byRegistration.a.assigned, 2);
  assert.is(dps.byRegistration.b.registrations, 1);
  assert.is(dps.connacks[0], 3);
});

rules("static allocation -> every device on the first hub; enrollment hub wins", async () => {
  const { sim } = await fresh();
  sim.enrollGroup("g", { key: KEY });
  sim.enrollIndividual("pinned", { key: KEY, hub: "hub-b" });
  for (const id of ["d1", "d2"]) await provision(f!, id, sim.deviceKey("g", id));
  await provision(f!, "pinned", KEY);
  assert.is(sim.device("d1")?.hub, HUB_A);
  assert.is(sim.device("d2")?.hub, HUB_A);
  assert.is(sim.device("pinned")?.hub, HUB_B);
});

rules("round-robin allocation -> hubs in turn; a re-registration keeps its hub", async () => {
  const { sim } = await fresh({ allocation: "round-robin" });
  sim.enrollGroup("g", { key: KEY });
  for (const id of ["d1", "d2", "d3"]) await provision(f!, id, sim.deviceKey("g", id));
  assert.equal(["d1", "d2", "d3"].map((id) => sim.device(id)?.hub), [HUB_A, HUB_B, HUB_A]);
  await provision(f!, "d2", sim.deviceKey("g", "d2"));
  assert.is(sim.device("d2")?.hub, HUB_B);
});

rules("moved device -> DPS assigns the new hub (deviceDataMigrated); the old hub answers CONNACK 5", async () => {
  const { sim } = await fresh();
  sim.enrollIndividual("dev1", { key: KEY });
  await provision(f!, "dev1", KEY);
  sim.moveDevice("dev1", "hub-b");
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 5);
  const a = await provision(f!, "dev1", KEY);
  const rs = a.body.registrationState as Record<string, unknown>;
  assert.is(rs.assignedHub, HUB_B);
  assert.is(rs.substatus, "deviceDataMigrated");
  assert.is((await hubConnect(f!, HUB_B, "dev1", KEY)).code, 0);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 5);
});

rules.run();
