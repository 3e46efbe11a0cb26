// The real upload path, end to end, without hardware: `npm run flash` drives the espruino
// CLI into the Espruino Linux build's Telnet console (tcp://127.0.0.1:2323), the device-side
// check erases what could boot anything else and confirms every record, the interpreter
// restarts into the boot stub, which runs the app from slot a. The Storage starts with a
// previous install's records (an update in slot b that a newer selector copy names, a
// progress record, the old single app record): the flashed app must run all the same. Then
// a second interpreter run reads the records back from the same Storage file.
// Runs only when ESPRUINO names the interpreter, and only if port 2323 is free.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { connect, createServer } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { APP_RECORD, BOOT_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { encodeSelector, SELECTOR_RECORD, SELECTOR_RECORD_2, SLOT_A_RECORD, SLOT_B_RECORD, PROGRESS_RECORD } from "../../firmware/ota/slots";
import { bootStub, initialSelector, projectVersion } from "../../tools/flash/boot-stub";
import { flash, interpreter, randomKey, startInterpreter, tempDir } from "./kit";

const TELNET_PORT = 2323;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once("error", () => resolvePromise(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolvePromise(true)));
  });
}

async function waitForTelnet(timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolvePromise) => {
      const socket = connect(TELNET_PORT, "127.0.0.1", () => {
        socket.end();
        resolvePromise(true);
      });
      socket.once("error", () => resolvePromise(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const upload = suite("flash over the Linux interpreter's Telnet console ($ESPRUINO)");
const espruino = interpreter();
// Without ESPRUINO the suite is empty (the runner counts no skips).
if (espruino) {
  upload("flash over a previous install -> old records erased, records verified, restart runs the flashed app from slot a; Storage holds exactly the written bytes", async () => {
    if (!(await portFree(TELNET_PORT))) {
      console.log("  (port " + TELNET_PORT + " is busy: telnet upload test not run)");
      return;
    }
    const device = tempDir("flash-device-");
    const work = tempDir("flash-work-");
    const key = randomKey(32);
    const config = { dps: { idScope: "0ne00AB12CD", registrationId: "dev-01", symmetricKey: key }, wifi: { ssid: "Lab", password: "lab-secret-42" } };
    const app = "(function(){var c=require(\"Storage\").readJSON(" + JSON.stringify(CONFIG_RECORD) + ");print(\"FAKEAPP \"+c.dps.registrationId);})();\n";
    writeFileSync(join(work.dir, "device.json"), JSON.stringify(config, null, 2));
    writeFileSync(join(work.dir, "app.js"), app);
    // A previous install: slot b active through the second selector copy (higher seq).
    const old = encodeSelector({ seq: 9, active: "b", pending: false, tries: 0, previous: "a", version: "0.0.9", previousVersion: "0.0.8", rejected: "" });
    writeFileSync(join(device.dir, "old.js"), "var S=require(\"Storage\");S.write(" + JSON.stringify(SELECTOR_RECORD_2) + "," + JSON.stringify(old) + ");" +
      "S.write(" + JSON.stringify(SLOT_B_RECORD) + ",\"print('OLDAPP b')\");S.write(" + JSON.stringify(APP_RECORD) + ",\"print('OLDAPP legacy')\");" +
      "S.write(" + JSON.stringify(PROGRESS_RECORD) + ",\"{}\");print(\"OLD DONE\");\n");
    let telnet = startInterpreter(espruino, ["old.js"], device.dir);
    try {
      assert.ok(await telnet.waitFor(/^OLD DONE$/, 10000), telnet.lines.join("\n"));
      await telnet.stop();
      telnet = startInterpreter(espruino, ["--telnet"], device.dir);
      assert.ok(await waitForTelnet(5000), "the interpreter listens on " + TELNET_PORT);
      const r = await flash(["--config", "device.json", "--bundle", "app.js", "--port", "tcp://127.0.0.1:" + TELNET_PORT], work.dir);
      assert.is(r.code, 0, r.all);
      for (const name of [SLOT_A_RECORD, CONFIG_RECORD, SELECTOR_RECORD, BOOT_RECORD]) assert.match(r.out, new RegExp("device> AZFLASH \\" + name + " \\d+ bytes ok"));
      for (const name of [SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD, APP_RECORD]) assert.match(r.out, new RegExp("device> AZFLASH " + name.replace(/\./g, "\\.") + " erased"));
      assert.match(r.out, /device> AZFLASH DONE/);
      assert.not.ok(r.all.includes(key), "no secret in the output");
      // The app's line comes from the restart into .bootcde, either through the CLI or on stdout.
      const booted = r.out.includes("device> FAKEAPP dev-01") || (await telnet.waitFor(/^FAKEAPP dev-01$/, 3000)) !== undefined;
      assert.ok(booted, "the boot stub ran the app:\n" + r.out + "\n" + telnet.lines.join("\n"));
      assert.not.ok(r.out.includes("OLDAPP") || telnet.lines.some((l) => l.includes("OLDAPP")), "no old application ran");
      await telnet.stop();

      const all = [SLOT_A_RECORD, CONFIG_RECORD, SELECTOR_RECORD, BOOT_RECORD, SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD, APP_RECORD];
      const read = "var S=require(\"Storage\");[" + all.map((n) => JSON.stringify(n)).join(",") +
        "].forEach(function(n){var f=S.read(n);print(\"REC \"+n+\" \"+(f===undefined?\"-\":btoa(f)));});print(\"READ DONE\");\n";
      writeFileSync(join(device.dir, "read.js"), read);
      telnet = startInterpreter(espruino, ["read.js"], device.dir);
      assert.ok(await telnet.waitFor(/^READ DONE$/, 10000), telnet.lines.join("\n"));
      const stored = (name: string) => {
        const line = telnet.lines.find((l) => l.startsWith("REC " + name + " "));
        return line === undefined || line.endsWith(" -") ? undefined : Buffer.from(line.slice(5 + name.length), "base64").toString("latin1");
      };
      assert.is(stored(SLOT_A_RECORD), app);
      assert.is(stored(CONFIG_RECORD), JSON.stringify(config));
      assert.is(stored(SELECTOR_RECORD), initialSelector(projectVersion()));
      assert.is(stored(BOOT_RECORD), bootStub());
      for (const name of [SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD, APP_RECORD]) assert.is(stored(name), undefined, name);
    } finally {
      await telnet.stop();
      device.remove();
      work.remove();
    }
  });
}
upload.run();
