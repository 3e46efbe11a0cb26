// npm run test:espruino [-- filter]: builds each test/espruino/*.probe.ts through the device
// pipeline (minified and debug) and runs it on the interpreter named by $ESPRUINO, in a
// fresh working directory (its Storage file lives there). A probe prints PASS/FAIL lines and
// DONE (test/espruino/probe-kit.ts). Then the end-to-end smoke test (tools/espruino/e2e.ts):
// the real bundle boots from Storage through the real boot stub, provisions through the
// simulator over TLS and sends telemetry (filter "e2e" runs only that). Then the OTA switch
// (tools/espruino/ota-switch.ts): an update written into Storage, verified and switched by
// the boot stub, confirmed or rolled back (filter "ota-switch"). The end-to-end test again with
// an X.509 identity (filter "e2e-x509"). The flash outbox across process kills
// (tools/espruino/outbox-restart.ts, filter "outbox-restart"). Then server verification
// (tools/espruino/tls-verify.ts, filter "tls-verify"): on $ESPRUINO that a stock interpreter
// behaves as before, and on $ESPRUINO_VERIFYING, an interpreter built with interpreter/'s
// patch (interpreter/build-linux.sh), that impostors are refused; that half is skipped with a
// note when ESPRUINO_VERIFYING is not set. Skipped, with exit 0, when neither is set.
// On a C3-sized pool (isSmallPool) every probe runs from Storage, the end-to-end test over
// plain TCP, e2e-x509 and tls-verify's connection cases are skipped with the reason printed.
// PROBE_VERBOSE=1 prints every line a probe writes, not only its failures and figures.
import { isSmallPool, poolOf, startInterpreter, STORAGE_PUT_SOURCE, type InterpreterResult } from "./interpreter";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, copyFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { rollup } from "rollup";
import { espruinoBundle, bootStubBundle, applicationBundles, MODULE_LOADER_SOURCE, type EspruinoRollupConfig } from "../build/espruino-pipeline.mjs";
import { checkBundle } from "../build/espruino-gate.mjs";
import { runEndToEnd } from "./e2e";
import { runOtaSwitch } from "./ota-switch";
import { runTlsVerify } from "./tls-verify";
import { runOutboxRestart } from "./outbox-restart";

const root = resolve(import.meta.dirname, "../..");
const PROBE_TIMEOUT_MS = 120_000;

export type ProbeRun = InterpreterResult;

async function build(config: EspruinoRollupConfig): Promise<void> {
  const bundle = await rollup({ input: config.input, plugins: config.plugins, onwarn: config.onwarn });
  for (const output of config.output) await bundle.write(output);
  await bundle.close();
}

