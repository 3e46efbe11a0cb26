import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig, type DeviceConfig, type ResolvedConfig } from "../../firmware/config";
import { hubResource, sasToken } from "../../firmware/azure/sas";
import { createTestCa } from "../../tools/tls/certs";
import {
  GROUP_DERIVED_KEY, GROUP_KEY, GROUP_REGISTRATION_ID, NOW, flash, makeConfig, randomKey, runTool, tempDir,
} from "./kit";

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
const KEY = randomKey(32);
const HUB = "my-hub.azure-devices.net";
const CS = "HostName=" + HUB + ";DeviceId=dev-01;SharedAccessKey=" + KEY;
const WIFI = ["--wifi-ssid", "Lab", "--wifi-password", "lab-secret-42"];

/** Runs make-config into a fresh directory; returns the run and the written JSON (if any). */
function run(argv: string[]): { code: number; all: string; out: string; err: string; text?: string; config?: DeviceConfig } {
  const t = tempDir();
  try {
    const r = makeConfig(argv, t.dir);
    const path = join(t.dir, "device.json");
    const text = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    return { ...r, text, config: text === undefined ? undefined : JSON.parse(text) };
  } finally {
    t.remove();
  }
}

function accepted(config: DeviceConfig | undefined): ResolvedConfig {
  assert.ok(config, "a file was written");
  const r = resolveConfig(config);
  assert.not.ok(Array.isArray(r), "resolveConfig accepts it: " + JSON.stringify(r));
  return r as ResolvedConfig;
}

const cs = suite("make-config: connection string");
cs("device connection string with a key -> device.json that resolveConfig accepts; key never printed", () => {
  const r = run(["--connection-string", CS, ...WIFI]);
  assert.is(r.code, 0, r.all);
  const resolved = accepted(r.config);
  assert.is(resolved.hubHost, HUB);
  assert.is(resolved.deviceId, "dev-01");
  assert.is(resolved.key, KEY);
  assert.equal(r.config!.wifi, { ssid: "Lab", password: "lab-secret-42" });
  assert.not.ok(r.all.includes(KEY), "the key is not printed");
  assert.not.ok(r.all.includes("lab-secret-42"), "the Wi-Fi password is not printed");
  assert.match(r.out, /SharedAccessKey=<hidden, 44 characters>/);
  assert.match(r.out, /wrote device\.json/);
});
cs("module connection string -> module id resolved", () => {
  const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=dev-01;ModuleId=sensor;SharedAccessKey=" + KEY, ...WIFI]);
  assert.is(r.code, 0, r.all);
  assert.is(accepted(r.config).moduleId, "sensor");
});
cs("ready-made SAS token, still valid -> accepted with a warning that it cannot be renewed", () => {
  const token = sasToken(hubResource(HUB, "dev-01"), KEY, NOW + 7200, sha256) as string;
  const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=dev-01;SharedAccessSignature=" + token, ...WIFI]);
  assert.is(r.code, 0, r.all);
  assert.match(r.out, /cannot be renewed/);
  assert.not.ok(r.all.includes(token.slice(30)), "the token is not printed");
});
cs("expired SAS token -> error, nothing written", () => {
  const token = sasToken(hubResource(HUB, "dev-01"), KEY, NOW - 60, sha256) as string;
  const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=dev-01;SharedAccessSignature=" + token]);
  assert.is(r.code, 1);
  assert.match(r.err, /expired/);
  assert.is(r.text, undefined);
});
cs("x509=true without --certificate -> error naming the missing options", () => {
  const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=dev-01;x509=true"]);
  assert.is(r.code, 1);
  assert.match(r.err, /x509=true: give --certificate and --private-key/);
});
cs.run();

