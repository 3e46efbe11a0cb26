// The end-to-end smoke test on the real interpreter (npm run test:espruino, after the probes):
// the shipping bundle (firmware/main.ts through the same pipeline as npm run build) is put into
// the interpreter's Storage in slot a, with a device configuration, the boot selector and the
// boot stub (firmware/boot.ts, bundled the same way), exactly as `npm run flash` lays out a
// board, and the interpreter boots from Storage with no file. It
// provisions through the simulator (started here, in-process), connects to the hub over TLS and
// sends telemetry (the demo app in main.ts). A second boot must find the hub in its flash cache
// and connect without DPS; the hub then drops that connection and the device must connect
// again (its peak JsVars across it is the reconnect figure). The simulator is the judge: one
// DPS registration, hub connections, telemetry that arrived. The interpreter's status lines
// give the JsVar figures. Then the outbox in flash: a boot while the hub refuses connections
// queues telemetry and is killed (SIGKILL, as a power cut); the next boot, with the hub back,
// must deliver every message the killed boot queued, in order and with its $.mid, before its
// own. A last boot with a broken configuration must say what is wrong and wait.
// E2E_VERBOSE=1 prints the device consoles.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startSimulator, formatEvent, type Simulator } from "../hub-sim/index";
import { DEFAULT_STUB, initialSelector, projectVersion } from "../flash/boot-stub";
import { CONFIG_RECORD, BOOT_RECORD } from "../../firmware/storage-names";
import { SELECTOR_RECORD, SLOT_A_RECORD } from "../../firmware/ota/slots";
import type { DeviceConfig } from "../../firmware/config";
import { FIXED_POOL_PRELUDE, STORAGE_PUT_SOURCE, startInterpreter, type InterpreterRun } from "./interpreter";
import { selfSignedDevice } from "../tls/device-certs";

const BOOT_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 30_000;
/** Telemetry messages the first boot must deliver before it is stopped. */
const COLD_MESSAGES = 3;

export interface EndToEndResult {
  ok: boolean;
  /** Human-readable lines: what was proven, the transport, the memory figures, or what failed. */
  report: string[];
}

type Booted = InterpreterRun;

/** Starts the interpreter with no file (it boots from Storage in cwd). */
function boot(interpreter: string, cwd: string, timeoutMs: number, onLine: (line: string) => void): Booted {
  return startInterpreter(interpreter, [], cwd, { timeoutMs, onLine });
}

/** Runs a setup script (a file) to its "SETUP OK" line. */
export async function setup(interpreter: string, cwd: string, script: string): Promise<string[]> {
  writeFileSync(join(cwd, "setup.js"), script);
  return (await startInterpreter(interpreter, ["setup.js"], cwd, { timeoutMs: SETUP_TIMEOUT_MS, until: /SETUP (OK|FAIL)/ }).done).lines;
}

/** The setup script: the bundle and the stub (read from files by the interpreter's fs, so no
 *  56 KB string literal is parsed in RAM; in 512-byte pieces, as the flasher writes them), the
 *  configuration and the selector. */
export function setupScript(config: DeviceConfig): string {
  return [
    "var s = require(\"Storage\");",
    "s.eraseAll();",
    // In pieces, as the flasher writes: the whole file read at once does not fit a C3's pool.
    STORAGE_PUT_SOURCE,
    "var ok = put(" + JSON.stringify(SLOT_A_RECORD) + ", \"bundle.js\");",
    "ok = s.write(" + JSON.stringify(CONFIG_RECORD) + ", " + JSON.stringify(JSON.stringify(config)) + ") && ok;",
    "ok = s.write(" + JSON.stringify(SELECTOR_RECORD) + ", " + JSON.stringify(initialSelector(projectVersion())) + ") && ok;",
    "ok = put(" + JSON.stringify(BOOT_RECORD) + ", \"boot.js\") && ok;",
    "console.log(ok ? \"SETUP OK \" + s.list().join(\",\") : \"SETUP FAIL\");",
    "",
  ].join("\n");
}

