// npm run make-config -- ...: writes device.json from a hub connection string or from DPS
// parameters, checked as the device will check it (firmware/config.ts) plus desktop-only
// checks. Refuses to overwrite without --force; prints a summary that never shows a secret.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildDeviceConfig, readSecrets, MAKE_CONFIG_HELP, MAKE_CONFIG_OPTIONS, type MakeConfigValues } from "./config-builder";
import { checkDeviceConfig, maskConfig } from "./config-checks";
import { describeConfig, processIo, type ToolIo } from "./summary";

/** Runs make-config; returns the exit code (0 written, 1 invalid input, 2 bad usage). */
export function runMakeConfig(argv: string[], io: ToolIo): number {
  let values: MakeConfigValues;
  try {
    values = parseArgs({ args: argv, options: MAKE_CONFIG_OPTIONS, strict: true, allowPositionals: false }).values as MakeConfigValues;
  } catch (e) {
    io.err("make-config: " + (e as Error).message);
    io.err(MAKE_CONFIG_HELP);
    return 2;
  }
  if (values.help) {
    io.out(MAKE_CONFIG_HELP);
    return 0;
  }
  const outPath = resolve(io.cwd, values.out === undefined ? "device.json" : values.out);
  const rel = relative(io.cwd, outPath);
  const shownPath = rel && !rel.startsWith("..") ? rel : outPath;
  const errors: string[] = [];
  if (existsSync(outPath) && !values.force) errors.push(shownPath + " already exists: refusing to overwrite it (add --force to replace it)");

  const readFile = (path: string) => readFileSync(resolve(io.cwd, path));
  const secretErrors: string[] = [];
  for (const note of readSecrets(values, io.env || {}, readFile, secretErrors)) io.out(note);
  errors.push(...secretErrors);
  const built = secretErrors.length > 0 ? { errors: [] } : buildDeviceConfig(values, readFile);
  errors.push(...built.errors);
  const check = built.config ? checkDeviceConfig(built.config, io.nowSeconds()) : undefined;
  if (check) errors.push(...check.errors);
  if (errors.length > 0 || !built.config || !check || !check.resolved) {
    for (const line of errors) io.err("error: " + line);
    io.err("make-config: nothing written");
    return 1;
  }

  const text = JSON.stringify(built.config, null, 2) + "\n";
  try {
    writeFileSync(outPath, text, { mode: 0o600, flag: values.force ? "w" : "wx" });
  } catch (e) {
    io.err("error: cannot write " + shownPath + " (" + ((e as NodeJS.ErrnoException).code || String(e)) + ")");
    return 1;
  }
  io.out("wrote " + shownPath + " (" + Buffer.byteLength(text) + " bytes, readable only by you: it holds the device's secrets)");
  const derived = values["group-key"] !== undefined;
  for (const line of describeConfig(built.config, check.resolved, derived)) io.out(line);
  for (const warning of check.warnings) io.out("warning: " + warning);
  io.out("contents (secrets hidden):");
  for (const line of JSON.stringify(maskConfig(built.config), null, 2).split("\n")) io.out("  " + line);
  io.out("next: npm run build, then npm run flash -- --port <serial port> --config " + shownPath);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = runMakeConfig(process.argv.slice(2), processIo);
