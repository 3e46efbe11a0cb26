// Identities beyond device keys (issue 20), driven by a plain MQTT client: mutual TLS at DPS
// and the hub, X.509 enrollments (individual by certificate, group by CA with the chain sent
// by the device), hub identities by thumbprint and by CA, modules, shared access policies,
// and the faults for an expired, wrongly signed or unknown certificate.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createDeviceCa, selfSignedDevice, type DeviceCa, type DeviceCredentials } from "../../tools/tls/device-certs";
import { dpsUsername, hubUsername, sas, settle, TestClient } from "./mqtt-client";
import { HUB_A, KEY, fixture, poll, register, teardown, type Fixture } from "./sim-helpers";

let f: Fixture | undefined;
/** A simulator whose clock reads now: the test certificates are valid from yesterday. */
async function fixtureNow(): Promise<Fixture> {
  const made = await fixture();
  made.clock.ms = Date.now();
  return made;
}
const done = () => teardown(f).then(() => (f = undefined));

let rootCa: DeviceCa | undefined;
let intermediate: DeviceCa | undefined;
/** Certificates are made once per run (RSA key generation is the slow part). */
function cas(): { root: DeviceCa; inter: DeviceCa } {
  if (!rootCa) rootCa = createDeviceCa("x509 tests root");
  if (!intermediate) intermediate = rootCa.issueIntermediate("x509 tests intermediate");
  return { root: rootCa, inter: intermediate };
}
const made = new Map<string, DeviceCredentials>();
function cert(name: string, make: () => DeviceCredentials): DeviceCredentials {
  let c = made.get(name);
  if (!c) {
    c = make();
    made.set(name, c);
  }
  return c;
}

async function openWith(host: string, creds?: { chainPem: string; keyPem: string }): Promise<TestClient> {
  const c = await TestClient.open({ host, address: f!.sim.hosts[host], caPem: f!.sim.caPem, cert: creds?.chainPem, key: creds?.keyPem });
  f!.clients.push(c);
  return c;
}

/** DPS with a certificate: CONNECT (empty password), subscribe, register, poll once. */
async function dpsWithCert(registrationId: string, creds: DeviceCredentials): Promise<{ register: Awaited<ReturnType<typeof register>>; poll?: Awaited<ReturnType<typeof poll>> }> {
  const c = await openWith(f!.sim.dpsHost, creds);
  const ack = await c.connect(registrationId, dpsUsername(f!.sim.idScope, registrationId), "");
  assert.is(ack.returnCode, 0, "DPS accepts the CONNECT and judges the certificate per operation");
  await c.subscribe(["$dps/registrations/res/#"]);
  const first = await register(c, registrationId);
  if (first.status !== 202) return { register: first };
  return { register: first, poll: await poll(c, String(first.body.operationId)) };
}

async function hubWithCert(identity: string, creds: DeviceCredentials | undefined, username = hubUsername(HUB_A, identity)): Promise<{ client: TestClient; code: number }> {
  const c = await openWith(HUB_A, creds);
  const ack = await c.connect(identity, username, "", { clean: false });
  return { client: c, code: ack.returnCode ?? 0 };
}

const dps = suite("x509: DPS attestation");
dps.after(done);

dps("individual X.509 enrollment -> assigned; the hub then accepts the same certificate", async () => {
  f = await fixtureNow();
  const dev = cert("x-dev1", () => selfSignedDevice("x-dev1"));
  f.sim.enrollIndividual("x-dev1", { certificate: dev.certPem });
  const r = await dpsWithCert("x-dev1", dev);
  assert.is(r.register.status, 202);
  assert.is(r.poll?.body.status, "assigned");
  assert.equal((r.poll?.body.registrationState as Record<string, unknown>).x509, {});
  assert.is((await hubWithCert("x-dev1", dev)).code, 0);
  assert.is(f.sim.device("x-dev1")?.authentication, "x509");
});

dps("group X.509 enrollment (CA) -> a device whose certificate chains to it through a sent intermediate is assigned, then CA-signed at the hub", async () => {
  f = await fixtureNow();
  const { root, inter } = cas();
  const dev = cert("g-dev1", () => inter.issueDevice("g-dev1"));
  f.sim.enrollGroup("factory", { ca: root.certPem });
  const r = await dpsWithCert("g-dev1", dev);
  assert.is(r.poll?.body.status, "assigned");
  assert.is((await hubWithCert("g-dev1", dev)).code, 0);
  // Without the intermediate the chain is broken.
  await done();
  f = await fixtureNow();
  f.sim.enrollGroup("factory", { ca: root.certPem });
  const alone = await dpsWithCert("g-dev1", { ...dev, chainPem: dev.certPem });
  assert.is(alone.register.status, 401);
});

