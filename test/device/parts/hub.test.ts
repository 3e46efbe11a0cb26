// The hub part (firmware/device/hub.ts) against a fake link: the CONNECT it builds, the
// subscriptions after CONNACK, where each inbound message goes, and what the policy hears
// when the session gives up. The real MQTT session writes the bytes; the twin, methods and
// telemetry are recording stand-ins.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHub } from "../../../firmware/device/hub";
import { LINK_HUB } from "../../../firmware/device/core";
import { KIND_HUB_CONNACK, KIND_HUB_SOCKET, KIND_HUB_TIMEOUT, AWAIT_CONNACK } from "../../../firmware/policy/classify";
import { SOCKET_ERROR } from "../../../firmware/status";
import { testCore, hubConfig, dpsConfig, policyCalls, HUB, KEY, TestCore } from "./kit";

const DEVICE = "HostName=" + HUB + ";DeviceId=dev1;SharedAccessKey=" + KEY;

function hubCore(connectionString = DEVICE, extra = {}): TestCore {
  const core = testCore(hubConfig(connectionString, extra));
  core.hub = createHub(core);
  return core;
}

/** Connected and subscribed as dev1. */
function upCore(extra = {}): TestCore {
  const core = hubCore(DEVICE, extra);
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  core.link.serve({ cmd: "connack", returnCode: 0, sessionPresent: false });
  const [sub] = core.link.sent().filter((p) => p.cmd === "subscribe");
  core.link.serve({ cmd: "suback", messageId: sub.messageId, granted: [0, 0, 0, 1] });
  core.link.sent();
  core.calls.length = 0;
  return core;
}

function publish(core: TestCore, topic: string, payload: string | Buffer, qos = 0, messageId = 0): void {
  core.link.serve({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos ? messageId : undefined, retain: false, dup: false });
}

const connect = suite("device part hub: connect");

connect("a device key -> CONNECT with the device id, the hub username and a fresh SAS token", () => {
  const core = hubCore();
  core.hub.connect(HUB, "dev1");
  assert.is(core.link.connects.length, 1);
  const c = core.link.connects[0];
  assert.is(c.kind, LINK_HUB);
  assert.equal(c.options, { host: HUB, port: 8883, tls: true });
  assert.is(core.stats.connectAttempts, 1);
  assert.ok(core.hubSession, "the hub session is made at the first connection");
  assert.is(c.session, core.hubSession);
  assert.is(core.link.writes.length, 0, "nothing written before the socket opens");
  core.link.opened();
  const [p] = core.link.sent();
  assert.is(p.cmd, "connect");
  assert.is(p.clientId, "dev1");
  assert.is(p.clean, false);
  assert.is(p.keepalive, 120);
  assert.match(p.username, new RegExp("^" + HUB.replace(/\./g, "\\.") + "/dev1/\\?api-version=2021-04-12&DeviceClientType="));
  const password = Buffer.from(p.password).toString();
  assert.match(password, /^SharedAccessSignature sr=hub-a\.azure-devices\.net%2Fdevices%2Fdev1&sig=[^&]+&se=\d+$/);
  const se = Number(/se=(\d+)/.exec(password)![1]);
  assert.is(se, core.hal.utc + 3600, "expires a token lifetime from now");
  assert.ok(core.calls.includes("telemetry.setDeviceId dev1,false"));
});

connect("a module identity with a model id -> client id device/module, model id in the username", () => {
  const core = hubCore(DEVICE + ";ModuleId=mod1", { modelId: "dtmi:com:example:Thermostat;1" });
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  const [p] = core.link.sent();
  assert.is(p.clientId, "dev1/mod1");
  assert.match(p.username, /^hub-a\.azure-devices\.net\/dev1\/mod1\/\?api-version=/);
  assert.match(p.username, /&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1$/);
  assert.match(Buffer.from(p.password).toString(), /sr=hub-a\.azure-devices\.net%2Fdevices%2Fdev1%2Fmodules%2Fmod1&/);
});

connect("a SAS token in the connection string -> sent as it is", () => {
  const token = "SharedAccessSignature sr=x&sig=y&se=1";
  const core = hubCore("HostName=" + HUB + ";DeviceId=dev1;SharedAccessSignature=" + token);
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  assert.is(Buffer.from(core.link.sent()[0].password).toString(), token);
});

connect("a key but the clock not set -> CONNECT without a password (the hub refuses, the policy waits)", () => {
  const core = hubCore();
  core.hal.synced = false;
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  const [p] = core.link.sent();
  assert.is(p.cmd, "connect");
  assert.is(p.password, undefined);
});

