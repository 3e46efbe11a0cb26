// npm run sign-update: the manifest it writes is the one the device verifies (signed and
// checked with firmware/ota/manifest.ts), the key never shows, and end to end a manifest it
// signed, announced through the simulator's `announce` command, updates a device.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseManifest, verifyManifest, type Manifest } from "../../firmware/ota/manifest";
import { runSignUpdate } from "../../tools/sign-update/main";
import { signUpdate, sha256 } from "../../tools/sign-update/sign";
import type { ToolIo } from "../../tools/flash/summary";
import { runCommand } from "../../tools/hub-sim/commands";
import { makeConfig, tempDir, NOW } from "../flash/kit";
import { createWorld } from "../device/harness";
import { OtaDevice, appBundle, OTA_KEY } from "../device/ota-kit";

const ROOT = resolve(import.meta.dirname, "../..");
const KEY = Buffer.alloc(32, 0x42).toString("base64");
const URL_ = "https://files.azure-devices.net/ota/app-1.2.0.js";
const MINUTE = 60_000;

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string; all: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: ToolIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, nowSeconds: () => NOW };
  const code = runSignUpdate(argv, io, env);
  return { code, out: out.join("\n"), err: err.join("\n"), all: out.join("\n") + "\n" + err.join("\n") };
}

/** Runs tools/sign-update/main.ts as `npm run sign-update` does (node --import tsx). */
function runChild(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; all: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "tools/sign-update/main.ts"), ...argv], {
      cwd,
      env: { ...process.env, AZIOT_OTA_KEY: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let all = "";
    child.stdout.on("data", (d: Buffer) => (all += d.toString()));
    child.stderr.on("data", (d: Buffer) => (all += d.toString()));
    child.on("close", (code) => done({ code: code ?? -1, all }));
  });
}

const keyBytes = (k: string): Uint8Array => new Uint8Array(Buffer.from(k, "base64"));

const sign = suite("sign-update: the manifest the device verifies");

sign("bundle, version, URL, key -> parseManifest and verifyManifest of the firmware accept it", () => {
  const bundle = appBundle("1.2.0");
  const r = signUpdate({ bundle, version: "1.2.0", url: URL_, keyBase64: KEY });
  assert.equal(r.errors, []);
  const m = r.manifest as Manifest;
  assert.equal([m.version, m.url, m.size, m.allowDowngrade], ["1.2.0", URL_, bundle.length, false]);
  assert.is(m.sha256, Buffer.from(sha256(bundle)).toString("hex"));
  const parsed = parseManifest(JSON.parse(JSON.stringify(m)));
  assert.type(parsed, "object");
  assert.ok(verifyManifest(parsed as Manifest, keyBytes(KEY), sha256), "verifies under the key");
  assert.not.ok(verifyManifest(parsed as Manifest, keyBytes(Buffer.alloc(32, 1).toString("base64")), sha256), "not under another key");
});

sign("--allow-downgrade is signed in: flipping it breaks the authenticator", () => {
  const m = signUpdate({ bundle: appBundle("1.0.0"), version: "1.0.0", url: URL_, keyBase64: KEY, allowDowngrade: true }).manifest as Manifest;
  assert.is(m.allowDowngrade, true);
  assert.ok(verifyManifest(m, keyBytes(KEY), sha256));
  assert.not.ok(verifyManifest({ ...m, allowDowngrade: false }, keyBytes(KEY), sha256));
});