const bad = suite("make-config: bad connection strings");
const BAD_CS: Array<[string, string, RegExp]> = [
  ["no '=' in a segment", "HostName=" + HUB + ";dev-01;SharedAccessKey=" + KEY, /expected Name=value pairs/],
  ["unknown field", "HostName=" + HUB + ";DeviceId=d;Shared=" + KEY, /unknown field "Shared"/],
  ["wrong case", "hostname=" + HUB + ";DeviceId=d;SharedAccessKey=" + KEY, /unknown field "hostname".*case-sensitive/],
  ["hub policy string", "HostName=" + HUB + ";SharedAccessKeyName=iothubowner;SharedAccessKey=" + KEY, /hub-level .*device's own connection string/],
  ["duplicate field", "HostName=" + HUB + ";DeviceId=a;DeviceId=b;SharedAccessKey=" + KEY, /"DeviceId" appears twice/],
  ["empty value", "HostName=" + HUB + ";DeviceId=;SharedAccessKey=" + KEY, /empty value/],
  ["no HostName", "DeviceId=d;SharedAccessKey=" + KEY, /HostName is missing/],
  ["no DeviceId", "HostName=" + HUB + ";SharedAccessKey=" + KEY, /DeviceId is missing/],
  ["no credential", "HostName=" + HUB + ";DeviceId=d", /no credential/],
  ["two credentials", "HostName=" + HUB + ";DeviceId=d;SharedAccessKey=" + KEY + ";x509=true", /more than one credential/],
  ["x509=maybe", "HostName=" + HUB + ";DeviceId=d;x509=maybe", /x509 must be true or false/],
  ["key not base64", "HostName=" + HUB + ";DeviceId=d;SharedAccessKey=not*base64!", /SharedAccessKey is not base64/],
  ["token not a SAS token", "HostName=" + HUB + ";DeviceId=d;SharedAccessSignature=abc", /not a SAS token/],
  ["host with a space", "HostName=my hub;DeviceId=d;SharedAccessKey=" + KEY, /is not a host name/],
  ["empty string", "", /expected Name=value|HostName is missing/],
];
for (const [name, text, message] of BAD_CS) {
  bad(name + " -> exit 1, clear message, no file, no key printed", () => {
    const r = run(["--connection-string", text]);
    assert.is(r.code, 1, r.all);
    assert.match(r.err, message);
    assert.match(r.err, /nothing written/);
    assert.is(r.text, undefined);
    assert.not.ok(r.all.includes(KEY), "the key is not echoed");
  });
}
bad("a key of 8 bytes -> exit 1 (IoT Hub keys are 16-64 bytes)", () => {
  const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=d;SharedAccessKey=" + randomKey(8)]);
  assert.is(r.code, 1, r.all);
  assert.match(r.err, /SharedAccessKey decodes to 8 bytes/);
});
bad.run();

const dps = suite("make-config: DPS");
dps("individual key -> dps config accepted, default endpoint", () => {
  const r = run(["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", KEY, ...WIFI]);
  assert.is(r.code, 0, r.all);
  const resolved = accepted(r.config);
  assert.ok(resolved.useDps);
  assert.is(resolved.dpsEndpoint, "global.azure-devices-provisioning.net");
  assert.is(r.config!.dps!.symmetricKey, KEY);
  assert.not.ok(r.all.includes(KEY));
});
dps("endpoint, model id, keep-alive, token lifetime, hub suffix -> all in the file", () => {
  const r = run(["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", KEY, "--endpoint", "my-dps.azure-devices-provisioning.net",
    "--model-id", "dtmi:com:example:Thermostat;1", "--keep-alive", "60", "--token-lifetime", "1800", "--hub-suffix", ".azure-devices.net", ...WIFI]);
  assert.is(r.code, 0, r.all);
  const resolved = accepted(r.config);
  assert.is(resolved.dpsEndpoint, "my-dps.azure-devices-provisioning.net");
  assert.is(resolved.modelId, "dtmi:com:example:Thermostat;1");
  assert.is(resolved.dpsPayload, "{\"modelId\":\"dtmi:com:example:Thermostat;1\"}");
  assert.is(resolved.keepAliveSeconds, 60);
  assert.is(resolved.tokenLifetimeSeconds, 1800);
  assert.equal(resolved.hubSuffixes, [".azure-devices.net"]);
});
dps("board flags -> led, watchdog, status and telemetry intervals in the file", () => {
  const r = run(["--connection-string", CS, ...WIFI, "--led", "D2", "--watchdog", "30", "--status-interval", "10", "--telemetry-interval", "0"]);
  assert.is(r.code, 0, r.all);
  const resolved = accepted(r.config);
  assert.is(resolved.led, "D2");
  assert.is(resolved.watchdogSeconds, 30);
  assert.is(resolved.statusIntervalSeconds, 10);
  assert.is(resolved.telemetryIntervalSeconds, 0);
});
dps("fleet flags -> fleet settings with the documented defaults", () => {
  const r = run(["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", KEY, "--fleet-devices", "5000", "--fleet-load", "0.5", ...WIFI]);
  assert.is(r.code, 0, r.all);
  assert.equal(accepted(r.config).fleet, { devices: 5000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 0.5 });
});
const MISSING: Array<[string, string[], RegExp]> = [
  ["no identity at all", [], /no identity/],
  ["no --id-scope", ["--registration-id", "dev-01", "--key", KEY], /--id-scope is missing/],
  ["no --registration-id", ["--id-scope", "0ne00AB12CD", "--key", KEY], /--registration-id is missing/],
  ["no credential", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01"], /DPS needs a credential/],
  ["key and group key", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", KEY, "--group-key", GROUP_KEY], /only one DPS credential/],
  ["connection string and DPS", ["--connection-string", CS, "--id-scope", "0ne00AB12CD"], /not both/],
  ["key not base64", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", "abc$%"], /--key is not base64/],
  ["key of 8 bytes", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key", randomKey(8)], /decodes to 8 bytes/],
  ["group key not base64", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--group-key", "!!"], /--group-key is not base64/],
  ["bad registration id", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev 01", "--key", KEY], /registrationId must be/],
  ["bad id scope", ["--id-scope", "0ne-00", "--registration-id", "dev-01", "--key", KEY], /idScope must be/],
  ["Wi-Fi password without SSID", ["--connection-string", CS, "--wifi-password", "lab-secret-42"], /--wifi-password needs --wifi-ssid/],
  ["Wi-Fi password of 5 characters", ["--connection-string", CS, "--wifi-ssid", "Lab", "--wifi-password", "abcde"], /wifi\.password must be/],
  ["SSID of 33 characters", ["--connection-string", CS, "--wifi-ssid", "x".repeat(33)], /ssid of 1-32/],
  ["SSID of 17 characters but 34 UTF-8 bytes", ["--connection-string", CS, "--wifi-ssid", "\u00e9".repeat(17)], /wifi\.ssid is 34 bytes in UTF-8/],
  ["watchdog 2 s", ["--connection-string", CS, "--watchdog", "2"], /watchdogSeconds must be 5-3600/],
  ["led not a pin", ["--connection-string", CS, "--led", "green"], /led must be a pin name/],
  ["keep-alive 5 s", ["--connection-string", CS, "--keep-alive", "5"], /--keep-alive \(keepAliveSeconds\) must be a whole number from 10 to 1177, got "5"/],
  ["keep-alive not a number", ["--connection-string", CS, "--keep-alive", "2m"], /--keep-alive \(keepAliveSeconds\) must be a whole number/],
  ["token lifetime 60 s", ["--connection-string", CS, "--token-lifetime", "60"], /--token-lifetime \(tokenLifetimeSeconds\) must be a whole number from 300 to 86400/],
  ["model id not a DTMI", ["--connection-string", CS, "--model-id", "thermostat"], /modelId must be a DTMI/],
  ["hub suffix without a dot", ["--connection-string", CS, "--hub-suffix", "azure-devices.net"], /hubSuffixes\[0\] must be a dot and a host name/],
  ["fleet load above 1", ["--connection-string", CS, "--fleet-devices", "10", "--fleet-load", "2"], /--fleet-load \(fleet.load\) must be a number from 0.01 to 1, got "2"/],
  ["fleet rate without devices", ["--connection-string", CS, "--fleet-hub-rate", "10"], /--fleet-devices is needed/],
  ["CA file missing", ["--connection-string", CS, "--ca", "nope.pem"], /--ca nope\.pem: cannot read \(ENOENT\)/],
  ["fleet of a billion devices", ["--connection-string", CS, "--fleet-devices", "1000000000"], /--fleet-devices \(fleet.devices\) must be a whole number from 1 to 10000000, got "1000000000"/],
  ["fleet hub rate 1e300", ["--connection-string", CS, "--fleet-devices", "10", "--fleet-hub-rate", "1e300"], /--fleet-hub-rate \(fleet.hubConnectionsPerSecond\) must be a number from 1 to 100000/],
  ["fleet load 1e-300", ["--connection-string", CS, "--fleet-devices", "10", "--fleet-load", "1e-300"], /--fleet-load \(fleet.load\) must be a number from 0.01 to 1/],
  // Azure's identifier rules: at most 128 characters, none of # + / or a space.
  ...["dev#1", "dev+1", "dev/1", "dev 1", "d".repeat(200)].map((id): [string, string[], RegExp] =>
    ["device id " + (id.length > 10 ? "of 200 characters" : JSON.stringify(id)), ["--connection-string", CS.replace(/DeviceId=[^;]*/, "DeviceId=" + id)], /DeviceId and ModuleId must be 1-128 characters/]),
  ["registration id of 129 characters", ["--id-scope", "0ne00AB12CD", "--registration-id", "r".repeat(129), "--key", KEY], /registrationId must be 1-128 characters/],
  ["registration id with #", ["--id-scope", "0ne00AB12CD", "--registration-id", "dev#1", "--key", KEY], /registrationId must be 1-128 characters/],
];
for (const [name, argv, message] of MISSING) {
  dps(name + " -> exit 1 with a message, no file", () => {
    const r = run(argv);
    assert.is(r.code, 1, r.all);
    assert.match(r.err, message);
    assert.is(r.text, undefined);
  });
}
dps("unknown option -> exit 2 with the usage", () => {
  const r = run(["--conection-string", CS]);
  assert.is(r.code, 2);
  assert.match(r.err, /Unknown option '--conection-string'/);
  assert.match(r.err, /npm run make-config -- \[options\]/);
});
dps("--help -> exit 0 and the usage text", () => {
  const r = run(["--help"]);
  assert.is(r.code, 0);
  assert.match(r.out, /--group-key/);
  assert.is(r.text, undefined);
});
dps.run();

const group = suite("make-config: group key");
group("group key + registration id -> the published derived key, group key nowhere in the file or output", () => {
  const r = run(["--id-scope", "0ne00AB12CD", "--registration-id", GROUP_REGISTRATION_ID, "--group-key", GROUP_KEY, ...WIFI]);
  assert.is(r.code, 0, r.all);
  assert.is(r.config!.dps!.symmetricKey, GROUP_DERIVED_KEY);
  accepted(r.config);
  const forms = [GROUP_KEY, GROUP_KEY.replace(/=+$/, ""), GROUP_KEY.slice(0, 24), Buffer.from(GROUP_KEY, "base64").toString("hex"), encodeURIComponent(GROUP_KEY)];
  for (const form of forms) {
    assert.not.ok(r.text!.includes(form), "the file does not hold the group key (" + form.slice(0, 8) + "...)");
    assert.not.ok(r.all.includes(form), "the output does not show the group key");
  }
  assert.not.ok(r.all.includes(GROUP_DERIVED_KEY), "the derived key is not printed either");
  assert.not.ok(/groupKey/i.test(r.text!), "no groupKey field");
  assert.match(r.out, /derived from the group key/);
});
group("any registration id -> base64 HMAC-SHA256(group key, id), as node:crypto computes it", () => {
  const r = run(["--id-scope", "0ne00AB12CD", "--registration-id", "Dev.7:a_b", "--group-key", GROUP_KEY, ...WIFI]);
  assert.is(r.code, 0, r.all);
  const expected = createHmac("sha256", Buffer.from(GROUP_KEY, "base64")).update("Dev.7:a_b").digest("base64");
  assert.is(r.config!.dps!.symmetricKey, expected);
});
group("a device.json with a groupKey field -> rejected by the shared validation", async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "device.json"), JSON.stringify({ dps: { idScope: "0ne00AB12CD", registrationId: "d", symmetricKey: KEY, groupKey: GROUP_KEY } }));
    const r = await flash(["--dry-run", "--config", "device.json", "--bundle", join(t.dir, "device.json")], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /groupKey must not be on a device/);
    assert.not.ok(r.all.includes(GROUP_KEY));
  } finally {
    t.remove();
  }
});
group.run();

const files = suite("make-config: files");
files("existing device.json -> refused without --force, untouched; replaced with --force", () => {
  const t = tempDir();
  try {
    const path = join(t.dir, "device.json");
    writeFileSync(path, "{\"keep\":true}\n");
    const refused = makeConfig(["--connection-string", CS, ...WIFI], t.dir);
    assert.is(refused.code, 1);
    assert.match(refused.err, /already exists: refusing to overwrite it \(add --force/);
    assert.is(readFileSync(path, "utf8"), "{\"keep\":true}\n");
    const forced = makeConfig(["--connection-string", CS, ...WIFI, "--force"], t.dir);
    assert.is(forced.code, 0, forced.all);
    assert.is(JSON.parse(readFileSync(path, "utf8")).connectionString, CS);
  } finally {
    t.remove();
  }
});
files("--out elsewhere -> written there, mode 0600", () => {
  const t = tempDir();
  try {
    const r = makeConfig(["--connection-string", CS, ...WIFI, "--out", "configs/a.json"], t.dir);
    assert.is(r.code, 1, "a missing directory is an error");
    assert.match(r.err, /cannot write configs\/a\.json \(ENOENT\)/);
    const ok = makeConfig(["--connection-string", CS, ...WIFI, "--out", "a.json"], t.dir);
    assert.is(ok.code, 0, ok.all);
    if (process.platform !== "win32") assert.is(statSync(join(t.dir, "a.json")).mode & 0o777, 0o600);
  } finally {
    t.remove();
  }
});
files.run();

const certs = suite("make-config: certificates");
const ca = createTestCa("flash test CA");
const other = createTestCa("flash test CA 2");
const leaf = ca.issue("dev-01");
certs("--ca PEM file with two certificates -> two base64 DER entries, accepted, a one-CA warning", () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "roots.pem"), ca.caPem + "\n" + other.caPem);
    const r = makeConfig(["--connection-string", CS, ...WIFI, "--ca", "roots.pem"], t.dir);
    assert.is(r.code, 0, r.all);
    const config = JSON.parse(readFileSync(join(t.dir, "device.json"), "utf8")) as DeviceConfig;
    assert.equal(config.ca, [Buffer.from(ca.caDer).toString("base64"), Buffer.from(other.caDer).toString("base64")]);
    accepted(config);
    assert.match(r.out, /CN=flash test CA/);
    assert.match(r.out, /passes only ca\[0\]/);
  } finally {
    t.remove();
  }
});
certs("--ca DER file -> one base64 DER entry", () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "root.der"), ca.caDer);
    const r = makeConfig(["--connection-string", CS, ...WIFI, "--ca", "root.der"], t.dir);
    assert.is(r.code, 0, r.all);
    assert.equal(JSON.parse(readFileSync(join(t.dir, "device.json"), "utf8")).ca, [Buffer.from(ca.caDer).toString("base64")]);
  } finally {
    t.remove();
  }
});
certs("--ca with a file that is no certificate -> error", () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "junk.pem"), "hello");
    const r = makeConfig(["--connection-string", CS, "--ca", "junk.pem"], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /junk\.pem: not a certificate/);
  } finally {
    t.remove();
  }
});
certs("x509 connection string + certificate + key -> DER in the file, private key never printed", () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "dev.pem"), leaf.certPem);
    writeFileSync(join(t.dir, "dev.key"), leaf.keyPem);
    const r = makeConfig(["--connection-string", "HostName=" + HUB + ";DeviceId=dev-01;x509=true", "--certificate", "dev.pem", "--private-key", "dev.key", ...WIFI], t.dir);
    assert.is(r.code, 0, r.all);
    const config = JSON.parse(readFileSync(join(t.dir, "device.json"), "utf8")) as DeviceConfig;
    const resolved = accepted(config);
    assert.ok(resolved.certificate.length > 100 && resolved.privateKey.length > 100);
    assert.not.ok(r.all.includes(config.privateKey as string), "the key is not printed");
    assert.not.ok(r.all.includes(leaf.keyPem.split("\n")[1]), "no line of the PEM key is printed");
    assert.match(r.out, /X\.509: CN=dev-01/);
  } finally {
    t.remove();
  }
});
certs("DPS with an encrypted private key -> error", () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, "dev.pem"), leaf.certPem);
    writeFileSync(join(t.dir, "dev.key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    const r = makeConfig(["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--certificate", "dev.pem", "--private-key", "dev.key"], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /encrypted/);
  } finally {
    t.remove();
  }
});
certs.run();