connect("CONNACK accepted -> counted, the four topics subscribed, the twin and policy told", () => {
  const core = hubCore();
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  core.link.sent();
  core.link.serve({ cmd: "connack", returnCode: 0, sessionPresent: false });
  assert.is(core.stats.hubConnections, 1);
  assert.is(core.hub.subscribing, true);
  const [sub] = core.link.sent();
  assert.is(sub.cmd, "subscribe");
  assert.equal(sub.subscriptions.map((s: { topic: string; qos: number }) => s.topic + " " + s.qos), [
    "$iothub/methods/POST/# 0",
    "$iothub/twin/res/# 0",
    "$iothub/twin/PATCH/properties/desired/# 0",
    "devices/dev1/messages/devicebound/# 1",
  ]);
  assert.ok(core.calls.indexOf("twin.connected false") >= 0);
  assert.equal(policyCalls(core), ["hubConnected "]);
  assert.not.ok(core.calls.includes("twin.connected true"), "the twin is read only once subscribed");
  core.link.serve({ cmd: "suback", messageId: sub.messageId, granted: [0, 0, 0, 1] });
  assert.is(core.hub.subscribing, false);
  assert.ok(core.calls.includes("twin.connected true"));
});

connect("a module -> no C2D subscription", () => {
  const core = hubCore(DEVICE + ";ModuleId=mod1");
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  core.link.serve({ cmd: "connack", returnCode: 0, sessionPresent: false });
  const sub = core.link.sent().find((p) => p.cmd === "subscribe")!;
  assert.is(sub.subscriptions.length, 3);
});

connect("another device id on the next connect -> in-flight telemetry re-sent; the same id -> not", () => {
  const core = testCore(dpsConfig());
  core.hub = createHub(core);
  core.hub.connect(HUB, "dev1");
  const session = core.hubSession;
  assert.equal(core.calls.filter((c) => c.startsWith("telemetry.setDeviceId")), ["telemetry.setDeviceId dev1,false"], "the first identity is no change");
  core.link.close(false);
  core.hub.connect(HUB, "dev1");
  assert.equal(core.calls.filter((c) => c.startsWith("telemetry.setDeviceId")).slice(1), ["telemetry.setDeviceId dev1,false"]);
  core.link.close(false);
  core.hub.connect("hub-b.azure-devices.net", "dev2");
  assert.equal(core.calls.filter((c) => c.startsWith("telemetry.setDeviceId")).slice(2), ["telemetry.setDeviceId dev2,true"]);
  assert.is(core.hub.deviceId, "dev2");
  assert.is(core.hubSession, session, "one hub session for the device's life");
  assert.is(core.link.connects[2].options.host, "hub-b.azure-devices.net");
});

const inbound = suite("device part hub: inbound messages");

inbound("a method call -> methods.handle with name, rid and payload", () => {
  const core = upCore();
  publish(core, "$iothub/methods/POST/reboot/?$rid=7", '{"delay":5}');
  assert.equal(core.calls, ['methods.handle reboot,7,{"delay":5}']);
});

inbound("a desired patch -> twin.desired with its version; a GET answer -> twin.response with rid and status", () => {
  const core = upCore();
  publish(core, "$iothub/twin/PATCH/properties/desired/?$version=5", '{"a":1,"$version":5}');
  publish(core, "$iothub/twin/res/200/?$rid=3", '{"desired":{}}');
  assert.equal(core.calls, [
    'twin.desired {"a":1,"$version":5},5,false',
    'twin.response 3,200,{"desired":{}},$iothub/twin/res/200/?$rid=3',
  ]);
});

inbound("a C2D message at QoS 1 -> handed over with its properties, then acknowledged", () => {
  const core = upCore();
  const seen: unknown[] = [];
  core.telemetry.onC2D = (body, props) => seen.push([body, props]);
  publish(core, "devices/dev1/messages/devicebound/%24.mid=m1&color=blue", "héllo", 1, 42);
  assert.equal(seen, [["héllo", { "$.mid": "m1", color: "blue" }]]);
  assert.equal(core.calls, []);
  const [ack] = core.link.sent();
  assert.equal([ack.cmd, ack.messageId], ["puback", 42]);
});

