// TLS: one loopback port per host, no SNI needed, certificates from the simulator's CA, and
// the suites the Espruino Linux build can use (RSA and DHE-RSA key exchange, TLS 1.2).
import { X509Certificate } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openTls } from "./mqtt-client";
import { HUB_A, HUB_B, fixture, teardown, type Fixture } from "./sim-helpers";

const tlsSuite = suite("tls-hosts: handshakes");
let f: Fixture | undefined;
tlsSuite.before(async () => {
  f = await fixture();
});
tlsSuite.after(() => teardown(f));

tlsSuite("hosts table -> one distinct 127.0.0.1 port per host name", () => {
  const hosts = f!.sim.hosts;
  assert.equal(Object.keys(hosts).sort(), ["files.azure-devices.net", "global.azure-devices-provisioning.net", HUB_A, HUB_B].sort());
  const ports = new Set(Object.values(hosts).map((a) => a.split(":")[1]));
  assert.is(ports.size, 4);
  for (const a of Object.values(hosts)) assert.match(a, /^127\.0\.0\.1:\d+$/);
});

tlsSuite("AES256-GCM-SHA384 over TLS 1.2, no SNI -> handshake completes on every host", async () => {
  for (const host of Object.keys(f!.sim.hosts)) {
    const s = await openTls({ host, address: f!.sim.hosts[host], caPem: f!.sim.caPem, ciphers: "AES256-GCM-SHA384", maxVersion: "TLSv1.2" });
    assert.is(s.getProtocol(), "TLSv1.2");
    assert.is(s.getCipher().standardName, "TLS_RSA_WITH_AES_256_GCM_SHA384");
    assert.ok(s.authorized);
    s.destroy();
  }
});

tlsSuite("DHE-RSA and AES128-GCM suites -> accepted too", async () => {
  for (const ciphers of ["DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "AES128-GCM-SHA256"]) {
    const s = await openTls({ host: HUB_A, address: f!.sim.hosts[HUB_A], caPem: f!.sim.caPem, ciphers, maxVersion: "TLSv1.2" });
    assert.is(s.getCipher().name, ciphers);
    s.destroy();
  }
});

tlsSuite("each port presents its own host's certificate, chained to the CA", async () => {
  for (const host of Object.keys(f!.sim.hosts)) {
    const s = await openTls({ host, address: f!.sim.hosts[host], caPem: f!.sim.caPem });
    assert.ok(s.getPeerCertificate().subjectaltname?.includes("DNS:" + host));
    s.destroy();
  }
});

tlsSuite("DPS host -> TLS 1.2 only; hub -> TLS 1.3 allowed", async () => {
  const d = await openTls({ host: f!.sim.dpsHost, address: f!.sim.hosts[f!.sim.dpsHost], caPem: f!.sim.caPem });
  assert.is(d.getProtocol(), "TLSv1.2");
  d.destroy();
  const h = await openTls({ host: HUB_A, address: f!.sim.hosts[HUB_A], caPem: f!.sim.caPem });
  assert.is(h.getProtocol(), "TLSv1.3");
  h.destroy();
});

tlsSuite("caDer -> the same certificate as caPem", () => {
  const fromDer = new X509Certificate(Buffer.from(f!.sim.caDer));
  const fromPem = new X509Certificate(f!.sim.caPem);
  assert.is(fromDer.fingerprint256, fromPem.fingerprint256);
  assert.ok(fromDer.ca);
});

tlsSuite("fixed ports from options -> used", async () => {
  const probe = await fixture();
  const port = Number(probe.sim.hosts[HUB_B].split(":")[1]);
  await teardown(probe);
  const g = await fixture({ ports: { "hub-b": port } });
  assert.is(g.sim.hosts[HUB_B], "127.0.0.1:" + port);
  await teardown(g);
});

tlsSuite.run();