sign("what the device would refuse is refused here, with the reason", () => {
  const bundle = appBundle("1.2.0");
  const errors = (over: Partial<Parameters<typeof signUpdate>[0]>): string => signUpdate({ bundle, version: "1.2.0", url: URL_, keyBase64: KEY, ...over }).errors.join("; ");
  assert.match(errors({ version: "1.2.0-beta" }), /--version must be/);
  assert.match(errors({ version: "01.2" }), /--version must be/);
  assert.match(errors({ url: "http://files.azure-devices.net/a.js" }), /device would refuse/);
  assert.match(errors({ url: "files/a.js" }), /--url must be https/);
  assert.match(errors({ maxBytes: 1000 }), /the device accepts at most 1000/);
  assert.match(errors({ keyBase64: "c2hvcnQ=" }), /decodes to 5 bytes/);
  assert.match(errors({ keyBase64: "not base64!" }), /not base64/);
  const leaky = new Uint8Array([...Buffer.from("var k='" + KEY + "';")]);
  assert.match(signUpdate({ bundle: leaky, version: "1.2.0", url: URL_, keyBase64: KEY }).errors.join(), /contains the OTA key/);
});

const cli = suite("sign-update: command line");

cli("--key-file and --out -> manifest file; summary shows size and hash, never the key", () => {
  const t = tempDir("sign-update-");
  try {
    writeFileSync(join(t.dir, "app.js"), appBundle("1.2.0"));
    writeFileSync(join(t.dir, "ota.key"), KEY + "\n");
    const r = run(["--bundle", "app.js", "--version", "1.2.0", "--url", URL_, "--key-file", "ota.key", "--out", "manifest.json"], t.dir);
    assert.is(r.code, 0, r.all);
    assert.match(r.out, /^wrote manifest\.json: manifest for 1\.2\.0: 40000 bytes, sha256 [0-9a-f]{64}/);
    assert.not.ok(r.all.includes(KEY), "the key is never printed");
    const m = JSON.parse(readFileSync(join(t.dir, "manifest.json"), "utf8")) as Manifest;
    assert.ok(verifyManifest(m, keyBytes(KEY), sha256));
    assert.is(run(["--bundle", "app.js", "--version", "1.2.0", "--url", URL_, "--key-file", "ota.key", "--out", "manifest.json"], t.dir).code, 1, "no overwrite without --force");
  } finally {
    t.remove();
  }
});

cli("key from AZIOT_OTA_KEY, manifest on stdout; no key anywhere -> refused with how to make one", () => {
  const t = tempDir("sign-update-");
  try {
    writeFileSync(join(t.dir, "app.js"), appBundle("1.2.0"));
    const r = run(["--bundle", "app.js", "--version", "1.2.0", "--url", URL_], t.dir, { AZIOT_OTA_KEY: KEY });
    assert.is(r.code, 0, r.all);
    assert.ok(verifyManifest(JSON.parse(r.out) as Manifest, keyBytes(KEY), sha256), "stdout is the manifest alone");
    assert.not.ok(r.all.includes(KEY));
    const none = run(["--bundle", "app.js", "--version", "1.2.0", "--url", URL_], t.dir, {});
    assert.is(none.code, 1);
    assert.match(none.err, /no OTA key: give --key-file <file> or set AZIOT_OTA_KEY \(npm run sign-update -- --new-key ota\.key makes one\)/);
    assert.is(run(["--key", KEY], t.dir).code, 2, "a key on the command line is not an option");
  } finally {
    t.remove();
  }
});

cli("--new-key writes a 32-byte key readable only by the owner; make-config --ota-key-file takes it, never prints it", () => {
  const t = tempDir("sign-update-");
  try {
    const r = run(["--new-key", "ota.key"], t.dir);
    assert.is(r.code, 0, r.all);
    const key = readFileSync(join(t.dir, "ota.key"), "utf8").trim();
    assert.is(Buffer.from(key, "base64").length, 32);
    assert.is(statSync(join(t.dir, "ota.key")).mode & 0o777, 0o600);
    assert.not.ok(r.all.includes(key));
    assert.is(run(["--new-key", "ota.key"], t.dir).code, 1, "an existing key is never replaced without --force");

    const cs = "HostName=my-hub.azure-devices.net;DeviceId=dev-01;SharedAccessKey=" + Buffer.alloc(32, 3).toString("base64");
    const made = makeConfig(["--connection-string", cs, "--ota-key-file", "ota.key"], t.dir);
    assert.is(made.code, 0, made.all);
    assert.not.ok(made.all.includes(key), "make-config does not print the OTA key");
    const config = JSON.parse(readFileSync(join(t.dir, "device.json"), "utf8")) as { ota?: { key: string } };
    assert.is(config.ota?.key, key);
    writeFileSync(join(t.dir, "short.key"), "c2hvcnQ=");
    const bad = makeConfig(["--connection-string", cs, "--ota-key-file", "short.key", "--out", "d2.json"], t.dir);
    assert.is(bad.code, 1);
    assert.match(bad.err, /--ota-key decodes to 5 bytes/);
    assert.not.ok(existsSync(join(t.dir, "d2.json")));
  } finally {
    t.remove();
  }
});