dps("faults: expired, wrongly signed, unknown, CN not the registration id -> 401 with errorCode 401002", async () => {
  f = await fixtureNow();
  const { root } = cas();
  f.sim.enrollGroup("factory", { ca: root.certPem });
  const expired = cert("expired", () => root.issueDevice("old-dev", { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2021, 0, 1)) }));
  const forged = cert("forged", () => root.issueDevice("forged-dev", { wrongSignature: true }));
  const stranger = cert("stranger", () => selfSignedDevice("stranger"));
  for (const [id, creds] of [["old-dev", expired], ["forged-dev", forged], ["stranger", stranger], ["not-the-cn", expired]] as Array<[string, DeviceCredentials]>) {
    const r = await dpsWithCert(id, creds);
    assert.is(r.register.status, 401, id);
    assert.is(r.register.body.errorCode, 401002, id);
    assert.is(r.register.body.message, "Invalid certificate.", id);
  }
  assert.is(f.sim.counters().dps.unauthorized, 4);
});

dps("no password and no certificate -> CONNACK 5", async () => {
  f = await fixtureNow();
  const c = await openWith(f.sim.dpsHost);
  assert.is((await c.connect("nobody", dpsUsername(f.sim.idScope, "nobody"), "")).returnCode, 5);
});

dps("a SAS device still registers with a key over the mutual-TLS endpoint", async () => {
  f = await fixtureNow();
  f.sim.enrollIndividual("k-dev", { key: KEY });
  const c = await openWith(f.sim.dpsHost);
  const password = sas(f.sim.idScope + "%2fregistrations%2fk-dev", KEY, f.se(), "registration");
  assert.is((await c.connect("k-dev", dpsUsername(f.sim.idScope, "k-dev"), password)).returnCode, 0);
  await c.subscribe(["$dps/registrations/res/#"]);
  assert.is((await register(c, "k-dev")).status, 202);
});
dps.run();

const hub = suite("x509: hub identities");
hub.after(done);

hub("self-signed thumbprint identity -> CONNACK 0; another certificate, an expired one or none -> CONNACK 5", async () => {
  f = await fixtureNow();
  const dev = cert("t-dev", () => selfSignedDevice("t-dev"));
  f.sim.addDevice("t-dev", { x509Thumbprint: dev.thumbprint });
  assert.is((await hubWithCert("t-dev", dev)).code, 0);
  assert.is((await hubWithCert("t-dev", cert("stranger", () => selfSignedDevice("stranger")))).code, 5);
  assert.is((await hubWithCert("t-dev", undefined)).code, 5);
  const expired = cert("t-expired", () => selfSignedDevice("t-dev", { notAfter: new Date(Date.UTC(2021, 0, 1)), notBefore: new Date(Date.UTC(2020, 0, 1)) }));
  f.sim.addDevice("t-dev", { x509Thumbprint: [dev.thumbprint, expired.thumbprint256] });
  assert.is((await hubWithCert("t-dev", expired)).code, 5);
  assert.is((await hubWithCert("t-dev", dev)).code, 0, "SHA-1 and SHA-256 thumbprints both count");
});

hub("CA-signed identity -> CONNACK 0 for a certificate of that CA named after the device; wrong CN or forged -> 5", async () => {
  f = await fixtureNow();
  const { root, inter } = cas();
  f.sim.addDevice("c-dev", { x509Ca: root.certPem });
  assert.is((await hubWithCert("c-dev", cert("c-dev", () => inter.issueDevice("c-dev")))).code, 0);
  assert.is((await hubWithCert("c-dev", cert("g-dev1", () => inter.issueDevice("g-dev1")))).code, 5);
  assert.is((await hubWithCert("c-dev", cert("c-forged", () => root.issueDevice("c-dev", { wrongSignature: true })))).code, 5);
  assert.is(f.sim.counters().devices["c-dev"].connacks[5], 2);
});

hub("an X.509-only identity refuses SAS tokens; a SAS identity refuses a certificate without a token", async () => {
  f = await fixtureNow();
  const dev = cert("t-dev", () => selfSignedDevice("t-dev"));
  f.sim.addDevice("t-dev", { x509Thumbprint: dev.thumbprint });
  f.sim.addDevice("k-dev", { key: KEY });
  const c = await openWith(HUB_A);
  const password = sas(HUB_A + "%2Fdevices%2Ft-dev", KEY, f.se());
  assert.is((await c.connect("t-dev", hubUsername(HUB_A, "t-dev"), password)).returnCode, 5);
  assert.is((await hubWithCert("k-dev", dev)).code, 5);
});
hub.run();