/** JsVars one open TLS socket takes on this interpreter: the Linux builds allocate mbedtls's
 *  buffers from the variable pool, an ESP32 from its native heap, so this share of the
 *  connected figure is not there on a board. Returns -1 when it could not be measured. */
async function tlsSocketJsVars(interpreter: string, cwd: string, address: string, caDer: Uint8Array): Promise<number> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), address.slice(address.lastIndexOf(":") + 1)];
  const lines = await setup(interpreter, cwd, [
    "var ca = E.toUint8Array(atob(" + JSON.stringify(Buffer.from(caDer).toString("base64")) + "));",
    "var m0 = process.memory().usage;",
    "var s = require(\"tls\").connect({ host: " + JSON.stringify(host) + ", port: " + port + ", ca: ca }, function () {",
    "  setTimeout(function () { console.log(\"SETUP OK \" + (process.memory().usage - m0)); s.end(); }, 200);",
    "});",
    "s.on(\"error\", function () { console.log(\"SETUP FAIL\"); });",
    "",
  ].join("\n"));
  const m = lines.map((l) => /^SETUP OK (-?\d+)/.exec(l)).find((x) => x);
  return m ? Number(m[1]) : -1;
}

interface Memory {
  used: number;
  total: number;
  peak?: number;
}

/** The "queued N" of the last status line. */
function lastQueued(lines: string[]): number {
  let queued = -1;
  for (const line of lines) {
    const m = /^I status .*, queued (\d+);/.exec(line);
    if (m) queued = Number(m[1]);
  }
  return queued;
}

/** "memory after boot 1234/16383 jsvars" and "status Connected; ...; memory 1300/16383 jsvars, peak 1500". */
function readMemory(lines: string[]): { boot?: Memory; connected: Memory[] } {
  let bootMemory: Memory | undefined;
  const connected: Memory[] = [];
  for (const line of lines) {
    const b = /memory after boot (\d+)\/(\d+) jsvars/.exec(line);
    if (b) bootMemory = { used: Number(b[1]), total: Number(b[2]) };
    const s = /status Connected;.*memory (\d+)\/(\d+) jsvars, peak (\d+)/.exec(line);
    if (s) connected.push({ used: Number(s[1]), total: Number(s[2]), peak: Number(s[3]) });
  }
  return { boot: bootMemory, connected };
}

function waitFor(condition: () => boolean, run: Booted, timeoutMs?: number): Promise<boolean> {
  return new Promise((resolve) => {
    let finished = false;
    let limit: NodeJS.Timeout | undefined;
    const finish = (value: boolean): void => {
      if (finished) return;
      finished = true;
      clearInterval(poll);
      if (limit) clearTimeout(limit);
      resolve(value);
    };
    const poll = setInterval(() => {
      if (condition()) finish(true);
    }, 100);
    if (timeoutMs !== undefined) limit = setTimeout(() => finish(condition()), timeoutMs);
    void run.done.then(() => finish(condition()));
  });
}

/** JsVar ceilings on a 16,383-variable pool (espruino-esp32), a little above what the client
 *  takes (December 2026: 1,493 / about 1,985 with SAS, 1,489 / about 2,259 with X.509): after
 *  boot, and while connected beyond the TLS socket (whose own share is measured apart, hence
 *  the wider margin there). */
const JSVAR_CEILINGS = {
  sas: { afterBoot: 1540, client: 2100 },
  x509: { afterBoot: 1540, client: 2380 },
};

const ERROR_LINE = /^Uncaught|SyntaxError|ReferenceError|TypeError|OUT OF MEMORY|New interpreter error|Execution Interrupted/;

/** Messages the offline boot must have queued before it is killed. */
const OFFLINE_MESSAGES = 4;

/** The seq of a $.mid ("<boot id>-<seq>"). */
function midSeq(mid: unknown): number {
  const text = String(mid);
  return Number(text.slice(text.lastIndexOf("-") + 1));
}

/** A boot while the hub refuses connections queues telemetry, then dies by SIGKILL; the next
 *  boot, the hub back, delivers all of it first, in order, with the old $.mid. The $.mid is
 *  "<boot id>-<seq>" with the outbox's seq, which keeps rising across boots in flash (the
 *  Linux build's E.hwRand repeats its sequence at every start, so the boot id does too). */
