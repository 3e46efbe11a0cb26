// The simulator's update commands: `serve <path> <file>`, `announce <device> <manifest.json>
// [bundle]` and `--serve <path>=<file>` (an update rehearsed against npm run sim).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { get } from "node:https";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../../tools/hub-sim/commands";
import { parseCli } from "../../tools/hub-sim/cli-options";
import { signUpdate } from "../../tools/sign-update/sign";
import { tempDir } from "../flash/kit";
import { fixture, teardown, KEY } from "./sim-helpers";

const OTA_KEY = Buffer.alloc(32, 5).toString("base64");
const BUNDLE = new Uint8Array(Buffer.from("/* app 1.2.0 */ print('hello');"));

function fetchFile(address: string, host: string, path: string, caPem: string): Promise<{ status: number; body: string }> {
  const [ip, port] = address.split(":");
  return new Promise((resolve, reject) => {
    get({ host: ip, port: Number(port), path, servername: host, ca: caPem, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString("latin1")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

const announce = suite("sim: announce a signed manifest");

announce("manifest + bundle -> served at the manifest's path, desired ota set with allowDowngrade", async () => {
  const f = await fixture();
  const t = tempDir("announce-");
  try {
    f.sim.addDevice("dev1", { hub: "hub-a", key: KEY });
    const m = signUpdate({ bundle: BUNDLE, version: "1.2.0", url: "https://files.azure-devices.net/ota/app.js?sv=x", keyBase64: OTA_KEY }).manifest;
    const { allowDowngrade: _dropped, ...withoutFlag } = m!;
    writeFileSync(join(t.dir, "m.json"), JSON.stringify(withoutFlag));
    writeFileSync(join(t.dir, "app.js"), BUNDLE);
    const said = await runCommand(f.sim, "announce dev1 " + join(t.dir, "m.json") + " " + join(t.dir, "app.js"));
    assert.match(said, /^announced 1\.2\.0 to dev1 \(desired \$version \d+\); serving https:\/\/files\.azure-devices\.net\/ota\/app\.js\?sv=x \(31 B\)$/);
    const ota = f.sim.twin("dev1").desired.ota as Record<string, unknown>;
    assert.equal(ota, { ...withoutFlag, allowDowngrade: false });
    const got = await fetchFile(f.sim.hosts[f.sim.fileHost], f.sim.fileHost, "/ota/app.js?sv=x", f.sim.caPem);
    assert.equal([got.status, got.body], [200, Buffer.from(BUNDLE).toString("latin1")]);
  } finally {
    t.remove();
    await teardown(f);
  }
});

announce("a bundle that is not the signed one, or a URL on another host -> refused, nothing announced", async () => {
  const f = await fixture();
  const t = tempDir("announce-");
  try {
    f.sim.addDevice("dev1", { hub: "hub-a", key: KEY });
    const other = signUpdate({ bundle: BUNDLE, version: "1.2.0", url: "https://example.com/app.js", keyBase64: OTA_KEY }).manifest;
    writeFileSync(join(t.dir, "other.json"), JSON.stringify(other));
    writeFileSync(join(t.dir, "app.js"), BUNDLE);
    writeFileSync(join(t.dir, "changed.js"), "/* app 1.2.1 */ print('hello');");
    assert.match(await runCommand(f.sim, "announce dev1 " + join(t.dir, "other.json") + " " + join(t.dir, "app.js")),
      /^error: the manifest's URL is on example\.com, not on this simulator's file host: sign it with --url https:\/\/files\.azure-devices\.net\/app\.js$/);
    const ok = signUpdate({ bundle: BUNDLE, version: "1.2.0", url: "https://files.azure-devices.net/app.js", keyBase64: OTA_KEY }).manifest;
    writeFileSync(join(t.dir, "ok.json"), JSON.stringify(ok));
    assert.match(await runCommand(f.sim, "announce dev1 " + join(t.dir, "ok.json") + " " + join(t.dir, "changed.js")), /^error: the bundle is not the one the manifest was signed for/);
    assert.match(await runCommand(f.sim, "announce dev1 " + join(t.dir, "missing.json")), /^error: cannot read manifest .*missing\.json \(ENOENT\)$/);
    writeFileSync(join(t.dir, "junk.json"), "[1, 2]");
    assert.match(await runCommand(f.sim, "announce dev1 " + join(t.dir, "junk.json")), /^error: not a manifest/);
    assert.is(f.sim.twin("dev1").desired.ota, undefined, "nothing announced");
    assert.is(await runCommand(f.sim, "announce dev1"), "usage: announce <device> <manifest.json> [bundle]");
  } finally {
    t.remove();
    await teardown(f);
  }
});

announce("serve <path> <file> and --serve <path>=<file>", async () => {
  const f = await fixture();
  const t = tempDir("announce-");
  try {
    writeFileSync(join(t.dir, "app.js"), BUNDLE);
    assert.is(await runCommand(f.sim, "serve /ota/x.js " + join(t.dir, "app.js")), "serving https://files.azure-devices.net/ota/x.js (31 B)");
    const got = await fetchFile(f.sim.hosts[f.sim.fileHost], f.sim.fileHost, "/ota/x.js", f.sim.caPem);
    assert.is(got.status, 200);
    assert.equal(parseCli(["--serve", "/ota/app.js=dist/firmware.js", "--serve", "a=b"]).serve, [
      { path: "/ota/app.js", file: "dist/firmware.js" },
      { path: "a", file: "b" },
    ]);
    assert.throws(() => parseCli(["--serve", "/ota/app.js"]), /--serve wants <path>=<file>/);
  } finally {
    t.remove();
    await teardown(f);
  }
});

announce.run();
