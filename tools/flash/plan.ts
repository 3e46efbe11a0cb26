// What `npm run flash` writes and how: the Storage records (the app bundle in slot a, the
// configuration, the boot selector naming slot a, the boot stub), the records it erases (see
// boot-stub.ts ERASED_RECORDS), the espruino CLI command line that writes them, and the
// check that runs on the device afterwards. Pure planning: reads files, opens no port.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import type { DeviceConfig } from "../../firmware/config";
import { BOOT_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { SELECTOR_RECORD, SLOT_A_RECORD } from "../../firmware/ota/slots";
import { isVersion } from "../../firmware/ota/manifest";
import { checkBundle } from "../build/espruino-gate.mjs";
import { bootStub, DEFAULT_STUB, ERASED_RECORDS, initialSelector, projectVersion } from "./boot-stub";
import { checkDeviceConfig, maskConfig, secretsOf } from "./config-checks";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BOARD_FILE = join(import.meta.dirname, "ESP32.board.json");
export const DEFAULT_BUNDLE = join(ROOT, "dist/firmware.js");
/** Console speed of the official ESP32 image. The CLI's default (9600) can report
 *  "Upload Complete" while nothing arrived (docs/espruino.md, "Uploading with the espruino CLI"). */
export const BAUD = 115200;
/** Espruino keeps 28 characters of a Storage name and silently drops the rest. */
export const MAX_STORAGE_NAME = 28;
/** The ESP32 Storage partition (896 KB); leave room for the hub cache, rewrites and an
 *  update of the same size in slot b. */
const STORAGE_LIMIT = 896 * 1024 - 64 * 1024;
/** The device line that confirms every record arrived intact. */
export const DONE_MARK = "AZFLASH DONE";
export const FAILED_MARK = "AZFLASH FAILED";

export function espruinoCliPath(): string {
  return createRequire(import.meta.url).resolve("espruino/bin/espruino-cli.js");
}

const CRC_TABLE: number[] = [];
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE.push(c >>> 0);
}

/** CRC-32 (IEEE), as Espruino's E.CRC32 computes it (unsigned). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface FlashRecord {
  /** Storage record name. */
  name: string;
  /** What it is, for people. */
  what: string;
  /** Where the bytes come from, for people. */
  source: string;
  bytes: Buffer;
  crc32: number;
}

export interface FlashPlan {
  /** In the order the device writes them: app (slot a), config, selector, boot stub last. */
  records: FlashRecord[];
  /** Records erased on the device after the writes, before the check (ERASED_RECORDS). */
  erase: string[];
  config: DeviceConfig;
  /** The configuration as written to CONFIG_RECORD, masked for printing. */
  masked: Record<string, unknown>;
  warnings: string[];
  /** Runs on the device after the writes: checks each record, then restarts into the app. */
  verify: string;
}

export interface PlanInput {
  configPath: string;
  /** Defaults to dist/firmware.js. */
  bundlePath?: string;
  /** The boot stub; defaults to dist/boot.js. */
  stubPath?: string;
  /** The version the selector names; defaults to package.json "version". */
  version?: string;
  nowSeconds: number;
  /** For paths shown to people. */
  cwd: string;
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** Newest .ts file under the bundle's sources, to warn about a stale build. */
function newestSource(): { path: string; mtimeMs: number } | undefined {
  let best: { path: string; mtimeMs: number } | undefined;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (name.endsWith(".ts") && (!best || st.mtimeMs > best.mtimeMs)) best = { path: full, mtimeMs: st.mtimeMs };
    }
  };
  walk(join(ROOT, "firmware"));
  walk(join(ROOT, "hal"));
  return best;
}

/** The device-side step after the writes: erases `erase` (each must be gone afterwards),
 *  checks length and CRC-32 of every record, one line each, then DONE_MARK and a restart
 *  into the boot stub, or FAILED_MARK and the prompt. One line, ES5. */
