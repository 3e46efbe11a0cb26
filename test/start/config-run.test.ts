// npm start -- --config, as docs/simulator.md and docs/updates.md use it: the desktop device
// (a child process, real time) with a configuration pointed at the simulator (hosts table,
// CA). Its first boot says why it waits before DPS; an update signed by sign-update and
// announced through the simulator's command is downloaded, switched to after a reboot on the
// same --store, and confirmed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startSimulator } from "../../tools/hub-sim/index";
import { runCommand } from "../../tools/hub-sim/commands";
import { signUpdate } from "../../tools/sign-update/sign";
import { appBundle } from "../../tools/start/app-bundles";
import { testCa } from "../device/harness";
import { tempDir } from "../flash/kit";

const ROOT = resolve(import.meta.dirname, "../..");
const OTA_KEY = Buffer.alloc(32, 0x33).toString("base64");

function waitForLine(lines: string[], pattern: RegExp, ms: number): Promise<void> {
  const start = Date.now();
  return new Promise((done, fail) => {
    const poll = (): void => {
      if (lines.some((l) => pattern.test(l))) done();
      else if (Date.now() - start > ms) fail(new Error("no line " + pattern + " within " + ms + " ms; got:\n" + lines.slice(-15).join("\n")));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

test("npm start -- --config against the simulator: stagger explained, an announced update installed across a reboot, confirmed", async () => {
  const t = tempDir("start-config-");
  const sim = await startSimulator({ ca: testCa(), dpsRetryAfterSeconds: 1 });
  let child: ChildProcess | undefined;
  try {
    const { key } = sim.enrollIndividual("desk1");
    writeFileSync(join(t.dir, "device.json"), JSON.stringify({
      dps: { idScope: sim.idScope, registrationId: "desk1", symmetricKey: key },
      ca: [sim.caPem],
      hosts: sim.hosts,
      fleet: { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 },
      ota: { key: OTA_KEY },
    }));
    const lines: string[] = [];
    child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "tools/start/main.ts"), "--config", "device.json", "--store", "store"], {
      cwd: t.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    const take = (d: Buffer): void => {
      const parts = (partial + d.toString()).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);

    await waitForLine(lines, /^status Connected/, 30_000);
    assert.ok(lines.some((l) => / INFO DPS in 1 s: fleet stagger for 1 device at 1,000 registrations\/min$/.test(l)), "the first boot says why it waits");
    assert.ok(lines.some((l) => l === "storage: " + join(t.dir, "store")));

    const bundle = appBundle("1.2.0");
    const manifest = signUpdate({ bundle, version: "1.2.0", url: "https://" + sim.fileHost + "/ota/1.2.0.js", keyBase64: OTA_KEY }).manifest;
    writeFileSync(join(t.dir, "manifest.json"), JSON.stringify(manifest));
    writeFileSync(join(t.dir, "app.js"), bundle);
    assert.match(await runCommand(sim, "announce desk1 " + join(t.dir, "manifest.json") + " " + join(t.dir, "app.js")), /^announced 1\.2\.0 to desk1/);

    await waitForLine(lines, /ota: update to 1\.2\.0 confirmed/, 30_000);
    const at = (p: RegExp): number => lines.findIndex((l) => p.test(l));
    assert.ok(at(/ota: slot b holds 1\.2\.0, verified/) < at(/^reboot$/), "verified, then rebooted");
    assert.ok(at(/^reboot$/) < at(/ota: running 1\.2\.0 unconfirmed \(boot 1\)/), "the trial boot runs 1.2.0 from the same store");
    const reported = (): { current?: string; last?: { result?: string } } => (sim.twin("desk1").reported.ota ?? {}) as { current?: string; last?: { result?: string } };
    for (let i = 0; i < 200 && reported().last?.result !== "success"; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal([reported().current, reported().last?.result], ["1.2.0", "success"], "the cloud sees 1.2.0 running");
    assert.is(sim.counters().dps.registrations, 1, "the reboot used the cached hub");
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once("exit", done));
      child.kill("SIGINT");
      await exited;
    }
    await sim.stop();
    t.remove();
  }
});

test.run();
