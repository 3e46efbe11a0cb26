// Every identity kind the client offers, end to end (issue 20): the real device core on the
// Node HAL over real (mutual) TLS against the simulator, one test per kind -- SAS individual,
// SAS group, SAS policy, a pre-made token, X.509 individual, X.509 group, X.509 hub-only
// (thumbprint and CA-signed), module -- plus make-config's test certificate through to a
// working device and the device's view of a refused certificate. Each test reaches Connected,
// sends telemetry the hub records under the right identity, and reads or writes the twin.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorld, type World } from "./harness";
import type { Device } from "../../firmware/device";
import type { DeviceConfig } from "../../firmware/config";
import { makeSas } from "../../tools/hub-sim/index";
import { createDeviceCa, selfSignedDevice, type DeviceCa, type DeviceCredentials } from "../../tools/tls/device-certs";
import { makeConfig } from "../flash/kit";

const HUB_A = "hub-a.azure-devices.net";
const DPS = "global.azure-devices-provisioning.net";
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const w = await createWorld();
  try {
    await fn(w);
  } finally {
    await w.stop();
  }
}

const connected = (d: Device) => () => d.stats().status === "Connected";

/** Connected, then one telemetry message recorded by the hub under `identity`, and a
 *  reported property stored in that identity's twin. */
async function provesIdentity(w: World, device: Device, identity: string): Promise<void> {
  await w.advanceUntil(connected(device), 300_000, 1000);
  device.sendTelemetry(JSON.stringify({ who: identity }));
  device.reportProperties({ proven: identity });
  await w.advanceUntil(() => w.sim.telemetry(identity).length >= 1 && w.sim.twin(identity).reported.proven === identity, 20_000, 100);
  assert.equal(JSON.parse(w.sim.telemetry(identity)[0].payload.toString()), { who: identity });
}

let root: DeviceCa | undefined;
let inter: DeviceCa | undefined;
function cas(): { root: DeviceCa; inter: DeviceCa } {
  if (!root) root = createDeviceCa("identities test root");
  if (!inter) inter = root.issueIntermediate("identities test intermediate");
  return { root, inter };
}

function x509Dps(w: World, registrationId: string, certificate: string, privateKey: string): DeviceConfig {
  return { dps: { idScope: w.sim.idScope, registrationId, endpoint: DPS, certificate, privateKey } };
}

const sas = suite("identities: shared access signatures");

sas("SAS individual enrollment -> DPS with the device key, hub with a device-key token", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("sas-ind");
    const { device } = w.boot({ dps: { idScope: w.sim.idScope, registrationId: "sas-ind", endpoint: DPS, symmetricKey: e.key } });
    await provesIdentity(w, device, "sas-ind");
    assert.is(w.sim.device("sas-ind")?.authentication, "sas");
  }));

sas("SAS group enrollment -> the key derived from the group key (on the desktop) registers and connects", () =>
  withWorld(async (w) => {
    w.sim.enrollGroup("sas-group", { key: Buffer.alloc(64, 5).toString("base64") });
    const key = w.sim.deviceKey("sas-group", "sas-grp-dev");
    const { device } = w.boot({ dps: { idScope: w.sim.idScope, registrationId: "sas-grp-dev", endpoint: DPS, symmetricKey: key } });
    await provesIdentity(w, device, "sas-grp-dev");
  }));

sas("SAS policy: a token a token service signed with a DeviceConnect policy key (skn) -> hub-only device connects", () =>
  withWorld(async (w) => {
    w.sim.addDevice("pol-dev");
    const policy = w.sim.addPolicy("device");
    const token = makeSas(HUB_A + "/devices/pol-dev", policy.key, Math.floor(w.time.epochMs() / 1000) + 3600, "device");
    assert.match(token, /&skn=device$/);
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=pol-dev;SharedAccessSignature=" + token });
    await provesIdentity(w, device, "pol-dev");
    assert.ok(w.logs.some((l) => /sim .*pol-dev.*policy 'device' token/.test(l)), "accepted as a policy token");
  }));

