// The provisioning part (firmware/device/provisioning.ts) against a fake link: CONNECT to DPS,
// the subscription, register, poll, and what the policy hears of each DPS answer (assigning,
// assigned, failed, unreadable, too large) and of a session that gives up. The real MQTT
// session writes the bytes; DPS is played by the test.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import createProvisioning from "../../../firmware/device/provisioning";
import { LINK_DPS } from "../../../firmware/device/core";
import { DPS_OP_ASSIGNING, DPS_OP_ASSIGNED, DPS_OP_FAILED } from "../../../firmware/azure/dps";
import { KIND_DPS_CONNACK, KIND_DPS_RESPONSE, KIND_DPS_SOCKET } from "../../../firmware/policy/classify";
import { SOCKET_ERROR } from "../../../firmware/status";
import { DeviceConfig } from "../../../firmware/config";
import { testCore, dpsConfig, policyCalls, TestCore, HUB, KEY } from "./kit";

const OP = "4.0a1b2c3d4e5f.abcdef01-2345-6789";

function dpsCore(extra: Partial<DeviceConfig> = {}): TestCore {
  const core = testCore(dpsConfig(extra));
  core.provisioning = createProvisioning(core);
  return core;
}

/** Connected, subscribed, the registration sent. */
function registered(extra: Partial<DeviceConfig> = {}): TestCore {
  const core = dpsCore(extra);
  core.provisioning!.connect();
  core.link.opened();
  core.link.serve({ cmd: "connack", returnCode: 0, sessionPresent: false });
  const sub = core.link.sent().find((p) => p.cmd === "subscribe")!;
  core.link.serve({ cmd: "suback", messageId: sub.messageId, granted: [1] });
  core.link.sent();
  return core;
}

/** DPS answers at QoS 1. */
function answer(core: TestCore, topic: string, body: unknown, messageId = 1): void {
  const payload = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  core.link.serve({ cmd: "publish", topic, payload, qos: 1, messageId, retain: false, dup: false });
}

const round = suite("device part provisioning: the DPS round");

round("connect -> CONNECT to the DPS endpoint: registration id, scope username, a registration-signed token", () => {
  const core = dpsCore();
  core.provisioning!.connect();
  const c = core.link.connects[0];
  assert.is(c.kind, LINK_DPS);
  assert.equal(c.options, { host: "global.azure-devices-provisioning.net", port: 8883, tls: true });
  core.link.opened();
  const [p] = core.link.sent();
  assert.is(p.cmd, "connect");
  assert.is(p.clientId, "dev1");
  assert.is(p.clean, true);
  assert.is(p.username, "0ne00000001/registrations/dev1/api-version=2019-03-31");
  assert.match(Buffer.from(p.password).toString(), /^SharedAccessSignature sr=0ne00000001%2Fregistrations%2Fdev1&sig=[^&]+&se=\d+&skn=registration$/);
});

round("another endpoint -> connects there", () => {
  const core = dpsCore({ dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY, endpoint: "dps.example.net" } });
  core.provisioning!.connect();
  assert.is(core.link.connects[0].options.host, "dps.example.net");
});

round("the clock not set -> logged, connected without a password (the policy sorts it out)", () => {
  const core = dpsCore();
  core.hal.synced = false;
  core.provisioning!.connect();
  assert.ok(core.hal.lines.some((l) => l.includes("DPS: cannot sign a token")));
  core.link.opened();
  assert.is(core.link.sent()[0].password, undefined);
});

round("CONNACK -> subscribed to the responses; SUBACK -> registered at QoS 0, counted", () => {
  const core = dpsCore({ dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY, payload: { modelId: "m1" } } });
  core.provisioning!.connect();
  core.link.opened();
  core.link.sent();
  core.link.serve({ cmd: "connack", returnCode: 0, sessionPresent: false });
  const [sub] = core.link.sent();
  assert.equal(sub.subscriptions, [{ topic: "$dps/registrations/res/#", qos: 1 }]);
  assert.is(core.stats.dpsRegistrations, 0);
  core.link.serve({ cmd: "suback", messageId: sub.messageId, granted: [1] });
  const [reg] = core.link.sent();
  assert.is(reg.cmd, "publish");
  assert.is(reg.qos, 0);
  assert.is(reg.topic, "$dps/registrations/PUT/iotdps-register/?$rid=1");
  assert.equal(JSON.parse(reg.payload.toString()), { registrationId: "dev1", payload: { modelId: "m1" } });
  assert.is(core.stats.dpsRegistrations, 1);
});