/** Bundles one entry file through the shipping pipeline; returns [minified, debug] paths. */
export async function buildProbe(input: string, outDir: string): Promise<[string, string]> {
  const base = input.replace(/^.*\//, "").replace(/\.ts$/, "");
  await build(espruinoBundle({ input, file: join(outDir, `${base}.min.js`), debugFile: join(outDir, `${base}.debug.js`) }));
  return [join(outDir, `${base}.min.js`), join(outDir, `${base}.debug.js`)];
}

/** Builds a from-Storage probe as the application is built: its warm code, then the
 *  on-demand modules (the configuration checker, provisioning, updates) in one slot file
 *  that AZLOAD reads; returns its path. */
async function buildStorageProbe(input: string, outDir: string): Promise<string> {
  const dir = join(outDir, input.replace(/^.*\//, "").replace(/\.ts$/, ""));
  for (const config of applicationBundles({ input, dir, name: "probe" })) await build(config);
  return join(dir, "probe.js");
}

/** Builds the application's slot file (warm code and on-demand modules) as npm run build
 *  does; returns its path. */
export async function buildApplication(outDir: string): Promise<string> {
  for (const config of applicationBundles({ input: join(root, "firmware/main.ts"), dir: outDir, name: "firmware" })) await build(config);
  return join(outDir, "firmware.js");
}

/** Bundles the boot stub (firmware/boot.ts) as npm run build does; returns its path. */
export async function buildStub(outDir: string): Promise<string> {
  const file = join(outDir, "boot.min.js");
  await build(bootStubBundle({ file }));
  return file;
}

/** Runs a bundle on the interpreter until it prints DONE, exits, or times out. */
export function runOnInterpreter(interpreter: string, file: string, cwd: string, timeoutMs = PROBE_TIMEOUT_MS, onLine?: (line: string) => void): Promise<ProbeRun> {
  return startInterpreter(interpreter, [file], cwd, { timeoutMs, until: /^DONE\b/, onLine }).done;
}

/** A probe whose source says this runs as the device runs its application: built as the
 *  application is (on-demand modules in its slot file, loaded by AZLOAD), from Storage
 *  (function bodies stay in flash), not from a file read into the variable pool. */
const FROM_STORAGE = "probe: run from Storage";

/** Writes the bundle into the interpreter's Storage (in pieces, as the flasher writes) and
 *  boots it through a .bootcde that, like the boot stub, defines the module loader (AZLOAD)
 *  and evaluates the bundle at the top level. */
async function runFromStorage(interpreter: string, file: string, cwd: string): Promise<ProbeRun> {
  copyFileSync(file, join(cwd, "probe.js"));
  writeFileSync(join(cwd, "boot.js"), MODULE_LOADER_SOURCE + "AZSLOT=\"probe.js\";eval(require(\"Storage\").read(\"probe.js\"))");
  writeFileSync(join(cwd, "setup.js"), STORAGE_PUT_SOURCE + "\nrequire(\"Storage\").eraseAll();var ok=put(\"probe.js\",\"probe.js\");" +
    "ok=put(\".bootcde\",\"boot.js\")&&ok;console.log(ok?\"SETUP OK\":\"SETUP FAIL\");\n");
  const setup = await startInterpreter(interpreter, ["setup.js"], cwd, { timeoutMs: PROBE_TIMEOUT_MS, until: /^SETUP (OK|FAIL)/ }).done;
  if (!setup.lines.includes("SETUP OK")) return { lines: ["FAIL setup: the probe could not be written into Storage", ...setup.lines.slice(-4)], exitCode: setup.exitCode, timedOut: setup.timedOut };
  return startInterpreter(interpreter, [], cwd, { timeoutMs: PROBE_TIMEOUT_MS, until: /^DONE\b/ }).done;
}

async function main(): Promise<void> {
  const interpreter = process.env.ESPRUINO;
  const verifying = process.env.ESPRUINO_VERIFYING;
  if (!interpreter && !verifying) {
    console.log("test:espruino skipped: set ESPRUINO to the path of an Espruino interpreter (the upstream Linux build) to run the bundle on it.");
    return;
  }
  for (const [name, path] of [["ESPRUINO", interpreter], ["ESPRUINO_VERIFYING", verifying]]) {
    if (path && !existsSync(path)) {
      console.error(`test:espruino: ${name}=${path} does not exist`);
      process.exitCode = 1;
      return;
    }
  }
  const filter = process.argv[2];
  const probes = interpreter ? readdirSync(join(root, "test/espruino")).filter((f) => f.endsWith(".probe.ts") && (!filter || f.includes(filter))).sort() : [];
  const outDir = mkdtempSync(join(tmpdir(), "espruino-probes-"));
  let passed = 0;
  let failed = 0;
  try {
    // A C3-sized pool: see isSmallPool.
    const small = interpreter ? isSmallPool(await poolOf(interpreter, outDir)) : false;
    for (const probe of probes) {
      const storageProbe = readFileSync(join(root, "test/espruino", probe), "utf8").includes(FROM_STORAGE);
      // A from-Storage probe runs the whole client: only the shipping (minified) form is
      // measured; the debug form's unshortened names alone take thousands of variables.
      const bundles = storageProbe ? [await buildStorageProbe(join(root, "test/espruino", probe), outDir)] : await buildProbe(join(root, "test/espruino", probe), outDir);
      // On a C3-sized pool every probe runs from Storage, as a C3 runs its code: a bundle given
      // as a file is read whole into the pool (about 1 variable per 13 bytes of source) and its
      // function bodies are copied there, which that pool cannot hold next to what is tested.
      const fromStorage = storageProbe || small;
      for (const bundle of bundles) {
        const label = `${probe} [${bundle.endsWith(".debug.js") ? "debug" : "minified"}${fromStorage ? ", from Storage" : ""}]`;
        const findings = checkBundle(await import("node:fs").then((fs) => fs.readFileSync(bundle, "utf8")), bundle);
        if (findings.length) {
          failed++;
          console.log(`FAIL ${label}: gate: ${findings[0].message}`);
          continue;
        }
        const cwd = mkdtempSync(join(tmpdir(), "espruino-run-"));
        const run = fromStorage ? await runFromStorage(interpreter as string, bundle, cwd) : await runOnInterpreter(interpreter as string, bundle, cwd);
        rmSync(cwd, { recursive: true, force: true });
        const version = run.lines.find((l) => /^VERSION /.test(l));
        const checks = run.lines.filter((l) => /^(PASS|FAIL) /.test(l));
        const bad = checks.filter((l) => l.startsWith("FAIL "));
        // A probe about running out of memory says so first (probe-kit's expectOutOfMemory).
        const oomExpected = run.lines.some((l) => l === "EXPECT OUT OF MEMORY");
        const errors = run.lines.filter((l) => /^Uncaught|SyntaxError|ReferenceError/.test(l) || (!oomExpected && /OUT OF MEMORY/.test(l)));
        const doneLine = run.lines.find((l) => /^DONE\b/.test(l));
        console.log(`${label}: ${checks.length - bad.length}/${checks.length} checks${version ? " on " + version.slice(8) : ""}`);
        for (const line of run.lines.filter((l) => process.env.PROBE_VERBOSE || /^(FAIL|FIGURE|NOTE) /.test(l))) console.log(`  ${line}`);
        for (const line of errors) console.log(`  ${line}`);
        if (!doneLine || bad.length || errors.length || run.timedOut || checks.length === 0) {
          failed++;
          if (!doneLine) console.log(`  no DONE line${run.timedOut ? " (timed out)" : ""}; last output:\n    ${run.lines.slice(-8).join("\n    ")}`);
        } else passed++;
      }
    }
    // The flash outbox across process kills (tools/espruino/outbox-restart.ts).
    if (interpreter && (!filter || "outbox-restart".includes(filter))) {
      const [app] = await buildProbe(join(root, "test/espruino/outbox-restart-app.ts"), outDir);
      const result = await runOutboxRestart(interpreter, app);
      console.log(`outbox-restart [queued messages across SIGKILLs on one Storage file]: ${result.ok ? "passed" : "FAILED"}`);
      for (const line of result.report) console.log(`  ${line}`);
      if (result.ok) passed++;
      else failed++;
    }
    // The end-to-end smoke test: the shipping bundle boots from Storage against the simulator.
    const e2e = !filter || "e2e".includes(filter);
    const e2eX509 = !filter || "e2e-x509".includes(filter);
    const otaSwitch = !filter || "ota-switch".includes(filter);
    const tlsVerify = !filter || "tls-verify".includes(filter);
    if (interpreter && (e2e || e2eX509 || otaSwitch)) {
      const bundle = await buildApplication(outDir);
      const stub = await buildStub(outDir);
      const findings = checkBundle(readFileSync(bundle, "utf8"), bundle);
      const steps: Array<[string, () => Promise<{ ok: boolean; report: string[] }>]> = [];
      // A C3-sized pool cannot hold a TLS socket next to the client on Linux (a board takes
      // TLS buffers from its native heap): there the end-to-end test runs over plain TCP.
      if (e2e) steps.push([small ? "e2e firmware/main.ts [minified, from Storage, plain TCP: a C3-sized pool]" : "e2e firmware/main.ts [minified, from Storage]", () => runEndToEnd(interpreter, bundle, stub, { plainTcp: small })]);
      if (e2eX509 && small) console.log("e2e-x509: skipped (mutual TLS needs a TLS socket, which a C3-sized pool cannot hold on Linux)");
      else if (e2eX509) steps.push(["e2e-x509 firmware/main.ts [X.509: DER certificate and key, mutual TLS]", () => runEndToEnd(interpreter, bundle, stub, { identity: "x509" })]);
      if (otaSwitch) {
        const [app] = await buildProbe(join(root, "test/espruino/ota-switch-app.ts"), outDir);
        steps.push(["ota-switch [update written into Storage, verified, switched by the boot stub]", () => runOtaSwitch(interpreter, { app, firmware: bundle, stub })]);
      }
      for (const [label, step] of steps) {
        const result = findings.length ? { ok: false, report: ["FAIL gate: " + findings[0].message] } : await step().catch((e: Error) => ({ ok: false, report: ["FAIL " + e.message] }));
        console.log(`${label}: ${result.ok ? "passed" : "FAILED"}`);
        for (const line of result.report) console.log(`  ${line}`);
        if (result.ok) passed++;
        else failed++;
      }
    }
    if (tlsVerify) {
      const files = { bundle: await buildApplication(outDir), stub: await buildStub(outDir) };
      const findings = checkBundle(readFileSync(files.bundle, "utf8"), files.bundle);
      const halves: Array<[string, string | undefined, boolean]> = [
        ["stock interpreter ($ESPRUINO): behaviour unchanged, tls.requireVerified refused", interpreter, false],
        ["verifying interpreter ($ESPRUINO_VERIFYING): impostors refused, SNI sent", verifying, true],
      ];
      for (const [label, path, isVerifying] of halves) {
        if (!path) {
          console.log(`tls-verify on the ${label.replace(/ \(.*$/, "")}: skipped (set ${isVerifying ? "ESPRUINO_VERIFYING to an interpreter built by interpreter/build-linux.sh" : "ESPRUINO"})`);
          continue;
        }
        // Verifying a certificate chain needs a TLS socket: on Linux its mbedtls buffers (about
        // 2,400 variables) come from the pool, which on a C3-sized one cannot also hold the
        // client (a board takes them from its native heap). Only the refusal at boot, which
        // opens no socket, runs there.
        const tlsFits = !isSmallPool(await poolOf(path, outDir));
        if (!tlsFits) {
          console.log(`tls-verify, ${label.replace(/ \(.*$/, "")}: the connection cases skipped (a certificate check needs a TLS socket, whose ~2,400 buffers` +
            ` come from a C3-sized pool on Linux and cannot sit next to the client; a board takes them from its native heap)`);
        }
        if (!tlsFits && isVerifying) continue;
        const result = findings.length ? { ok: false, report: ["FAIL gate: " + findings[0].message] } : await runTlsVerify(path, isVerifying, files, tlsFits);
        console.log(`tls-verify, ${label}${tlsFits ? "" : " [the refusal at boot only]"}: ${result.ok ? "passed" : "FAILED"}`);
        for (const line of result.report) console.log(`  ${line}`);
        if (result.ok) passed++;
        else failed++;
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`\ntest:espruino: ${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