async function killedWhileOffline(interpreter: string, cwd: string, sim: Simulator, deviceId: string, hub: string): Promise<{ report: string[]; failures: string[] }> {
  const failures: string[] = [];
  const before = sim.telemetry(deviceId).length;
  let lastSeq = 0;
  for (const m of sim.telemetry(deviceId)) lastSeq = Math.max(lastSeq, midSeq(m.properties["$.mid"]));
  await sim.hubOutage(hub, 600, "refuse");
  const offline = boot(interpreter, cwd, BOOT_TIMEOUT_MS, () => {});
  const queuedEnough = await waitFor(() => lastQueued(offline.lines) >= OFFLINE_MESSAGES, offline);
  offline.stop();
  await offline.done;
  const queued = lastQueued(offline.lines);
  if (!queuedEnough) failures.push("offline boot: fewer than " + OFFLINE_MESSAGES + " messages queued within " + BOOT_TIMEOUT_MS / 1000 + " s");
  if (sim.telemetry(deviceId).length !== before) failures.push("offline boot: telemetry arrived while the hub refused");
  await sim.endHubOutage(hub);
  const next = boot(interpreter, cwd, BOOT_TIMEOUT_MS, () => {});
  const loaded = (): RegExpExecArray | null | undefined => next.lines.map((l) => /outbox: (\d+) messages queued before the boot; next seq (\d+)/.exec(l)).find((m) => m);
  const arrived = (): number[] => sim.telemetry(deviceId).slice(before).map((m) => midSeq(m.properties["$.mid"]));
  // Every seq after the last one the hub saw and before the restart's own: the killed boot's.
  const delivered = await waitFor(() => {
    const l = loaded();
    if (!l) return false;
    const seqs = arrived();
    for (let s = lastSeq + 1; s < Number(l[2]); s++) if (seqs.indexOf(s) < 0) return false;
    return seqs.some((s) => s >= Number(l[2]));
  }, next);
  next.stop();
  await next.done;
  const l = loaded();
  const firstNew = l ? Number(l[2]) : 0;
  const seqs = arrived();
  const old = seqs.filter((s) => s < firstNew);
  if (!l) failures.push("restart: no 'outbox: N messages queued before the boot; next seq S' line");
  else if (Number(l[1]) < queued) failures.push("restart: found " + l[1] + " queued, the killed boot had " + queued);
  if (!delivered) failures.push("restart: not every queued message (seq " + (lastSeq + 1) + ".." + (firstNew - 1) + ") arrived, then a new one, within " + BOOT_TIMEOUT_MS / 1000 + " s");
  const newAt = seqs.findIndex((s) => s >= firstNew);
  const lastOldAt = seqs.reduce((at, s, i) => (s < firstNew && s > lastSeq ? i : at), -1);
  if (newAt >= 0 && lastOldAt > newAt) failures.push("restart: a new message arrived before the killed boot's were all delivered: " + seqs.join(","));
  for (let i = 1; i < old.length; i++) if (old[i] < old[i - 1] && old.indexOf(old[i]) === i) failures.push("restart: out of order: " + old.join(","));
  const bodies = new Map<string, string>();
  for (const m of sim.telemetry(deviceId)) {
    const mid = String(m.properties["$.mid"]);
    const body = m.payload.toString("latin1");
    if (bodies.has(mid) && bodies.get(mid) !== body) failures.push("two different messages with $.mid " + mid);
    bodies.set(mid, body);
  }
  const errors = offline.lines.concat(next.lines).filter((x) => ERROR_LINE.test(x));
  if (errors.length) failures.push("offline/restart: interpreter errors: " + errors.slice(0, 3).join(" | "));
  const report = [`outbox in flash: ${queued} messages queued while ${hub} refused, then SIGKILL; the next boot found ${l ? l[1] : "?"} and delivered seq ${old.join(",")} (their $.mid) before its own from seq ${firstNew}`];
  return { report, failures };
}