const e2e = suite("sign-update -> simulator announce -> the device updates");

e2e("npm run sign-update's manifest, announced with the bundle through the sim's command, is installed and confirmed", async () => {
  const t = tempDir("sign-update-e2e-");
  const w = await createWorld();
  try {
    const d = new OtaDevice(w);
    d.flash("1.0.0");
    d.powerOn();
    await w.advanceUntil(() => d.runs("1.0.0"), 10 * MINUTE, 1000);

    const bundle = appBundle("1.1.0");
    writeFileSync(join(t.dir, "app.js"), bundle);
    writeFileSync(join(t.dir, "ota.key"), OTA_KEY + "\n", { mode: 0o600 });
    const url = "https://" + w.sim.fileHost + "/ota/app-1.1.0.js";
    const signed = await runChild(["--bundle", "app.js", "--version", "1.1.0", "--url", url, "--key-file", "ota.key", "--out", "manifest.json"], t.dir);
    assert.is(signed.code, 0, signed.all);
    assert.not.ok(signed.all.includes(OTA_KEY));

    const said = await runCommand(w.sim, "announce dev1 " + join(t.dir, "manifest.json") + " " + join(t.dir, "app.js"));
    assert.match(said, /^announced 1\.1\.0 to dev1 \(desired \$version \d+\); serving https:\/\/files\.azure-devices\.net\/ota\/app-1\.1\.0\.js \(40000 B\)$/);
    await w.advanceUntil(() => d.runs("1.1.0"), 30 * MINUTE, 1000);
    assert.equal(d.boots, ["1.0.0", "1.1.0"]);
    const r = d.reported();
    assert.equal([r?.current, r?.last?.result, r?.last?.version], ["1.1.0", "success", "1.1.0"]);
    assert.is(w.sim.fileCounters().byPath["/ota/app-1.1.0.js"]?.requests, 1, "downloaded once from the URL that was signed");
  } finally {
    await w.stop();
    t.remove();
  }
});

e2e("a manifest signed with another key, announced the same way -> rejected by the device, nothing downloaded", async () => {
  const t = tempDir("sign-update-e2e-");
  const w = await createWorld();
  try {
    const d = new OtaDevice(w);
    d.flash("1.0.0");
    d.powerOn();
    await w.advanceUntil(() => d.runs("1.0.0"), 10 * MINUTE, 1000);
    writeFileSync(join(t.dir, "app.js"), appBundle("1.1.0"));
    const r = run(["--bundle", "app.js", "--version", "1.1.0", "--url", "https://" + w.sim.fileHost + "/ota/x.js", "--out", "m.json"], t.dir, { AZIOT_OTA_KEY: KEY });
    assert.is(r.code, 0, r.all);
    await runCommand(w.sim, "announce dev1 " + join(t.dir, "m.json") + " " + join(t.dir, "app.js"));
    await w.advanceUntil(() => d.reported()?.last?.result === "rejected", 5 * MINUTE, 1000);
    assert.is(d.reported()?.last?.reason, "authenticator mismatch");
    assert.is(w.sim.fileCounters().requests, 0);
  } finally {
    await w.stop();
    t.remove();
  }
});

sign.run();
cli.run();
e2e.run();
