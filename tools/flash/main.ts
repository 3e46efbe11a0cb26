// npm run flash -- --port <serial port | tcp://host:port> --config device.json [--dry-run]:
// puts the app bundle (slot a), the configuration, the boot selector and the boot stub into
// the device's Storage, and erases what could make it boot anything else, with
// the espruino CLI (115200 baud, Bluetooth scanning off, a local board file so it works
// offline, never its minifier), then checks on the device that every record arrived
// intact and restarts it into the app. --dry-run prints all of that and opens no port.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { runEspruinoCli } from "./espruino-cli";
import { BAUD, commandLine, espruinoArgs, espruinoCliPath, planFlash, stagedName, VERIFY_FILE, type FlashPlan, type FlashRecord } from "./plan";
import { DEBUG_STUB } from "./boot-stub";
import { BOOT_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { SELECTOR_RECORD } from "../../firmware/ota/slots";
import { processIo, type ToolIo } from "./summary";

export const FLASH_HELP = `npm run flash -- --port <port> [--config device.json] [options]

Writes into the ESP32's Storage (official Espruino 2v29 firmware on the board):
  azapp.a.js      the app bundle (dist/firmware.js) in slot a, evaluated from flash
  azdevice.json   the configuration from npm run make-config (secrets stay out of the bundle)
  azboot.json     the boot selector: slot a, the package.json version, confirmed
  .bootcde        the boot stub (dist/boot.js): runs the selected slot at power-on and
                  returns to the previous slot when an update does not confirm itself
erases azboot2.json, azapp.b.js, azota.json and azapp.js (an older layout), so the board
boots what was flashed; then checks each record's length and CRC-32 on the device and
restarts it into the app.

Options:
  --port <port>      serial port (/dev/ttyUSB0, /dev/cu.usbserial-0001, COM3) or
                     tcp://host[:port] for Espruino's Telnet console (port 23 by default)
  --config <file>    the device configuration (default device.json)
  --bundle <file>    the app bundle (default dist/firmware.js; run npm run build first,
                     which also makes the boot stub dist/boot.js)
  --dry-run          print the records, the masked configuration and the espruino
                     command line; open no port
  --verbose          also show the espruino CLI's own messages
  --help             this text

Works offline: the board description is tools/flash/ESP32.board.json. Uses the espruino
CLI from node_modules at ${BAUD} baud with Bluetooth scanning off (--no-ble).
`;

const FLASH_OPTIONS = {
  help: { type: "boolean" },
  port: { type: "string" },
  config: { type: "string" },
  bundle: { type: "string" },
  "dry-run": { type: "boolean" },
  verbose: { type: "boolean" },
} as const;

/** Seconds the CLI needs, roughly: it pauses 250 ms after each 384-byte Storage.write and
 *  sends base64 (4 characters per 3 bytes) at 10 bits per character. */
export function estimateSeconds(plan: FlashPlan): number {
  let chunks = 0;
  let chars = 0;
  for (const r of plan.records) {
    chunks += Math.ceil(r.bytes.length / 384);
    chars += Math.ceil(r.bytes.length / 3) * 4 + 80 * Math.ceil(r.bytes.length / 384);
  }
  return Math.ceil(chunks * 0.25 + (chars * 10) / BAUD + 3);
}

/** Returns an error line for a bad --port, or "". */
export function portProblem(port: string): string {
  if (port.startsWith("tcp://")) {
    const m = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?\/?$/.exec(port);
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) return "--port " + port + ": expected tcp://host or tcp://host:port";
    return "";
  }
  if (port === "" || port.startsWith("-")) return "--port needs a serial port or tcp://host:port";
  if (/\.js/i.test(port)) return "--port " + port + ": the espruino CLI cannot take a port name containing \".js\"";
  if (port.startsWith("/dev/") && !existsSync(port)) return "--port " + port + ": no such serial port (is the board plugged in? on Linux also check you are in the dialout group)";
  return "";
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

function hex(n: number): string {
  return "0x" + ("00000000" + n.toString(16)).slice(-8);
}

/** The plan as text: records, what is erased, the masked configuration, the selector, the
 *  boot stub's size, the device-side step and the command line. */
export function describePlan(plan: FlashPlan, port: string, cwd: string, full: boolean): string[] {
  const lines: string[] = [];
  const pad = (s: string, n: number) => (s + " ".repeat(n)).slice(0, Math.max(n, s.length));
  const padLeft = (s: string, n: number) => (" ".repeat(n) + s).slice(-Math.max(n, s.length));
  lines.push("records (written into the device's Storage in this order):");
  for (const r of plan.records) {
    lines.push("  " + pad(r.name, 14) + " " + padLeft(String(r.bytes.length), 7) + " bytes  crc32 " + hex(r.crc32) + "  " + r.source + ": " + r.what);
  }
  lines.push("erased after the writes: " + plan.erase.join(", "));
  if (full) {
    const record = (name: string) => plan.records.find((r) => r.name === name) as FlashRecord;
    lines.push(CONFIG_RECORD + " (secrets hidden):");
    for (const line of JSON.stringify(plan.masked, null, 2).split("\n")) lines.push("  " + line);
    lines.push(SELECTOR_RECORD + ":");
    lines.push("  " + record(SELECTOR_RECORD).bytes.toString("latin1"));
    lines.push(BOOT_RECORD + ": " + record(BOOT_RECORD).bytes.length + " bytes, minified (readable: " + shown(cwd, DEBUG_STUB) + ", source firmware/boot.ts)");
    lines.push("then, typed into the REPL after the writes (" + VERIFY_FILE + "):");
    lines.push("  " + plan.verify.trimEnd());
  }
  const argv = ["node", espruinoCliPath(), ...espruinoArgs(port, plan.records)];
  lines.push("espruino command line (run in a temporary directory holding " + plan.records.map((r) => stagedName(r.name)).join(", ") + " and " + VERIFY_FILE + "):");
  lines.push("  " + commandLine(argv));
  return lines;
}

/** Runs flash; resolves to the exit code (0 done, 1 failed, 2 bad usage). */
export async function runFlash(argv: string[], io: ToolIo): Promise<number> {
  let values: { help?: boolean; port?: string; config?: string; bundle?: string; "dry-run"?: boolean; verbose?: boolean };
  try {
    values = parseArgs({ args: argv, options: FLASH_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    io.err("flash: " + (e as Error).message);
    io.err(FLASH_HELP);
    return 2;
  }
  if (values.help) {
    io.out(FLASH_HELP);
    return 0;
  }
  const dryRun = values["dry-run"] === true;
  const errors: string[] = [];
  if (values.port === undefined && !dryRun) errors.push("--port is missing: a serial port (/dev/ttyUSB0, COM3) or tcp://host:port");
  const port = values.port === undefined ? "<port>" : values.port;
  if (values.port !== undefined) {
    const problem = portProblem(values.port);
    // A dry run opens no port, so a serial device that is not plugged in is fine there.
    if (problem && !(dryRun && problem.indexOf("no such serial port") >= 0)) errors.push(problem);
  }
  const planned = planFlash({ configPath: values.config === undefined ? "device.json" : values.config, bundlePath: values.bundle, nowSeconds: io.nowSeconds(), cwd: io.cwd });
  errors.push(...planned.errors);
  if (errors.length > 0 || !planned.plan) {
    for (const line of errors) io.err("error: " + line);
    io.err("flash: nothing was written");
    return 1;
  }
  const plan = planned.plan;
  for (const warning of plan.warnings) io.out("warning: " + warning);

  if (dryRun) {
    io.out("flash --dry-run: nothing is sent and no port is opened");
    for (const line of describePlan(plan, port, io.cwd, true)) io.out(line);
    io.out("the CLI sends reset() first, then the writes, then " + VERIFY_FILE + ": it erases " + plan.erase.join(", ") + ", prints each record's length and CRC-32 check and restarts the device into " + BOOT_RECORD + ". About " + estimateSeconds(plan) + " s over a serial port.");
    return 0;
  }

  for (const line of describePlan(plan, port, io.cwd, false)) io.out(line);
  const staging = mkdtempSync(join(tmpdir(), "azflash-"));
  try {
    for (const r of plan.records) writeFileSync(join(staging, stagedName(r.name)), r.bytes, { mode: 0o600 });
    writeFileSync(join(staging, VERIFY_FILE), plan.verify);
    const estimate = estimateSeconds(plan);
    io.out("connecting to " + port + " at " + BAUD + " baud; sending takes about " + estimate + " s");
    let lastStep = -1;
    const run = await runEspruinoCli(process.execPath, espruinoCliPath(), espruinoArgs(port, plan.records), {
      cwd: staging,
      timeoutMs: (60 + 3 * estimate) * 1000,
      onDeviceLine: (line) => io.out("  device> " + line),
      onToolLine: (line) => io.out("  espruino: " + line),
      showAll: values.verbose === true,
      onProgress: (sent, total) => {
        // A line per 10 % (per 50 % for a small upload), so logs stay short.
        const every = total >= 8192 ? 10 : 50;
        const step = total > 0 ? Math.floor((sent * 100) / total / every) * every : 0;
        if (step === lastStep) return;
        lastStep = step;
        io.out("  sending " + step + "% (" + (sent / 1024).toFixed(1) + " of " + (total / 1024).toFixed(1) + " KB)");
      },
    });
    if (run.done) {
      io.out("flash: done. Every record checked out on the device, which is now restarting into the app.");
      io.out("watch its console: node " + shown(io.cwd, espruinoCliPath()) + " --no-ble -b " + BAUD + " -p " + port);
      return 0;
    }
    if (run.failed) io.err("error: a record did not arrive intact (see the device lines above); run flash again");
    else if (run.timedOut) io.err("error: no confirmation from the device after " + (60 + 3 * estimate) + " s; the upload was stopped");
    else if (run.unableToConnect || !run.connected) io.err("error: cannot open " + port + ": check the port name, that no other program (IDE, serial monitor) holds it, and your permissions");
    else io.err("error: connected, but the device never confirmed the upload. Is Espruino on the board with its console at " + BAUD + " baud? (A wrong rate can look like a finished upload.)");
    io.err("flash: failed");
    return 1;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await runFlash(process.argv.slice(2), processIo);