round("202 assigning -> acknowledged, the policy told the operation and retry-after", () => {
  const core = registered();
  answer(core, "$dps/registrations/res/202/?$rid=1&retry-after=3", { operationId: OP, status: "assigning" }, 7);
  assert.equal(core.link.sent().map((p) => p.cmd + " " + p.messageId), ["puback 7"]);
  assert.equal(policyCalls(core), ["dpsResponse 202," + DPS_OP_ASSIGNING + ",3," + OP + ",,,true"]);
});

round("poll -> the operation-status GET with a fresh rid, counted", () => {
  const core = registered();
  core.provisioning!.poll(OP);
  const [p] = core.link.sent();
  assert.is(p.topic, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=" + OP);
  assert.is(p.payload.length, 0);
  assert.is(core.stats.dpsPolls, 1);
});

round("assigned to an allowed hub -> the policy gets the hub and device id", () => {
  const core = registered();
  answer(core, "$dps/registrations/res/200/?$rid=2", {
    operationId: OP, status: "assigned", registrationState: { assignedHub: HUB, deviceId: "dev1", status: "assigned" },
  });
  assert.equal(policyCalls(core), ["dpsResponse 200," + DPS_OP_ASSIGNED + ",0," + OP + "," + HUB + ",dev1,true"]);
});

round("assigned to a hub off the allow-list -> passed on marked not allowed", () => {
  const core = registered();
  answer(core, "$dps/registrations/res/200/?$rid=2", {
    operationId: OP, status: "assigned", registrationState: { assignedHub: "evil.example.com", deviceId: "dev1", status: "assigned" },
  });
  assert.equal(policyCalls(core), ["dpsResponse 200," + DPS_OP_ASSIGNED + ",0," + OP + ",evil.example.com,dev1,false"]);
});

round("an error answer -> failed with its status", () => {
  const core = registered();
  answer(core, "$dps/registrations/res/401/?$rid=1", { errorCode: 401002, message: "unauthorized" });
  assert.equal(policyCalls(core), ["dpsResponse 401," + DPS_OP_FAILED + ",0,,,,true"]);
});

round("an unreadable answer -> a 500 response failure, still acknowledged", () => {
  const core = registered();
  answer(core, "$dps/registrations/res/200/?$rid=1", "{not json", 4);
  assert.equal(policyCalls(core), ["dpsFailed " + KIND_DPS_RESPONSE + ",500,0"]);
  assert.equal(core.link.sent().map((p) => p.cmd + " " + p.messageId), ["puback 4"]);
});

round("an answer above maxInboundBytes -> the same response failure", () => {
  const core = registered({ maxInboundBytes: 512 });
  answer(core, "$dps/registrations/res/200/?$rid=1", JSON.stringify({ operationId: OP, status: "assigning", pad: "x".repeat(1000) }), 5);
  assert.equal(policyCalls(core), ["dpsFailed " + KIND_DPS_RESPONSE + ",500,0"]);
});

// Skipped: today provisioning.handle acknowledges a QoS 1 answer even when it came as an
// oversized one, which the session has acknowledged already, so PUBACK goes out twice.
round("an answer above maxInboundBytes at QoS 1 -> acknowledged once (by the session)", () => {
  const core = registered({ maxInboundBytes: 512 });
  answer(core, "$dps/registrations/res/200/?$rid=1", "x".repeat(1000), 5);
  assert.equal(core.link.sent().map((p) => p.cmd + " " + p.messageId), ["puback 5"]);
});

const closed = suite("device part provisioning: the session gives up");

closed("CONNACK refused -> dpsFailed as a CONNACK failure with its code", () => {
  const core = dpsCore();
  core.provisioning!.connect();
  core.link.opened();
  core.link.serve({ cmd: "connack", returnCode: 5, sessionPresent: false });
  assert.equal(policyCalls(core), ["dpsFailed " + KIND_DPS_CONNACK + ",5,0"]);
});

closed("any other code -> a socket failure", () => {
  const core = dpsCore();
  core.provisioning!.sessionClosed(-5);
  assert.equal(policyCalls(core), ["dpsFailed " + KIND_DPS_SOCKET + "," + SOCKET_ERROR + ",0"]);
});

closed("the DPS socket closes -> dpsFailed as a socket failure with the socket's code", () => {
  const core = dpsCore();
  core.provisioning!.connect();
  core.link.opened();
  core.link.connects[0].user.closed(-102, "reset");
  assert.equal(policyCalls(core), ["dpsFailed " + KIND_DPS_SOCKET + ",-102,0"]);
  assert.ok(core.hal.lines.some((l) => l.includes("DPS connection closed (-102 reset)")));
});

round.run();
closed.run();
