// `npm run sim` options and config file; --help from the real entry point.
import { spawnSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DEMO, HELP, parseCli } from "../../tools/hub-sim/cli-options";
import { deriveDeviceKey } from "../../tools/hub-sim/sas-check";

const cli = suite("cli-options");

cli("no arguments -> defaults with demo enrollments", () => {
  const c = parseCli([]);
  assert.equal(c.options, {});
  assert.ok(c.demo);
  assert.is(c.outDir, ".sim-data");
  assert.is(Buffer.from(DEMO.key, "base64").length, 32);
});

cli("hubs, ports, scope, allocation, rates -> simulator options", () => {
  const c = parseCli(["--hub", "x.azure-devices.net", "--port", "x=9001", "--id-scope", "0neABC", "--allocation", "round-robin", "--rate-hub", "5", "--quiet", "--no-demo"]);
  assert.equal(c.options.hubs, ["x.azure-devices.net"]);
  assert.equal(c.options.ports, { x: 9001 });
  assert.is(c.options.idScope, "0neABC");
  assert.is(c.options.allocation, "round-robin");
  assert.equal(c.options.rates, { hubConnectionsPerSecond: 5 });
  assert.ok(c.quiet);
  assert.not.ok(c.demo);
});

cli("--x509-ca <file> -> the CA's PEM for an X.509 group enrollment", () => {
  const c = parseCli(["--x509-ca", "ca.pem", "--x509-ca", "b.pem"], (path) => "PEM of " + path);
  assert.equal(c.x509Cas, ["PEM of ca.pem", "PEM of b.pem"]);
});

cli("--port-base -> DPS on base, hubs after it", () => {
  const c = parseCli(["--port-base", "8883"]);
  assert.equal(c.options.ports, { "global.azure-devices-provisioning.net": 8883, "hub-a.azure-devices.net": 8884, "hub-b.azure-devices.net": 8885 });
});

cli("--config file -> settings, enrollments and devices", () => {
  const file = JSON.stringify({
    idScope: "0neFILE",
    hubs: ["h1.azure-devices.net"],
    enrollments: [{ registrationId: "d1", key: "a2V5" }, { group: "g", key: "Z2s=" }],
    devices: [{ deviceId: "p1" }],
  });
  const c = parseCli(["--config", "sim.json"], () => file);
  assert.is(c.options.idScope, "0neFILE");
  assert.equal(c.options.hubs, ["h1.azure-devices.net"]);
  assert.is(c.enrollments.length, 2);
  assert.equal(c.devices, [{ deviceId: "p1" }]);
});

cli("bad options -> errors that name them", () => {
  assert.throws(() => parseCli(["--bogus"]), /--bogus/);
  assert.throws(() => parseCli(["--port", "x"]), /--port/);
  assert.throws(() => parseCli(["--allocation", "random"]), /allocation/);
  assert.throws(() => parseCli(["--hub"]), /needs a value/);
});

cli("npm run sim -- --help -> prints the help and exits 0", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "tools/hub-sim/cli.ts", "--help"], { encoding: "utf8", timeout: 20_000 });
  assert.is(r.status, 0);
  assert.is(r.stdout, HELP);
});

cli("demo group device key -> derived from the demo group key", () => {
  assert.is(deriveDeviceKey(DEMO.groupKey, DEMO.groupDevice).length, 44);
});

cli.run();