const child = suite("make-config: as npm runs it (child process, temp directory)");
child("group key -> device.json in the working directory; second run refused; group key nowhere", async () => {
  const t = tempDir();
  try {
    const argv = ["--id-scope", "0ne00AB12CD", "--registration-id", GROUP_REGISTRATION_ID, "--group-key", GROUP_KEY, ...WIFI];
    const first = await runTool("make-config", argv, t.dir);
    assert.is(first.code, 0, first.all);
    const text = readFileSync(join(t.dir, "device.json"), "utf8");
    assert.is(JSON.parse(text).dps.symmetricKey, GROUP_DERIVED_KEY);
    assert.not.ok(text.includes(GROUP_KEY) || first.all.includes(GROUP_KEY));
    const second = await runTool("make-config", argv, t.dir);
    assert.is(second.code, 1);
    assert.match(second.err, /refusing to overwrite/);
    assert.is(readFileSync(join(t.dir, "device.json"), "utf8"), text);
  } finally {
    t.remove();
  }
});
child("bad connection string -> non-zero exit, message on stderr", async () => {
  const t = tempDir();
  try {
    const r = await runTool("make-config", ["--connection-string", "HostName=x.azure-devices.net;DeviceId=d"], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /no credential/);
    assert.not.ok(existsSync(join(t.dir, "device.json")));
  } finally {
    t.remove();
  }
});
child.run();