inbound("C2D: the application's handler gets the body and properties; without one nothing happens", () => {
  const core = upCore();
  publish(core, "devices/dev1/messages/devicebound/a=b", "before");
  const seen: unknown[] = [];
  core.telemetry.onC2D = (body, props) => seen.push([body, props]);
  publish(core, "devices/dev1/messages/devicebound/a=b", "hi");
  assert.equal(seen, [["hi", { a: "b" }]]);
  assert.equal(core.hal.lines.filter((l) => l.startsWith("0 ")), []);
});

inbound("C2D: a handler that throws -> logged, acknowledged, the next message still handled", () => {
  const core = upCore();
  let n = 0;
  core.telemetry.onC2D = () => {
    n++;
    throw new Error("bad c2d");
  };
  publish(core, "devices/dev1/messages/devicebound/", "1", 1, 7);
  publish(core, "devices/dev1/messages/devicebound/", "2", 1, 8);
  assert.is(n, 2);
  assert.equal(core.hal.lines.filter((l) => l.includes("C2D handler threw: bad c2d")).length, 2);
  assert.equal(core.link.sent().map((p) => [p.cmd, p.messageId]), [["puback", 7], ["puback", 8]]);
});

inbound("a topic nobody owns -> logged and acknowledged, no part called", () => {
  const core = upCore();
  publish(core, "somewhere/else", "x", 1, 9);
  assert.equal(core.calls, []);
  assert.ok(core.hal.lines.some((l) => l.includes("ignored a message on somewhere/else")));
  assert.equal(core.link.sent().map((p) => p.cmd + " " + p.messageId), ["puback 9"]);
});

inbound("a method call above maxInboundBytes -> refused 413, never handled", () => {
  const core = upCore({ maxInboundBytes: 512 });
  publish(core, "$iothub/methods/POST/big/?$rid=11", Buffer.alloc(1000, 65));
  assert.equal(core.calls, ["methods.handle big,11,"]);
  assert.ok(core.hal.lines.some((l) => l.includes("above maxInboundBytes (512)")));
});

inbound("a desired patch above maxInboundBytes -> the twin reads the whole document", () => {
  const core = upCore({ maxInboundBytes: 512 });
  publish(core, "$iothub/twin/PATCH/properties/desired/?$version=9", Buffer.alloc(1000, 65));
  assert.equal(core.calls, ["twin.response ,0,,$iothub/twin/PATCH/properties/desired/?$version=9"]);
});

inbound("a GET answer above maxInboundBytes -> twin.response with its rid and TWIN_TOO_LARGE", () => {
  const core = upCore({ maxInboundBytes: 512 });
  publish(core, "$iothub/twin/res/200/?$rid=4", Buffer.alloc(1000, 65));
  assert.equal(core.calls, ["twin.response 4,0,,$iothub/twin/res/200/?$rid=4"]);
});

inbound("a C2D message above maxInboundBytes -> dropped and logged, the link stays", () => {
  const core = upCore({ maxInboundBytes: 512 });
  publish(core, "devices/dev1/messages/devicebound/a=b", Buffer.alloc(1000, 65), 1, 5);
  assert.equal(core.calls, []);
  assert.equal(core.link.sent().map((p) => p.cmd + " " + p.messageId), ["puback 5"], "the session acknowledged it unread");
  assert.is(core.link.closeLater, 0);
});

const closed = suite("device part hub: the session gives up");

closed("CONNACK refused -> hubFailed as a CONNACK failure with its return code", () => {
  const core = hubCore();
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  core.link.serve({ cmd: "connack", returnCode: 5, sessionPresent: false });
  assert.equal(policyCalls(core), ["hubFailed " + KIND_HUB_CONNACK + ",5"]);
  assert.is(core.stats.hubConnections, 0);
});

closed("no CONNACK in time -> hubFailed as a timeout awaiting CONNACK", () => {
  const core = hubCore();
  core.hub.connect(HUB, "dev1");
  core.link.opened();
  core.hal.t += 10 * 60 * 1000;
  core.hubSession!.tick(core.hal.t);
  core.settle();
  assert.equal(policyCalls(core), ["hubFailed " + KIND_HUB_TIMEOUT + "," + AWAIT_CONNACK]);
});

closed("any other code -> a socket failure, logged", () => {
  const core = hubCore();
  core.hub.sessionClosed(-5);
  assert.equal(policyCalls(core), ["hubFailed " + KIND_HUB_SOCKET + "," + SOCKET_ERROR]);
  assert.ok(core.hal.lines.some((l) => l.includes("code -5")));
});

connect.run();
inbound.run();
closed.run();
