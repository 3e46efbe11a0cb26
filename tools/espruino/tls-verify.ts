// Server verification on the interpreter (npm run test:espruino -- tls-verify): the shipping
// bundle boots from Storage, as in e2e.ts, against simulators that present the right
// certificate or an impostor's (tools/hub-sim tlsFault: another CA, expired, another name).
//
// On an interpreter built with interpreter/'s patch (ESPRUINO_VERIFYING): the right CA
// connects, with tls.requireVerified set, and the DPS and hub names arrive as SNI; each
// impostor is refused before a byte of MQTT (the simulator sees no CONNECT, so no token),
// with the status reason ServerNotVerified and the failure named in the log.
// On a stock interpreter (ESPRUINO): the same impostors are accepted, as before the patch
// (the behaviour is unchanged; that is the hole the patch closes), and a configuration with
// tls.requireVerified refuses to start at boot, before any connection.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startSimulator, type Simulator, type TlsFault } from "../hub-sim/index";
import { createTestCa, type TestCa } from "../tls/certs";
import type { DeviceConfig } from "../../firmware/config";
import { setup, setupScript } from "./e2e";
import { FIXED_POOL_PRELUDE, startInterpreter } from "./interpreter";

/** How long one boot may take to show its outcome (connected, refused, or waiting). */
const CASE_TIMEOUT_MS = 45_000;

export interface TlsVerifyResult {
  ok: boolean;
  report: string[];
}

interface CaseOutcome {
  lines: string[];
  sim: Simulator;
  registrationId: string;
}

/** What the device log says for each impostor (the patched interpreter's error messages). */
const FAULT_DETAIL: Record<TlsFault, RegExp> = {
  "wrong-ca": /-106 TLS certificate not trusted/,
  expired: /-106 TLS certificate expired/,
  "wrong-host": /-106 TLS certificate name mismatch/,
};

/** Boots the bundle once against a fresh simulator (fault or none) until `until` matches a
 *  console line or the simulator shows telemetry, then stops it. */