// Secrets from a file or the environment: never on the command line, never printed.
const secrets = suite("make-config: secrets from files and the environment");
function runIn(argv: string[], env: Record<string, string>, files: Record<string, string>): ReturnType<typeof run> {
  const t = tempDir();
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(t.dir, name), text);
    const r = makeConfig(argv, t.dir, env);
    const path = join(t.dir, "device.json");
    const text = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    return { ...r, text, config: text === undefined ? undefined : JSON.parse(text) };
  } finally {
    t.remove();
  }
}
secrets("--key-file and --wifi-password-file: the first line of each file; said where they came from, values never printed", () => {
  const r = runIn(["--id-scope", "0ne00AB12CD", "--registration-id", "dev-01", "--key-file", "dev.key", "--wifi-ssid", "Lab", "--wifi-password-file", "wifi.txt"],
    {}, { "dev.key": KEY + "\n", "wifi.txt": "lab secret 42\r\nignored" });
  assert.is(r.code, 0, r.all);
  assert.is(r.config?.dps?.symmetricKey, KEY);
  assert.is(r.config?.wifi?.password, "lab secret 42");
  assert.match(r.out, /--key from dev\.key/);
  assert.match(r.out, /--wifi-password from wifi\.txt/);
  assert.not.ok(r.all.includes(KEY) || r.all.includes("lab secret 42"));
});
secrets("AZIOT_CONNECTION_STRING, AZIOT_WIFI_PASSWORD and AZIOT_OTA_KEY from the environment", () => {
  const ota = randomKey(32);
  const r = runIn(["--wifi-ssid", "Lab"], { AZIOT_CONNECTION_STRING: CS, AZIOT_WIFI_PASSWORD: "lab-secret-42", AZIOT_OTA_KEY: ota }, {});
  assert.is(r.code, 0, r.all);
  assert.is(r.config?.connectionString, CS);
  assert.is(r.config?.wifi?.password, "lab-secret-42");
  assert.is(r.config?.ota?.key, ota);
  assert.match(r.out, /--connection-string from \$AZIOT_CONNECTION_STRING/);
  assert.not.ok(r.all.includes(KEY) || r.all.includes(ota) || r.all.includes("lab-secret-42"));
});
secrets("AZIOT_GROUP_KEY -> the derived key; an option on the command line wins over the environment", () => {
  const r = runIn(["--id-scope", "0ne00AB12CD", "--registration-id", GROUP_REGISTRATION_ID, ...WIFI], { AZIOT_GROUP_KEY: GROUP_KEY }, {});
  assert.is(r.code, 0, r.all);
  assert.is(r.config?.dps?.symmetricKey, GROUP_DERIVED_KEY);
  const own = runIn(["--wifi-ssid", "Lab", "--wifi-password", "from-the-command-line"], { AZIOT_CONNECTION_STRING: CS, AZIOT_WIFI_PASSWORD: "from-the-environment" }, {});
  assert.is(own.config?.wifi?.password, "from-the-command-line");
});
secrets("an option and its file together, a missing file, an empty first line -> exit 1, nothing written", () => {
  const both = runIn(["--connection-string", CS, "--connection-string-file", "cs.txt"], {}, { "cs.txt": CS });
  assert.is(both.code, 1);
  assert.match(both.err, /give --connection-string or --connection-string-file, not both/);
  const missing = runIn(["--connection-string-file", "nope.txt"], {}, {});
  assert.match(missing.err, /--connection-string-file nope\.txt: cannot read \(ENOENT\)/);
  const empty = runIn(["--connection-string-file", "cs.txt"], {}, { "cs.txt": "\n" + CS });
  assert.match(empty.err, /the first line is empty/);
  assert.is(empty.text, undefined);
});
secrets("--ota-key too short -> a message, never the key", () => {
  const r = runIn(["--connection-string", CS, "--ota-key", "c2hvcnQ="], {}, {});
  assert.is(r.code, 1);
  assert.match(r.err, /--ota-key decodes to 5 bytes/);
});
secrets.run();