sas("pre-made token (SharedAccessSignature in the connection string, device key) -> connects, never renewed", () =>
  withWorld(async (w) => {
    const { key } = w.sim.addDevice("tok-dev");
    const se = Math.floor(w.time.epochMs() / 1000) + 7200;
    const token = makeSas(HUB_A + "/devices/tok-dev", key, se);
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=tok-dev;SharedAccessSignature=" + token });
    await provesIdentity(w, device, "tok-dev");
    assert.is(w.sim.device("tok-dev")?.tokenExpiresAtMs, se * 1000, "the token as given");
    await w.advance(60 * 60_000);
    assert.is(w.sim.counters().devices["tok-dev"].connections, 1, "no renewal reconnect within the token's life");
  }));
sas.run();

const x509 = suite("identities: X.509");

x509("X.509 individual enrollment -> DPS by certificate (DER in the config), hub by thumbprint", () =>
  withWorld(async (w) => {
    const cert = selfSignedDevice("x509-ind");
    w.sim.enrollIndividual("x509-ind", { certificate: cert.certPem });
    const { device, hal } = w.boot(x509Dps(w, "x509-ind", b64(cert.certDer), b64(cert.keyDer)));
    await provesIdentity(w, device, "x509-ind");
    assert.is(hal.connectLog[0], DPS + ":8883");
    assert.is(w.sim.device("x509-ind")?.authentication, "x509");
    assert.is(w.sim.device("x509-ind")?.tokenExpiresAtMs, Infinity, "no token: nothing expires");
  }));

x509("X.509 group enrollment -> a device certificate of an intermediate, chain sent by the device (PEM), CA enrolled", () =>
  withWorld(async (w) => {
    const { root: r, inter: i } = cas();
    const cert = i.issueDevice("x509-grp-dev");
    w.sim.enrollGroup("x509-factory", { ca: r.certPem });
    const { device } = w.boot(x509Dps(w, "x509-grp-dev", cert.chainPem, cert.keyPem));
    await provesIdentity(w, device, "x509-grp-dev");
    assert.ok(w.logs.some((l) => /sim .*x509-grp-dev.*X\.509 CA-signed/.test(l)), "the hub took it as CA-signed");
  }));

x509("X.509 hub-only, self-signed thumbprint (connection string x509=true) -> connects", () =>
  withWorld(async (w) => {
    const cert = selfSignedDevice("x509-hub");
    w.sim.addDevice("x509-hub", { x509Thumbprint: cert.thumbprint });
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=x509-hub;x509=true", certificate: b64(cert.certDer), privateKey: b64(cert.keyDer) });
    await provesIdentity(w, device, "x509-hub");
  }));

x509("X.509 hub-only, CA-signed -> connects", () =>
  withWorld(async (w) => {
    const { root: r } = cas();
    const cert = r.issueDevice("x509-hub-ca");
    w.sim.addDevice("x509-hub-ca", { x509Ca: r.certPem });
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=x509-hub-ca;x509=true", certificate: cert.certPem, privateKey: cert.keyPem });
    await provesIdentity(w, device, "x509-hub-ca");
  }));

x509("expired certificate -> DPS answers 401 (401002): BadCredential, no hammering", () =>
  withWorld(async (w) => {
    const cert: DeviceCredentials = selfSignedDevice("x509-old", { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2021, 0, 1)) });
    w.sim.enrollIndividual("x509-old", { certificate: cert.certPem });
    const { device } = w.boot(x509Dps(w, "x509-old", b64(cert.certDer), b64(cert.keyDer)));
    await w.advanceUntil(() => w.statuses.some((s) => s.includes("BadCredential")), 300_000, 1000);
    await w.advance(30 * 60_000);
    assert.is(w.sim.counters().dps.byRegistration["x509-old"].unauthorized, 1, "one attempt in 30 minutes");
    assert.is(device.stats().status === "Connected", false);
  }));
x509("hub-only X.509 with a certificate the hub does not know -> CONNACK 5 twice: BadCredential, slow retry", () =>
  withWorld(async (w) => {
    const known = selfSignedDevice("x509-who");
    const other = selfSignedDevice("x509-who");
    w.sim.addDevice("x509-who", { x509Thumbprint: known.thumbprint });
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=x509-who;x509=true", certificate: b64(other.certDer), privateKey: b64(other.keyDer) });
    await w.advanceUntil(() => w.statuses.some((s) => s.includes("BadCredential")), 300_000, 1000);
    const refused = w.sim.counters().devices["x509-who"].connacks[5];
    assert.ok(refused >= 2, "CONNACK 5 at least twice");
    await w.advance(30 * 60_000);
    assert.is(w.sim.counters().devices["x509-who"].connacks[5], refused, "no hammering");
    assert.is.not(device.stats().status, "Connected");
  }));
