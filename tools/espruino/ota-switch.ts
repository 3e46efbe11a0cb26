// The OTA switch on the real interpreter (npm run test:espruino, after the end-to-end test):
// an update written into Storage, verified and switched by the boot stub. Each case starts
// from a fresh Storage laid out as npm run flash does (the real boot stub, firmware/boot.ts
// through the shipping pipeline, in .bootcde; app A in slot a; the initial selector), and
// boots the interpreter with no file, again and again on the same espruino.flash.
//
// App A (test/espruino/ota-switch-app.ts: the real update agent over the Espruino HAL's
// Store) takes a signed announcement, downloads app B from an HTTP server started here,
// writes it chunk by chunk into slot b, verifies its SHA-256 over the flash-backed record,
// switches the selector and calls E.reboot(). On the Linux build E.reboot() runs the kill
// handlers, prints "Not implemented" and exits with code 1 (jshReboot in
// targets/linux/jshardware.c, 2v29): a reboot here is the process ending and the next
// boot is a new process on the same Storage file. Cases:
//   confirm  B boots unconfirmed (tries 1), confirms itself; the next boot runs B confirmed.
//   silent   B never confirms: its agent reboots when the window ends, the stub counts the
//            tries and then returns to A with B's version rejected; A refuses B again.
//   throw    B throws while it starts: the stub catches it and reboots; same rollback.
// Then the top-level check: the shipping bundle booted through the stub uses the same JsVars
// as through a one-line `eval(read(...))` .bootcde (and a function-scope eval, the mistake
// the stub avoids, for comparison).
import { MODULE_LOADER_SOURCE } from "../build/espruino-pipeline.mjs";
import { STORAGE_PUT_SOURCE, startInterpreter } from "./interpreter";
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { signManifest, type Manifest } from "../../firmware/ota/manifest";
import { parseSelector, DEFAULT_MAX_TRIES, SELECTOR_RECORD, SLOT_A_RECORD, type Selector } from "../../firmware/ota/slots";
import { BOOT_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { initialSelector } from "../flash/boot-stub";

const BOOT_TIMEOUT_MS = 30_000;
/** The new application's confirmation window in the silent case. */
const WINDOW_MS = 1500;
const A_BUILD = "ota-switch-app@1.0.0";
const B_BUILD = "ota-switch-app@1.1.0";
const B_VERSION = "1.1.0";
const ERROR_LINE = /^Uncaught|SyntaxError|ReferenceError|TypeError|OUT OF MEMORY|New interpreter error|Execution Interrupted/;

export interface OtaSwitchOptions {
  /** The test app (test/espruino/ota-switch-app.ts), minified through the pipeline. */
  app: string;
  /** The boot stub bundle (firmware/boot.ts through bootStubBundle). */
  stub: string;
  /** The shipping bundle (firmware/main.ts), for the top-level check. */
  firmware: string;
}

interface Boot {
  lines: string[];
  exitCode: number | null;
  /** Ended by E.reboot() (Linux: "Not implemented", exit code 1). */
  rebooted: boolean;
  timedOut: boolean;
}

/** Runs the interpreter in cwd (args: none = boot from Storage) until a line matches stop
 *  or it exits by itself. */
async function run(interpreter: string, args: string[], cwd: string, stop: RegExp): Promise<Boot> {
  const r = await startInterpreter(interpreter, args, cwd, { timeoutMs: BOOT_TIMEOUT_MS, until: stop }).done;
  return { ...r, rebooted: r.exitCode === 1 && r.lines.includes("Not implemented") };
}

/** Writes a fresh Storage: eraseAll, then each record from a file in cwd (in pieces, as the
 *  flasher writes: a slot file read whole does not fit a C3's pool) or a text. */
async function flash(interpreter: string, cwd: string, records: Array<[string, { file: string } | { text: string }]>): Promise<void> {
  const script = [STORAGE_PUT_SOURCE, "var S = require(\"Storage\"), ok = true;", "S.eraseAll();"];
  for (const [name, from] of records) {
    if ("file" in from) script.push("ok = put(" + JSON.stringify(name) + ", " + JSON.stringify(from.file) + ") && ok;");
    else script.push("ok = S.write(" + JSON.stringify(name) + ", " + JSON.stringify(from.text) + ") && ok;");
  }
  script.push("print(ok ? \"SETUP OK\" : \"SETUP FAIL\");", "");
  writeFileSync(join(cwd, "setup.js"), script.join("\n"));
  const r = await run(interpreter, ["setup.js"], cwd, /^SETUP (OK|FAIL)/);
  if (!r.lines.includes("SETUP OK")) throw new Error("setup failed: " + r.lines.slice(-4).join(" | "));
}

/** The selector an app printed at start ("APP <v> started; selector {...}"). */
function startedWith(boot: Boot): { version: string; selector: Selector | undefined } | undefined {
  for (const line of boot.lines) {
    const m = /^APP (\S+) started; selector (.*)$/.exec(line);
    if (m) {
      const s = parseSelector(m[2]);
      return { version: m[1], selector: typeof s === "number" ? undefined : s };
    }
  }
  return undefined;
}

function readyReport(boot: Boot): { current?: string; state?: string; last?: { result: string; reason: string; version: string } } | undefined {
  const line = boot.lines.find((l) => /^APP \S+ READY /.test(l));
  return line ? JSON.parse(line.slice(line.indexOf(" READY ") + 7)) : undefined;
}

function describe(boot: Boot): string {
  const s = startedWith(boot);
  const how = boot.rebooted ? "rebooted" : boot.timedOut ? "timed out" : "stopped";
  return (s ? s.version + (s.selector ? " (" + (s.selector.pending ? "unconfirmed, try " + s.selector.tries : "confirmed") + ")" : " (no selector)") : "no app") + ", " + how;
}

function serve(body: Buffer): Promise<{ server: Server; url: string; requests: () => number }> {
  let count = 0;
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      count++;
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range || ""));
      const from = m ? Number(m[1]) : 0;
      if (from >= body.length) {
        res.writeHead(416, { "Content-Range": "bytes */" + body.length }).end();
        return;
      }
      const headers: Record<string, string | number> = { "Content-Type": "application/javascript", "Content-Length": body.length - from };
      if (m) headers["Content-Range"] = "bytes " + from + "-" + (body.length - 1) + "/" + body.length;
      res.writeHead(m ? 206 : 200, headers);
      res.end(body.subarray(from));
    });
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({ server, url: "http://127.0.0.1:" + port + "/ota/" + B_VERSION + ".js", requests: () => count });
    });
  });
}

