// Fault commands as typed on the simulator's stdin.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { commandHelp, runCommand, splitCommand } from "../../tools/hub-sim/commands";
import { HUB_A, HUB_B, KEY, fixture, hubClient, hubConnect, teardown, type Fixture } from "./sim-helpers";

let f: Fixture | undefined;
async function fresh(): Promise<Fixture> {
  await teardown(f);
  f = await fixture();
  f.sim.addDevice("dev1", { hub: "hub-a", key: KEY });
  return f;
}

const parse = suite("commands: parsing");

parse("splitCommand: words, JSON arguments kept whole", () => {
  assert.equal(splitCommand("  outage  hub-a 30 refuse "), ["outage", "hub-a", "30", "refuse"]);
  assert.equal(splitCommand('desired dev1 {"a": {"b": "x y}"}}'), ["desired", "dev1", '{"a": {"b": "x y}"}}']);
  assert.equal(splitCommand("method dev1 m [1, 2] 5"), ["method", "dev1", "m", "[1, 2]", "5"]);
});

parse("help lists every fault command", () => {
  const text = commandHelp();
  for (const c of ["outage", "move", "puback", "reject", "drop", "malformed", "dps-outage", "dps-throttle", "c2d", "method", "desired"]) {
    assert.ok(text.includes(c + " "), c);
  }
});

parse.run();

const act = suite("commands: effects");
act.after(() => teardown(f).then(() => (f = undefined)));

act("unknown command or missing arguments -> message, no throw", async () => {
  await fresh();
  assert.match(await runCommand(f!.sim, "nope"), "unknown command");
  assert.match(await runCommand(f!.sim, "outage"), "usage: outage");
  assert.match(await runCommand(f!.sim, "outage hub-z 3"), "error: unknown hub");
  assert.match(await runCommand(f!.sim, "outage hub-a soon"), "error: seconds");
});

act("outage hub-a 30 connack3 -> CONNACK 3; end-outage -> 0", async () => {
  await fresh();
  assert.match(await runCommand(f!.sim, "outage hub-a 30 connack3"), HUB_A);
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 3);
  await runCommand(f!.sim, "end-outage hub-a");
  assert.is((await hubConnect(f!, HUB_A, "dev1", KEY)).code, 0);
});

act("move dev1 hub-b, reject, disable -> hub-side state", async () => {
  await fresh();
  await runCommand(f!.sim, "move dev1 hub-b");
  assert.is(f!.sim.device("dev1")?.hub, HUB_B);
  await runCommand(f!.sim, "reject dev1");
  assert.ok(f!.sim.device("dev1")?.rejected);
  await runCommand(f!.sim, "reject dev1 off");
  await runCommand(f!.sim, "disable dev1");
  assert.not.ok(f!.sim.device("dev1")?.enabled);
});

act("move of an enrolled, not yet provisioned registration -> enrollment points at the hub", async () => {
  await fresh();
  await runCommand(f!.sim, "enroll r9 " + KEY);
  await runCommand(f!.sim, "move r9 hub-b");
  assert.is(f!.sim.enrollment("r9")?.hub, HUB_B);
});

act("puback drop / delay / normal, dps-throttle, dps-outage -> faults set", async () => {
  await fresh();
  assert.match(await runCommand(f!.sim, "puback drop dev1 2"), "dropping");
  assert.match(await runCommand(f!.sim, "puback delay dev1 500"), "delaying");
  assert.match(await runCommand(f!.sim, "puback normal dev1"), "normal");
  assert.match(await runCommand(f!.sim, "dps-throttle 60 9"), "throttling");
  assert.match(await runCommand(f!.sim, "dps-outage 5 503"), "DPS down");
  assert.match(await runCommand(f!.sim, "dps-outage 5 sideways"), "error");
  await runCommand(f!.sim, "end-dps-outage");
});

act("c2d, desired, method, malformed -> reach a connected device", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  await c.subscribe(["devices/dev1/messages/devicebound/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#"], 1);
  assert.match(await runCommand(f!.sim, "c2d dev1 hello color=red"), "sent ");
  assert.match((await c.message("devices/dev1/messages/devicebound/")).topic, "&color=red");
  assert.match(await runCommand(f!.sim, 'desired dev1 {"led": "on"}'), "$version 2");
  await c.message("$iothub/twin/PATCH/properties/desired/");
  const call = runCommand(f!.sim, 'method dev1 ping {"n": 1} 5');
  const req = await c.message("$iothub/methods/POST/ping/");
  c.publish("$iothub/methods/res/200/?$rid=" + req.topic.split("$rid=")[1], '{"pong":1}', 0);
  assert.is(await call, 'ping -> 200 {"pong":1}');
  assert.is(await runCommand(f!.sim, "malformed dev1 qos3"), "sent");
  assert.match(await runCommand(f!.sim, "malformed dev1 weird"), "unknown kind");
});

act("devices, counters, telemetry, twin, hosts -> readable text", async () => {
  await fresh();
  const c = await hubClient(f!, HUB_A, "dev1", KEY);
  c.publish("devices/dev1/messages/events/a=1", "t1", 1);
  await c.take("puback");
  assert.match(await runCommand(f!.sim, "devices"), /dev1\s+hub-a\.azure-devices\.net\s+connected/);
  assert.match(await runCommand(f!.sim, "telemetry dev1"), '#1 {"a":"1"} t1');
  assert.is(JSON.parse(await runCommand(f!.sim, "counters")).devices.dev1.telemetry, 1);
  assert.is(JSON.parse(await runCommand(f!.sim, "twin dev1")).desired.$version, 1);
  assert.match(await runCommand(f!.sim, "hosts"), HUB_A + " -> 127.0.0.1:");
});

act.run();