const modules = suite("x509: modules and policies");
modules.after(done);

modules("module identity: client id d/m, module username and token, module topics; device topics and C2D refused", async () => {
  f = await fixtureNow();
  f.sim.addDevice("m-dev", { key: KEY });
  f.sim.addModule("m-dev", "sensor", { key: KEY });
  const c = await openWith(HUB_A);
  const password = sas(HUB_A + "%2Fdevices%2Fm-dev%2Fmodules%2Fsensor", KEY, f.se());
  assert.is((await c.connect("m-dev/sensor", HUB_A + "/m-dev/sensor/?api-version=2021-04-12", password, { clean: false })).returnCode, 0);
  await c.subscribe(["$iothub/methods/POST/#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"]);
  c.publish("devices/m-dev/modules/sensor/messages/events/a=1", "hello", 1);
  await c.take("puback");
  const t = f.sim.telemetry("m-dev/sensor");
  assert.is(t.length, 1);
  assert.is(t[0].deviceId, "m-dev");
  assert.is(t[0].moduleId, "sensor");
  assert.equal(t[0].properties, { a: "1" });
  const call = f.sim.invokeMethod("m-dev/sensor", "ping", { x: 1 });
  const req = await c.message("$iothub/methods/POST/ping/");
  c.publish("$iothub/methods/res/200/?$rid=" + /\$rid=([^&]+)/.exec(req.topic)![1], "{}");
  assert.is((await call).status, 200);
  assert.throws(() => f!.sim.sendC2D("m-dev/sensor", "x"), /module/);
  c.publish("devices/m-dev/messages/events/", "as the device", 1);
  await c.waitClosed();
});

modules("module: device token or device client id for a module -> CONNACK 5; C2D subscription closes the link", async () => {
  f = await fixtureNow();
  f.sim.addDevice("m-dev", { key: KEY });
  f.sim.addModule("m-dev", "sensor", { key: Buffer.alloc(32, 3).toString("base64") });
  const c = await openWith(HUB_A);
  const deviceToken = sas(HUB_A + "%2Fdevices%2Fm-dev", KEY, f.se());
  assert.is((await c.connect("m-dev/sensor", HUB_A + "/m-dev/sensor/?api-version=2021-04-12", deviceToken)).returnCode, 5);
  const d = await openWith(HUB_A);
  const moduleToken = sas(HUB_A + "%2Fdevices%2Fm-dev%2Fmodules%2Fsensor", Buffer.alloc(32, 3).toString("base64"), f.se());
  assert.is((await d.connect("m-dev/sensor", HUB_A + "/m-dev/?api-version=2021-04-12", moduleToken)).returnCode, 5, "device username");
  const e = await openWith(HUB_A);
  assert.is((await e.connect("m-dev/sensor", HUB_A + "/m-dev/sensor/?api-version=2021-04-12", moduleToken)).returnCode, 0);
  e.send({ cmd: "subscribe", messageId: 9, subscriptions: [{ topic: "devices/m-dev/messages/devicebound/#", qos: 1 }] });
  await e.waitClosed();
});

modules("policy token with DeviceConnect (skn, sr = device or hub prefix) -> CONNACK 0; without DeviceConnect, unknown policy or wrong key -> 5", async () => {
  f = await fixtureNow();
  f.sim.addDevice("p-dev", { key: KEY });
  const device = f.sim.addPolicy("device");
  const reader = f.sim.addPolicy("registryRead", { permissions: ["RegistryRead"] });
  const tryToken = async (password: string): Promise<number> => {
    const c = await openWith(HUB_A);
    return (await c.connect("p-dev", hubUsername(HUB_A, "p-dev"), password)).returnCode ?? 0;
  };
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fp-dev", device.key, f.se(), "device")), 0);
  assert.is(await tryToken(sas(HUB_A, device.key, f.se(), "device")), 0, "sr = the hub");
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fother", device.key, f.se(), "device")), 5, "another device's resource");
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fp-dev", reader.key, f.se(), "registryRead")), 5);
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fp-dev", device.key, f.se(), "nosuch")), 5);
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fp-dev", KEY, f.se(), "device")), 5);
  assert.is(await tryToken(sas(HUB_A + "%2Fdevices%2Fp-dev", device.key, f.clock.seconds, "device")), 5, "expired");
  await settle();
});
modules.run();