export function verifyScript(records: FlashRecord[], erase: string[] = []): string {
  const list = JSON.stringify(records.map((r) => [r.name, r.bytes.length, r.crc32]));
  return "(function(){var S=require(\"Storage\"),ok=true;" + JSON.stringify(erase) + ".forEach(function(n){S.erase(n);var g=S.read(n)===undefined;if(!g)ok=false;" +
    "print(\"AZFLASH \"+n+(g?\" erased\":\" NOT ERASED\"));});" +
    list + ".forEach(function(r){var f=S.read(r[0]),n=f===undefined?-1:f.length,g=n===r[1]&&E.CRC32(f)===r[2];if(!g)ok=false;" +
    "print(\"AZFLASH \"+r[0]+\" \"+(n<0?\"missing\":n+\" bytes\")+(g?\" ok\":\" MISMATCH (expected \"+r[1]+\" bytes, crc32 \"+r[2]+\")\"));});" +
    "var s=S.getStats?S.getStats():undefined;" +
    "if(ok){print(\"" + DONE_MARK + "\"+(s?\", Storage free \"+s.freeBytes+\" bytes\":\"\"));setTimeout(function(){load();},500);}else print(\"" + FAILED_MARK + "\");})();\n";
}

/** Plans a flash: validates the configuration and the bundle, builds the records. */
export function planFlash(input: PlanInput): { plan?: FlashPlan; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const configPath = resolve(input.cwd, input.configPath);
  const bundlePath = input.bundlePath === undefined ? DEFAULT_BUNDLE : resolve(input.cwd, input.bundlePath);
  const stubPath = input.stubPath === undefined ? DEFAULT_STUB : resolve(input.cwd, input.stubPath);

  let config: DeviceConfig | undefined;
  if (!existsSync(configPath)) errors.push(shown(input.cwd, configPath) + " not found: create it with npm run make-config (see --help there)");
  else {
    try {
      config = JSON.parse(readFileSync(configPath, "utf8")) as DeviceConfig;
    } catch (e) {
      errors.push(shown(input.cwd, configPath) + " is not valid JSON: " + (e as Error).message);
    }
  }
  if (config !== undefined) {
    const check = checkDeviceConfig(config, input.nowSeconds);
    for (const line of check.errors) errors.push(shown(input.cwd, configPath) + ": " + line);
    warnings.push(...check.warnings);
  }

  let bundle: Buffer | undefined;
  if (!existsSync(bundlePath)) {
    errors.push(shown(input.cwd, bundlePath) + " not found: run npm run build first");
  } else {
    bundle = readFileSync(bundlePath);
    const findings = checkBundle(bundle.toString("latin1"), bundlePath);
    if (findings.length > 0) errors.push(shown(input.cwd, bundlePath) + " fails the Espruino gate (" + findings[0].message + "); rebuild it with npm run build");
    if (bundle.length === 0) errors.push(shown(input.cwd, bundlePath) + " is empty; run npm run build");
    if (input.bundlePath === undefined) {
      const newest = newestSource();
      if (newest && newest.mtimeMs > statSync(bundlePath).mtimeMs) warnings.push(shown(input.cwd, bundlePath) + " is older than " + shown(input.cwd, newest.path) + ": run npm run build to flash the current code");
    }
    if (config !== undefined) {
      const text = bundle.toString("latin1");
      if (secretsOf(config).some((s) => text.indexOf(s) >= 0)) errors.push(shown(input.cwd, bundlePath) + " contains a secret from the configuration; secrets belong only in " + CONFIG_RECORD);
    }
  }
  const stubText = bootStub(stubPath);
  if (stubText === undefined) errors.push(shown(input.cwd, stubPath) + " (the boot stub) not found: run npm run build first");
  else {
    const findings = checkBundle(stubText, stubPath);
    if (findings.length > 0) errors.push(shown(input.cwd, stubPath) + " fails the Espruino gate (" + findings[0].message + "); rebuild it with npm run build");
    else if (!/^eval\(/.test(stubText) || !/^[\x20-\x7e\n]+$/.test(stubText)) errors.push(shown(input.cwd, stubPath) + " is not the boot stub npm run build makes (one ASCII eval statement); rebuild it with npm run build");
    if (input.stubPath === undefined && existsSync(stubPath)) {
      const newest = newestSource();
      if (newest && newest.mtimeMs > statSync(stubPath).mtimeMs) warnings.push(shown(input.cwd, stubPath) + " is older than " + shown(input.cwd, newest.path) + ": run npm run build to flash the current code");
    }
  }
  let version = "";
  try {
    version = input.version === undefined ? projectVersion() : input.version;
    if (!isVersion(version)) errors.push("version " + JSON.stringify(version) + " for the boot selector is not 1-4 dot-separated numbers");
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length > 0 || config === undefined || bundle === undefined || stubText === undefined) return { errors, warnings };

  // The record holds the configuration as compact JSON (the device parses it into RAM).
  const onDevice = JSON.parse(JSON.stringify(config)) as DeviceConfig;
  const configBytes = Buffer.from(JSON.stringify(onDevice), "utf8");
  const stub = Buffer.from(stubText, "latin1");
  const selector = Buffer.from(initialSelector(version), "latin1");
  const records: FlashRecord[] = [
    { name: SLOT_A_RECORD, what: "the app bundle (slot a), run from flash", source: shown(input.cwd, bundlePath), bytes: bundle, crc32: crc32(bundle) },
    { name: CONFIG_RECORD, what: "the configuration, compact JSON", source: shown(input.cwd, configPath), bytes: configBytes, crc32: crc32(configBytes) },
    { name: SELECTOR_RECORD, what: "the boot selector: slot a, version " + version + ", confirmed", source: "package.json version", bytes: selector, crc32: crc32(selector) },
    { name: BOOT_RECORD, what: "the boot stub: runs the selected slot from flash, rolls back an unconfirmed update", source: shown(input.cwd, stubPath), bytes: stub, crc32: crc32(stub) },
  ];
  const erase = ERASED_RECORDS.slice();
  for (const name of records.map((r) => r.name).concat(erase)) {
    if (name.length > MAX_STORAGE_NAME) throw new Error("Storage name " + name + " is longer than " + MAX_STORAGE_NAME + " characters");
  }
  const total = records.reduce((sum, r) => sum + r.bytes.length, 0);
  if (total + bundle.length > STORAGE_LIMIT) {
    return { errors: ["the records take " + total + " bytes, and an update needs " + bundle.length + " more in slot b; the ESP32 Storage partition holds " + (896 * 1024) + " (keep " + (64 * 1024) + " free)"], warnings };
  }
  return { plan: { records, erase, config: onDevice, masked: maskConfig(onDevice), warnings, verify: verifyScript(records, erase) }, errors, warnings };
}

/** The file a record is staged in (the CLI splits --storage at ":", so it runs inside the
 *  staging directory with plain relative names). */
export function stagedName(record: string): string {
  const name = record.replace(/^\./, "");
  return /\.[a-z]+$/.test(name) ? name : name + ".js";
}

export const VERIFY_FILE = "verify.js";

/** The espruino CLI arguments, run inside the staging directory that holds every record
 *  (stagedName) and VERIFY_FILE. The CLI prepends each --storage write in turn, so the flags
 *  are listed last record first: the device writes the app first and the boot stub last.
 *  -v only feeds the progress display (its lines are filtered); never -m (its minifier
 *  breaks classes), no "compiled" code. */
export function espruinoArgs(port: string, records: FlashRecord[]): string[] {
  const args = ["--no-ble", "-b", String(BAUD), "--board", BOARD_FILE, "-v", "-p", port];
  for (let i = records.length - 1; i >= 0; i--) args.push("--storage", records[i].name + ":" + stagedName(records[i].name));
  args.push(VERIFY_FILE);
  return args;
}

/** A command line as a person would type it. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@+,-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\\''") + "'")).join(" ");
}