export interface EndToEndOptions {
  /** "sas" (default): an individual enrollment with a symmetric key. "x509": an individual
   *  X.509 enrollment; the device's self-signed certificate and PKCS#8 key go into the
   *  configuration as base64 DER and reach Espruino's tls.connect as its cert and key
   *  (mutual TLS at DPS and at the hub, which knows the certificate's thumbprint). */
  identity?: "sas" | "x509";
  /** For a pool too small to also hold a TLS socket on Linux (the C3's 4,095 variables: the
   *  Linux build takes mbedtls's buffers from the pool, a board from its native heap): the
   *  simulator listens for plain TCP and the configuration has tls false, a 2 KB inbound
   *  limit and no update agent, a small board's profile (the outbox in flash, as by default). */
  plainTcp?: boolean;
}

/** Boots the bundle twice (cold: DPS; warm: hub cache) against the simulator, through the
 *  boot stub bundle `stub` (default dist/boot.js, as npm run build leaves it). */
export async function runEndToEnd(interpreter: string, bundle: string, stub: string = DEFAULT_STUB, options: EndToEndOptions = {}): Promise<EndToEndResult> {
  const x509 = options.identity === "x509";
  const plain = options.plainTcp === true;
  const report: string[] = [];
  const failures: string[] = [];
  const simLog: string[] = [];
  const registrationId = "e2e-" + process.pid.toString(36) + "-" + Date.now().toString(36);
  const cwd = mkdtempSync(join(tmpdir(), "espruino-e2e-"));
  let sim: Simulator | undefined;
  let cold: Booted | undefined;
  let warm: Booted | undefined;
  try {
    sim = await startSimulator({ dpsRetryAfterSeconds: 1, log: (line) => simLog.push(line), plainTcp: plain });
    let identity: NonNullable<DeviceConfig["dps"]>;
    if (x509) {
      const cert = selfSignedDevice(registrationId);
      sim.enrollIndividual(registrationId, { certificate: cert.certPem });
      // DER (as base64): the Linux build's mbedtls cannot parse PEM.
      identity = { idScope: sim.idScope, registrationId, certificate: Buffer.from(cert.certDer).toString("base64"), privateKey: Buffer.from(cert.keyDer).toString("base64") };
    } else {
      const { key } = sim.enrollIndividual(registrationId);
      identity = { idScope: sim.idScope, registrationId, symmetricKey: key };
    }
    const config: DeviceConfig = {
      dps: identity,
      // DER (as base64): the Linux build's mbedtls cannot parse PEM.
      ca: [Buffer.from(sim.caDer).toString("base64")],
      hosts: sim.hosts,
      fleet: { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 },
      statusIntervalSeconds: 1,
      telemetryIntervalSeconds: 1,
      // Exercised too: the watchdog kicks and the LED patterns (D2 is a plain pin on Linux).
      watchdogSeconds: 5,
      led: "D2",
      // The update agent runs too (no update announced): it reports the running version.
      ota: { key: Buffer.alloc(32, 3).toString("base64") },
    };
    if (plain) {
      config.tls = false;
      delete config.ca;
      delete config.ota;
      config.maxInboundBytes = 2048;
    }
    copyFileSync(bundle, join(cwd, "bundle.js"));
    writeFileSync(join(cwd, "boot.js"), FIXED_POOL_PRELUDE + readFileSync(stub, "latin1"), "latin1");
    const setupLines = await setup(interpreter, cwd, setupScript(config));
    const setupOk = setupLines.find((l) => l.startsWith("SETUP OK"));
    if (!setupOk) throw new Error("setup failed:\n    " + setupLines.slice(-6).join("\n    "));

    // Cold boot: no hub cache, so DPS first.
    const deviceId = registrationId;
    const coldRun = boot(interpreter, cwd, BOOT_TIMEOUT_MS, () => {});
    cold = coldRun;
    const simNow = sim;
    // The update agent is loaded on demand once the twin has been read, and reports then.
    const reportedOta = (): boolean => plain || (!!simNow.device(deviceId) && simNow.twin(deviceId).reported.ota !== undefined);
    const coldDone = await waitFor(() => simNow.telemetry(deviceId).length >= COLD_MESSAGES && readMemory(coldRun.lines).connected.length >= 2 && reportedOta(), coldRun);
    coldRun.stop();
    await coldRun.done;
    const coldLines = coldRun.lines;
    const counters = sim.counters();
    const dps = counters.dps.byRegistration[registrationId];
    const device = counters.devices[deviceId];
    const coldTelemetry = sim.telemetry(deviceId).length;
    if (!coldDone) failures.push("cold boot: did not connect and deliver " + COLD_MESSAGES + " telemetry messages within " + BOOT_TIMEOUT_MS / 1000 + " s");
    if (!dps || dps.registrations !== 1) failures.push("cold boot: DPS registrations " + (dps ? dps.registrations : 0) + ", want 1");
    if (!dps || dps.assigned !== 1) failures.push("cold boot: DPS assignments " + (dps ? dps.assigned : 0) + ", want 1");
    if (!device || device.connections < 1) failures.push("cold boot: no accepted hub connection");
    const hubIdentity = sim.device(deviceId);
    if (x509 && (!hubIdentity || hubIdentity.authentication !== "x509")) failures.push("cold boot: the hub identity is not X.509 (" + (hubIdentity ? hubIdentity.authentication : "none") + ")");
    const accepted = sim.events().filter((e) => e.type === "connect" && e.code === 0 && e.id === deviceId).map((e) => e.text);
    if (x509 && !accepted.some((t) => /X\.509 thumbprint/.test(t))) failures.push("cold boot: the hub did not accept a client certificate");
    const coldErrors = coldLines.filter((l) => ERROR_LINE.test(l));
    if (coldErrors.length) failures.push("cold boot: interpreter errors: " + coldErrors.slice(0, 3).join(" | "));
    const ota = sim.device(deviceId) ? (sim.twin(deviceId).reported.ota as { current?: string; state?: string } | undefined) : undefined;
    if (!plain && (!ota || ota.state !== "idle" || !ota.current)) failures.push("cold boot: no ota report from the update agent (" + JSON.stringify(ota) + ")");
    const first = sim.telemetry(deviceId)[0];
    let body: { n?: number } = {};
    try {
      body = first ? JSON.parse(first.payload.toString("latin1")) : {};
    } catch {
      failures.push("cold boot: telemetry body is not JSON");
    }
    if (first && (body.n !== 1 || first.properties["$.ct"] !== "application/json")) failures.push("cold boot: first telemetry not the demo app's message 1 with $.ct");

    // Warm boot: the same Storage, so the hub cache written by the cold boot.
    const before = { telemetry: coldTelemetry, connections: device ? device.connections : 0 };
    const warmRun = boot(interpreter, cwd, BOOT_TIMEOUT_MS, () => {});
    warm = warmRun;
    const warmDone = await waitFor(() => simNow.telemetry(deviceId).length > before.telemetry && readMemory(warmRun.lines).connected.length >= 1, warmRun);
    // Then the hub drops the connection: the device's own peak (it reports the highest it has
    // seen since boot) on the first status line after it is back is the reconnect's peak.
    const seenBeforeDrop = warmRun.lines.length;
    const connectionsBeforeDrop = (simNow.counters().devices[deviceId] || { connections: 0 }).connections;
    if (warmDone) simNow.dropHub(first ? first.hub : simNow.hubNames[0]);
    const reconnected = warmDone && (await waitFor(() => (simNow.counters().devices[deviceId] || { connections: 0 }).connections > connectionsBeforeDrop && readMemory(warmRun.lines.slice(seenBeforeDrop)).connected.length >= 1, warmRun));
    const reconnectPeak = reconnected ? readMemory(warmRun.lines.slice(seenBeforeDrop)).connected[0].peak : undefined;
    warmRun.stop();
    await warmRun.done;
    const after = sim.counters();
    const warmDps = after.dps.byRegistration[registrationId];
    const warmDevice = after.devices[deviceId];
    if (!warmDone) failures.push("warm boot: no telemetry within " + BOOT_TIMEOUT_MS / 1000 + " s");
    if (!warmDps || warmDps.registrations !== 1) failures.push("warm boot: DPS registrations now " + (warmDps ? warmDps.registrations : 0) + ", want still 1 (hub cache)");
    if (!warmRun.lines.some((l) => /hub cache: .* on /.test(l))) failures.push("warm boot: the hub cache was not used");
    if (!coldLines.some((l) => /watchdog armed: 5 s/.test(l))) failures.push("cold boot: the watchdog was not armed");
    if (!warmDevice || warmDevice.connections !== before.connections + 2) failures.push("warm boot: hub connections " + (warmDevice ? warmDevice.connections : 0) + ", want " + (before.connections + 2) + " (the boot's, then one after the hub dropped it)");
    if (warmDone && !reconnected) failures.push("warm boot: not connected again within " + BOOT_TIMEOUT_MS / 1000 + " s of the hub dropping the connection");
    const warmErrors = warmRun.lines.filter((l) => ERROR_LINE.test(l));
    if (warmErrors.length) failures.push("warm boot: interpreter errors: " + warmErrors.slice(0, 3).join(" | "));

    // The outbox in flash: queued while the hub refuses, the process killed, delivered by
    // the next boot.
    const offline = await killedWhileOffline(interpreter, cwd, sim, deviceId, first ? first.hub : sim.hubNames[0]);
    report.push(...offline.report);
    failures.push(...offline.failures);

    // A broken configuration: what is wrong and how to fix it, then the board waits.
    const badLines = await setup(interpreter, cwd, "console.log(require(\"Storage\").write(" + JSON.stringify(CONFIG_RECORD) +
      ", '{\"dps\":{\"idScope\":\"bad scope\",\"registrationId\":\"r1\"}}') ? \"SETUP OK\" : \"SETUP FAIL\");\n");
    if (!badLines.some((l) => l.startsWith("SETUP OK"))) failures.push("bad config: could not write it");
    // Waits for the message (a loaded machine may take seconds to boot), then 2.5 s more: the
    // board must still be running and must not have printed it again.
    let toldAt = 0;
    const badRun = boot(interpreter, cwd, BOOT_TIMEOUT_MS, (line) => {
      if (toldAt === 0 && /cannot start/.test(line)) toldAt = Date.now();
    });
    let exited = false;
    void badRun.done.then(() => {
      exited = true;
    });
    const waitStart = Date.now();
    while (!exited && (toldAt === 0 ? Date.now() - waitStart < 30_000 : Date.now() - toldAt < 2500)) await new Promise((resolve) => setTimeout(resolve, 100));
    const stillRunning = !exited;
    badRun.stop();
    const bad = await badRun.done;
    const told = bad.lines.some((l) => /cannot start/.test(l)) && bad.lines.some((l) => /dps\.idScope must be/.test(l)) && bad.lines.some((l) => /npm run flash/.test(l));
    if (!told) failures.push("bad config: no message naming the problem and the fix");
    if (!stillRunning) failures.push("bad config: the interpreter did not keep running");
    const badErrors = bad.lines.filter((l) => ERROR_LINE.test(l));
    if (badErrors.length) failures.push("bad config: interpreter errors: " + badErrors.slice(0, 3).join(" | "));
    if (bad.lines.filter((l) => /cannot start/.test(l)).length !== 1) failures.push("bad config: the message repeated (a reboot loop?)");

    const tlsShare = plain ? -1 : await tlsSocketJsVars(interpreter, cwd, sim.hosts[sim.hubNames[0]], sim.caDer);
    const version = (coldLines.map((l) => /on Espruino (\S+):/.exec(l)).find((m) => m) || [])[1] || "?";
    const tlsLine = coldLines.some((l) => (plain ? /connecting to .* \(plain TCP\)/ : /connecting to .* \(TLS\)/).test(l));
    const mem = readMemory(coldLines);
    const hub = first ? first.hub : "?";
    report.push(`bundle: ${statSync(bundle).size} bytes, run from Storage (${SLOT_A_RECORD}) by the boot stub (${statSync(stub).size} bytes); interpreter ${version}`);
    report.push(`transport: ${plain ? (tlsLine ? "plain TCP (this pool cannot also hold a TLS socket on Linux; a board's TLS buffers come from its native heap)" : "NOT the plain TCP asked for") : tlsLine ? "TLS 1.2 (the simulator's RSA suites; CA passed as DER; no SNI needed, one port per host)" : "NOT TLS"}`);
    if (x509) report.push(`identity: X.509, individual enrollment; DER certificate and PKCS#8 key from the configuration; DPS and hub accepted the client certificate (cold boot: ${accepted.filter((t) => /X\.509/.test(t)).length} hub connection(s) by thumbprint, no password)`);
    report.push(`cold boot: DPS registered ${dps ? dps.registrations : 0}x, assigned ${hub}; hub connections ${device ? device.connections : 0}; telemetry arrived ${coldTelemetry}`);
    if (!plain) report.push(`cold boot: reported ota ${JSON.stringify(ota)}`);
    report.push(`warm boot: hub cache used, DPS registrations still ${warmDps ? warmDps.registrations : 0}; hub connections ${warmDevice ? warmDevice.connections : 0} (the hub dropped one, the device connected again); telemetry now ${sim.telemetry(deviceId).length}`);
    report.push(`bad config: ${told ? "the problems and the fix printed once, then waiting (still running, no reboot)" : "NOT reported"}`);
    if (mem.boot) {
      const last = mem.connected[mem.connected.length - 1];
      const peak = Math.max(...mem.connected.map((m) => m.peak || 0), mem.boot.used);
      report.push(`JsVars: after boot ${mem.boot.used}/${mem.boot.total}; while connected ${last ? last.used + "/" + last.total : "?"} (after GC); peak ${peak} (process.memory(false) every 1 s and at each status change)`);
      if (tlsShare >= 0) {
        report.push(`  of the connected figure, ${tlsShare} JsVars are one open TLS socket (mbedtls buffers: from this pool on Linux, from the native heap on an ESP32)` +
          (last ? `; the client itself while connected: about ${last.used - tlsShare}` : ""));
      }
      if (reconnectPeak !== undefined) {
        report.push(`  reconnect: warm boot, connected, dropped by the hub, connected again: peak ${reconnectPeak}` + (tlsShare >= 0 ? `, the client itself about ${reconnectPeak - tlsShare}` : ""));
      }
      // The ceilings: on the classic ESP32's pool the figures repeat within a few variables,
      // so a change that makes the client bigger fails here (raise them only on purpose).
      const ceiling = JSVAR_CEILINGS[x509 ? "x509" : "sas"];
      if (mem.boot.total === 16383) {
        if (mem.boot.used > ceiling.afterBoot) failures.push(`JsVars after boot ${mem.boot.used}, above the ceiling ${ceiling.afterBoot}`);
        if (last && tlsShare >= 0 && last.used - tlsShare > ceiling.client) failures.push(`JsVars of the client while connected ${last.used - tlsShare}, above the ceiling ${ceiling.client}`);
      }
    } else failures.push("no memory-after-boot line");
    if (!tlsLine) failures.push(plain ? "the device did not use the plain TCP asked for" : "the device did not use TLS");
    if (failures.length) {
      report.push(...failures.map((f) => "FAIL " + f));
      report.push("cold boot output (last 25 lines):", ...coldLines.slice(-25).map((l) => "    " + l));
      if (warm) report.push("warm boot output (last 15 lines):", ...warmRun.lines.slice(-15).map((l) => "    " + l));
      report.push("simulator events (last 20):", ...sim.events().slice(-20).map((e) => "    " + formatEvent(e)));
    }
    if (process.env.E2E_VERBOSE) report.push("cold boot output:", ...coldLines.map((l) => "    " + l), "warm boot output:", ...warmRun.lines.map((l) => "    " + l));
    return { ok: failures.length === 0, report };
  } catch (e) {
    report.push("FAIL " + (e as Error).message);
    if (cold) report.push("cold boot output (last 25 lines):", ...cold.lines.slice(-25).map((l) => "    " + l));
    if (simLog.length) report.push("simulator log (last 20):", ...simLog.slice(-20).map((l) => "    " + l));
    return { ok: false, report };
  } finally {
    cold?.stop();
    warm?.stop();
    if (sim) await sim.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