async function bootCase(interpreter: string, files: { bundle: string; stub: string }, ca: TestCa, fault: TlsFault | undefined,
  tls: DeviceConfig["tls"], until: RegExp): Promise<CaseOutcome> {
  const sim = await startSimulator({ ca, tlsFault: fault, dpsRetryAfterSeconds: 1 });
  const registrationId = "tls-" + (fault || "ok") + "-" + process.pid.toString(36);
  const cwd = mkdtempSync(join(tmpdir(), "espruino-tls-"));
  try {
    const { key } = sim.enrollIndividual(registrationId);
    const config: DeviceConfig = {
      dps: { idScope: sim.idScope, registrationId, symmetricKey: key },
      // DER as base64: the Linux build's mbedtls cannot parse PEM.
      ca: [Buffer.from(ca.caDer).toString("base64")],
      tls,
      hosts: sim.hosts,
      fleet: { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 },
      statusIntervalSeconds: 1,
      telemetryIntervalSeconds: 1,
    };
    copyFileSync(files.bundle, join(cwd, "bundle.js"));
    writeFileSync(join(cwd, "boot.js"), FIXED_POOL_PRELUDE + readFileSync(files.stub, "latin1"), "latin1");
    const setupLines = await setup(interpreter, cwd, setupScript(config));
    if (!setupLines.some((l) => l.startsWith("SETUP OK"))) throw new Error("setup failed: " + setupLines.slice(-4).join(" | "));
    const run = startInterpreter(interpreter, [], cwd, { timeoutMs: CASE_TIMEOUT_MS, until });
    const poll = setInterval(() => {
      if (sim.telemetry(registrationId).length > 0) run.stop();
    }, 100);
    await run.done;
    clearInterval(poll);
    return { lines: run.lines, sim, registrationId };
  } catch (e) {
    await sim.stop();
    throw e;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** MQTT CONNECT packets the simulator received (each carries a SAS token). */
function connects(sim: Simulator): number {
  return sim.events().filter((e) => e.type === "connect").length;
}

const ERROR_LINE = /^Uncaught|SyntaxError|ReferenceError|TypeError|OUT OF MEMORY/;

/** Runs the cases on one interpreter; `verifying` says which half of the contract it must meet.
 *  `connections` false (a C3-sized pool, where the Linux build cannot hold a TLS socket next
 *  to the client): only the case that opens no socket, the stock refusal at boot. */
export async function runTlsVerify(interpreter: string, verifying: boolean, files: { bundle: string; stub: string }, connections = true): Promise<TlsVerifyResult> {
  const report: string[] = [];
  const failures: string[] = [];
  const ca = createTestCa("tls-verify test CA");
  const fail = (what: string, lines: string[]): void => {
    failures.push(what);
    report.push("FAIL " + what, ...lines.slice(-12).map((l) => "    " + l));
  };

  // The right CA: connects and delivers telemetry (with requireVerified where it can verify).
  if (connections) {
    const { lines, sim, registrationId } = await bootCase(interpreter, files, ca, undefined,
      verifying ? { requireVerified: true } : true, /^DONE-NEVER$/);
    try {
      const telemetry = sim.telemetry(registrationId).length;
      const dpsSni = sim.sni(sim.dpsHost);
      const hub = sim.device(registrationId) ? sim.device(registrationId)!.hub : "";
      const hubSni = hub ? sim.sni(hub) : [];
      const checkLine = lines.find((l) => /TLS: /.test(l)) || "(no TLS line)";
      if (telemetry === 0) fail("right CA: no telemetry arrived", lines);
      if (lines.some((l) => ERROR_LINE.test(l))) fail("right CA: interpreter errors", lines.filter((l) => ERROR_LINE.test(l)));
      if (verifying) {
        if (!/the server is verified against 1 CA/.test(checkLine)) fail("right CA: boot line does not say the server is verified", [checkLine]);
        if (dpsSni.indexOf(sim.dpsHost) < 0) fail("SNI: DPS saw " + JSON.stringify(dpsSni) + ", want " + sim.dpsHost, []);
        if (!hub || hubSni.indexOf(hub) < 0) fail("SNI: hub " + hub + " saw " + JSON.stringify(hubSni), []);
      } else if (!/does not verify the server/.test(checkLine)) fail("right CA: boot line does not warn that the server is not verified", [checkLine]);
      report.push(`right CA${verifying ? " (tls.requireVerified)" : ""}: telemetry ${telemetry}; SNI at DPS ${JSON.stringify(dpsSni.slice(0, 2))}, at the hub ${JSON.stringify(hubSni.slice(0, 2))}; ${checkLine.replace(/^I |^W /, "")}`);
    } finally {
      await sim.stop();
    }
  }

  // The impostors.
  const faults: TlsFault[] = connections ? ["wrong-ca", "expired", "wrong-host"] : [];
  for (const fault of faults) {
    const { lines, sim, registrationId } = await bootCase(interpreter, files, ca, fault, true, verifying ? /\(ServerNotVerified\)/ : /^DONE-NEVER$/);
    try {
      const closed = lines.find((l) => /DPS connection closed/.test(l)) || "";
      const status = lines.find((l) => /\(ServerNotVerified\)/.test(l)) || "";
      const mqttConnects = connects(sim);
      const telemetry = sim.telemetry(registrationId).length;
      if (verifying) {
        if (!status) fail(fault + ": no status with reason ServerNotVerified", lines);
        if (!FAULT_DETAIL[fault].test(closed)) fail(fault + ": the log does not name the failure (" + closed + ")", lines);
        if (mqttConnects !== 0) fail(fault + ": the simulator received " + mqttConnects + " MQTT CONNECT (a token was sent)", lines);
        report.push(`${fault}: refused; ${closed.replace(/^I /, "")}; status ${status.replace(/^I status /, "").replace(/;.*$/, "")}; MQTT CONNECTs at the simulator: ${mqttConnects}`);
      } else {
        // Stock: unchanged, the impostor is trusted and gets the token.
        if (telemetry === 0 || mqttConnects === 0) fail(fault + ": the stock interpreter did not connect as before (behaviour changed?)", lines);
        report.push(`${fault}: accepted as before (stock): MQTT CONNECTs ${mqttConnects}, telemetry ${telemetry}`);
      }
      if (lines.some((l) => ERROR_LINE.test(l))) fail(fault + ": interpreter errors", lines.filter((l) => ERROR_LINE.test(l)));
    } finally {
      await sim.stop();
    }
  }

  // tls.requireVerified on an interpreter that cannot verify: refuses at boot, no network.
  if (!verifying) {
    const { lines, sim } = await bootCase(interpreter, files, ca, undefined, { requireVerified: true }, /nothing runs until this is fixed/);
    try {
      const said = lines.some((l) => /cannot start, tls\.requireVerified is set/.test(l)) && lines.some((l) => /interpreter\/ patch/.test(l));
      const attempts = sim.events().filter((e) => e.type === "connect" || e.type === "tls-error").length + sim.sni(sim.dpsHost).length;
      if (!said) fail("requireVerified on stock: no refusal naming the interpreter and the fix", lines);
      if (attempts !== 0) fail("requireVerified on stock: the device still went to the network", lines);
      report.push(`tls.requireVerified on stock: ${said ? "refused at boot with the fix named" : "NOT refused"}; connections to the simulator: ${attempts}`);
    } finally {
      await sim.stop();
    }
  }
  return { ok: failures.length === 0, report };
}