const KEY = new Uint8Array(32).map((_, i) => 0x40 + i);
const nodeSha256 = (d: Uint8Array) => new Uint8Array(createHash("sha256").update(d).digest());

interface CaseResult {
  failures: string[];
  report: string[];
  boots: Boot[];
}

/** One case from a fresh flash: boots until app A runs again after B, or B settled twice. */
async function runCase(interpreter: string, o: OtaSwitchOptions, manifest: Manifest, mode: string): Promise<CaseResult> {
  const failures: string[] = [];
  const report: string[] = [];
  const boots: Boot[] = [];
  const cwd = mkdtempSync(join(tmpdir(), "espruino-ota-"));
  try {
    copyFileSync(o.stub, join(cwd, "boot.js"));
    copyFileSync(o.app, join(cwd, "a.js"));
    writeFileSync(join(cwd, "ota-control.json"), JSON.stringify({ manifest, windowMs: WINDOW_MS, b: mode }));
    await flash(interpreter, cwd, [
      [SLOT_A_RECORD, { file: "a.js" }],
      [SELECTOR_RECORD, { text: initialSelector("1.0.0") }],
      [BOOT_RECORD, { file: "boot.js" }],
    ]);
    // confirm: A, B unconfirmed, B confirmed. Otherwise: A, DEFAULT_MAX_TRIES x B, A.
    const expected = mode === "confirm" ? 3 : 2 + DEFAULT_MAX_TRIES;
    for (let i = 0; i < expected; i++) {
      const boot = await run(interpreter, [], cwd, /^APP \S+ READY /);
      boots.push(boot);
      const errors = boot.lines.filter((l) => ERROR_LINE.test(l));
      if (errors.length) failures.push(mode + ": boot " + (i + 1) + ": interpreter errors: " + errors.slice(0, 3).join(" | "));
      if (boot.timedOut) failures.push(mode + ": boot " + (i + 1) + " timed out");
      if (!boot.rebooted && !readyReport(boot)) break;
    }
    const seen = boots.map((b) => startedWith(b));
    report.push(mode + ": boots " + boots.map(describe).join("; "));

    // Boot 1: A installs B.
    const first = boots[0];
    const switched = first.lines.find((l) => /^APP 1\.0\.0 wrote \d+ chunks, largest \d+ bytes; switched: /.test(l));
    const chunkMatch = switched ? /wrote (\d+) chunks, largest (\d+) bytes/.exec(switched) : null;
    const digestLine = first.lines.find((l) => /^APP 1\.0\.0 sha-256 of azapp\.b\.js over its flash-backed record: /.test(l));
    if (!seen[0] || seen[0].version !== "1.0.0" || !seen[0].selector || seen[0].selector.active !== "a" || seen[0].selector.pending) {
      failures.push(mode + ": boot 1 did not run A from slot a, confirmed");
    }
    if (!switched || !first.rebooted) failures.push(mode + ": boot 1: A did not switch to B and reboot");
    if (!digestLine || !digestLine.endsWith(manifest.sha256)) failures.push(mode + ": boot 1: no SHA-256 of slot b matching the manifest");
    if (chunkMatch && (Number(chunkMatch[1]) < 2 || Number(chunkMatch[2]) >= manifest.size)) failures.push(mode + ": boot 1: B was not written in chunks");
    if (chunkMatch && mode === "confirm") {
      report.push("update: B " + manifest.size + " bytes over HTTP into azapp.b.js in " + chunkMatch[1] + " chunks (largest " + chunkMatch[2] +
        " bytes), SHA-256 over the flash record matched, selector switched, E.reboot()");
    }

    if (mode === "confirm") {
      const b1 = seen[1];
      const b2 = seen[2];
      const confirmed = boots[1] && boots[1].lines.some((l) => /^APP 1\.1\.0 confirmed: /.test(l));
      if (!b1 || b1.version !== B_VERSION || !b1.selector || !b1.selector.pending || b1.selector.tries !== 1 || b1.selector.active !== "b") {
        failures.push("confirm: boot 2 did not run B from slot b unconfirmed with tries 1");
      }
      if (!confirmed) failures.push("confirm: B did not confirm itself");
      if (!b2 || b2.version !== B_VERSION || !b2.selector || b2.selector.pending || b2.selector.active !== "b") failures.push("confirm: boot 3 did not run B confirmed");
      const r = boots[2] ? readyReport(boots[2]) : undefined;
      if (!r || r.current !== B_VERSION || r.state !== "idle") failures.push("confirm: boot 3: B does not report itself as the current version, idle");
    } else {
      for (let i = 1; i <= DEFAULT_MAX_TRIES; i++) {
        const b = seen[i];
        if (!b || b.version !== B_VERSION || !b.selector || !b.selector.pending || b.selector.tries !== i) failures.push(mode + ": boot " + (i + 1) + " did not run B unconfirmed, try " + i);
        if (!boots[i] || !boots[i].rebooted) failures.push(mode + ": boot " + (i + 1) + " did not reboot");
      }
      if (mode === "silent" && !boots.slice(1, 1 + DEFAULT_MAX_TRIES).every((b) => b.lines.some((l) => /^APP 1\.1\.0 not confirmed within the window: rebooting$/.test(l)))) {
        failures.push("silent: B's agent did not reboot at the end of its window");
      }
      const stubLine = "azure-iot boot: azapp.b.js (an unconfirmed update) stopped with an error: Error: application 1.1.0 fails while it starts; rebooting (another trial, or back to the previous application)";
      if (mode === "throw" && !boots.slice(1, 1 + DEFAULT_MAX_TRIES).every((b) => b.lines.includes(stubLine))) failures.push("throw: the stub did not catch B's error and reboot");
      const back = seen[1 + DEFAULT_MAX_TRIES];
      const s = back && back.selector;
      if (!back || back.version !== "1.0.0" || !s || s.active !== "a" || s.pending || s.rejected !== B_VERSION) {
        failures.push(mode + ": after " + DEFAULT_MAX_TRIES + " unconfirmed boots the stub did not return to A with " + B_VERSION + " rejected");
      }
      const r = boots[1 + DEFAULT_MAX_TRIES] ? readyReport(boots[1 + DEFAULT_MAX_TRIES]) : undefined;
      const refused = boots[1 + DEFAULT_MAX_TRIES] && boots[1 + DEFAULT_MAX_TRIES].lines.some((l) => /announcement 1\.1\.0 refused: version was rolled back before/.test(l));
      if (!r || r.current !== "1.0.0" || !refused) failures.push(mode + ": A after the rollback did not refuse " + B_VERSION + " again");
      if (s) report.push(mode + ": back on A: selector " + JSON.stringify(s));
    }
    if (failures.length) {
      boots.forEach((b, i) => report.push(mode + " boot " + (i + 1) + " (last 12 lines):", ...b.lines.slice(-12).map((l) => "    " + l)));
    }
  } catch (e) {
    failures.push(mode + ": " + (e as Error).message);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return { failures, report, boots };
}

/** JsVars of the shipping bundle after boot and while running, through three .bootcde texts. */
async function topLevelCheck(interpreter: string, o: OtaSwitchOptions): Promise<{ failures: string[]; report: string[] }> {
  const failures: string[] = [];
  const key = Buffer.from(new Uint8Array(32).map((_, i) => i)).toString("base64");
  const config = {
    connectionString: "HostName=ota-switch.azure-devices.net;DeviceId=d1;SharedAccessKey=" + key,
    // Refused at once: the device keeps retrying, which is all this check needs.
    hosts: { "ota-switch.azure-devices.net": "127.0.0.1:1" },
    statusIntervalSeconds: 1,
  };
  const variants: Array<[string, { file: string } | { text: string }]> = [
    // The stub defines the loader of on-demand modules (AZLOAD); the other two define it too.
    ["one-line eval", { text: MODULE_LOADER_SOURCE + "AZSLOT=\"" + SLOT_A_RECORD + "\";eval(require(\"Storage\").read(\"" + SLOT_A_RECORD + "\"));" }],
    ["boot stub", { file: "boot.js" }],
    ["eval inside a function", { text: MODULE_LOADER_SOURCE + "AZSLOT=\"" + SLOT_A_RECORD + "\";(function(){var S=require(\"Storage\");try{eval(S.read(\"" + SLOT_A_RECORD + "\"))}catch(e){print(e)}})();" }],
  ];
  const figures: Array<{ label: string; boot: number; running: number }> = [];
  const cwd = mkdtempSync(join(tmpdir(), "espruino-ota-top-"));
  try {
    copyFileSync(o.stub, join(cwd, "boot.js"));
    copyFileSync(o.firmware, join(cwd, "firmware.js"));
    for (const [label, stub] of variants) {
      await flash(interpreter, cwd, [
        [SLOT_A_RECORD, { file: "firmware.js" }],
        [CONFIG_RECORD, { text: JSON.stringify(config) }],
        [SELECTOR_RECORD, { text: initialSelector("0.1.0") }],
        [BOOT_RECORD, stub],
      ]);
      // The second status line: the app has been running for a while (a loaded machine may
      // print it later than 2 s of uptime).
      const boot = await run(interpreter, [], cwd, /status .*up ([2-9]|\d\d+) s; memory/);
      const atBoot = boot.lines.map((l) => /memory after boot (\d+)\//.exec(l)).find((m) => m);
      const running = boot.lines.map((l) => /up ([2-9]|\d\d+) s; memory (\d+)\//.exec(l)).find((m) => m);
      if (!atBoot || !running) {
        failures.push("top level: " + label + ": no memory figures; last lines: " + boot.lines.slice(-5).join(" | "));
        continue;
      }
      figures.push({ label, boot: Number(atBoot[1]), running: Number(running[2]) });
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const report: string[] = [];
  if (figures.length === 3) {
    report.push("top level: shipping bundle JsVars after boot / running: " + figures.map((f) => f.label + " " + f.boot + " / " + f.running).join("; "));
    // The stub's statement and its lexer are still held while the app's boot runs; once
    // .bootcde has finished nothing of the stub remains.
    if (figures[1].running !== figures[0].running) failures.push("top level: the app through the stub uses " + figures[1].running + " JsVars running, through a one-line eval " + figures[0].running);
    if (figures[1].boot - figures[0].boot > 40) failures.push("top level: the stub adds " + (figures[1].boot - figures[0].boot) + " JsVars during the app's boot");
  }
  return { failures, report };
}

/** Runs the three cases and the top-level check. */
export async function runOtaSwitch(interpreter: string, o: OtaSwitchOptions): Promise<{ ok: boolean; report: string[] }> {
  const report: string[] = [];
  const failures: string[] = [];
  const a = readFileSync(o.app, "latin1");
  if (a.split(A_BUILD).length !== 2) return { ok: false, report: ["FAIL the test app bundle must hold " + A_BUILD + " exactly once"] };
  const b = Buffer.from(a.replace(A_BUILD, B_BUILD), "latin1");
  const site = await serve(b);
  try {
    const manifest = signManifest({ version: B_VERSION, url: site.url, size: b.length, sha256: Buffer.from(nodeSha256(b)).toString("hex") }, KEY, nodeSha256);
    for (const mode of ["confirm", "silent", "throw"]) {
      const r = await runCase(interpreter, o, manifest, mode);
      failures.push(...r.failures);
      report.push(...r.report);
    }
    report.push("E.reboot() on the Linux build: prints \"Not implemented\" and exits with code 1 (after the kill handlers); the next boot is a new process on the same Storage file");
    const top = await topLevelCheck(interpreter, o);
    failures.push(...top.failures);
    report.push(...top.report);
    report.push("update file requests served: " + site.requests());
  } finally {
    site.server.close();
  }
  report.push(...failures.map((f) => "FAIL " + f));
  return { ok: failures.length === 0, report };
}