x509.run();

const modules = suite("identities: modules");

modules("module identity (connection string with ModuleId) -> module client id, username, token and topics; twin and methods of the module", () =>
  withWorld(async (w) => {
    w.sim.addDevice("mod-dev");
    const m = w.sim.addModule("mod-dev", "sensor");
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=mod-dev;ModuleId=sensor;SharedAccessKey=" + m.key });
    await provesIdentity(w, device, "mod-dev/sensor");
    const record = w.sim.telemetry("mod-dev/sensor")[0];
    assert.is(record.deviceId, "mod-dev");
    assert.is(record.moduleId, "sensor");
    assert.match(record.topic, /^devices\/mod-dev\/modules\/sensor\/messages\/events\//);
    assert.equal(w.sim.telemetry("mod-dev"), [], "nothing as the device");
    assert.equal(w.sim.device("mod-dev/sensor")?.subscriptions.sort(), ["$iothub/methods/POST/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/twin/res/#"]);
    device.onMethod("ping", (_payload, respond) => respond(200, { pong: true }));
    const { result } = await w.delivered(device, () => w.sim.invokeMethod("mod-dev/sensor", "ping", {}));
    await w.advance(100);
    const answer = await result;
    assert.is(answer.status, 200);
    assert.equal(answer.payload, { pong: true });
  }));
modules.run();

const tool = suite("identities: make-config test certificate");

tool("make-config --test-certificate: a device certificate from a local test CA -> enrolled CA, device registers and connects", () =>
  withWorld(async (w) => {
    const dir = mkdtempSync(join(tmpdir(), "make-config-x509-"));
    try {
      const caDir = join(dir, "test-ca");
      const r = makeConfig(["--id-scope", w.sim.idScope, "--registration-id", "mc-dev", "--endpoint", DPS, "--test-certificate", "--test-ca", caDir, "--wifi-ssid", "Lab"], dir);
      assert.is(r.code, 0, r.all);
      assert.match(r.out, /test certificate/i);
      assert.match(r.out, /never for production/);
      const config = JSON.parse(readFileSync(join(dir, "device.json"), "utf8")) as DeviceConfig;
      assert.ok(config.dps?.certificate && config.dps.privateKey);
      assert.not.ok(r.all.includes(config.dps!.privateKey!), "the private key is not printed");
      w.sim.enrollGroup("make-config CA", { ca: readFileSync(join(caDir, "ca.pem"), "utf8") });
      const { device } = w.boot(config);
      await provesIdentity(w, device, "mc-dev");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));
tool.run();

const keys = suite("identities: key encodings");

keys("X.509 with a PKCS#1 RSA key in DER (what `openssl genrsa` PEM becomes in make-config) -> connects on Node too", () =>
  withWorld(async (w) => {
    const cert = selfSignedDevice("x509-pkcs1");
    const pkcs1 = createPrivateKey(cert.keyPem).export({ type: "pkcs1", format: "der" });
    w.sim.addDevice("x509-pkcs1", { x509Thumbprint: cert.thumbprint });
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=x509-pkcs1;x509=true", certificate: b64(cert.certDer), privateKey: b64(pkcs1) });
    await provesIdentity(w, device, "x509-pkcs1");
  }));
keys("a key node:tls cannot read -> a TLS failure and backoff, not an exception", () =>
  withWorld(async (w) => {
    const cert = selfSignedDevice("x509-badkey");
    w.sim.addDevice("x509-badkey", { x509Thumbprint: cert.thumbprint });
    const { device } = w.boot({ connectionString: "HostName=" + HUB_A + ";DeviceId=x509-badkey;x509=true", certificate: b64(cert.certDer), privateKey: b64(new Uint8Array(64).fill(7)) });
    await w.advance(60_000);
    assert.is.not(device.stats().status, "Connected");
    assert.ok(device.stats().connectAttempts >= 2, "retried");
    assert.is(w.sim.counters().devices["x509-badkey"].connections, 0);
  }));
keys.run();
