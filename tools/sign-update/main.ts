// npm run sign-update -- --bundle dist/firmware.js --version 1.2.0 --url https://... --key-file ota.key
// Writes the update manifest (docs/updates.md) that the desired twin property `ota` carries.
// The key comes from a file or the AZIOT_OTA_KEY environment variable (as for make-config),
// never from the command line, and is never printed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { processIo, type ToolIo } from "../flash/summary";
import { decodeKey, KEY_ENV, newKey, signUpdate } from "./sign";

export const SIGN_UPDATE_HELP = `npm run sign-update -- --bundle <file> --version <x.y.z> --url <https://...> --key-file <file> [options]

Signs an application bundle into an update manifest: the JSON the desired twin property
\`ota\` carries (see docs/updates.md). The device installs it only if the manifest verifies
under its own OTA key (device.json: ota.key) and the file's SHA-256 matches.

  --bundle <file>       the new application bundle (npm run build: dist/firmware.js)
  --version <x.y.z>     its version: 1-4 numbers; must be newer than the device's
  --url <https://...>   where the device downloads it (not signed: a blob SAS may change)
  --key-file <file>     the OTA key, base64 text (the same as ota.key in device.json);
                        without it the key is read from the ${KEY_ENV} environment variable
  --allow-downgrade     let the device install an older version (signed into the manifest)
  --max-bytes <n>       the device's ota.maxBytes (default 524288)
  --out <file>          write the manifest here (default: print it on stdout)
  --force               overwrite --out
  --new-key <file>      instead: write a new random 32-byte OTA key to <file> (mode 600)
  --help                this text

To rehearse an update locally: docs/updates.md, "Rehearse against the simulator".
`;

const OPTIONS = {
  help: { type: "boolean" },
  bundle: { type: "string" },
  version: { type: "string" },
  url: { type: "string" },
  "key-file": { type: "string" },
  "allow-downgrade": { type: "boolean" },
  "max-bytes": { type: "string" },
  out: { type: "string" },
  force: { type: "boolean" },
  "new-key": { type: "string" },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean : string };

function shown(io: ToolIo, path: string): string {
  const rel = relative(io.cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

function writeNewKey(io: ToolIo, file: string, force: boolean): number {
  const path = resolve(io.cwd, file);
  try {
    writeFileSync(path, newKey() + "\n", { mode: 0o600, flag: force ? "w" : "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code || String(e);
    io.err("sign-update: cannot write " + shown(io, path) + " (" + code + (code === "EEXIST" ? ": add --force to replace it" : "") + ")");
    return 1;
  }
  io.err("wrote a new 32-byte OTA key to " + shown(io, path) + " (readable only by you)");
  io.err("give it to each device: npm run make-config -- ... --ota-key-file " + shown(io, path));
  return 0;
}

/** Runs sign-update; returns the exit code (0 written, 1 refused, 2 bad usage). */
export function runSignUpdate(argv: string[], io: ToolIo, env: NodeJS.ProcessEnv = process.env): number {
  let v: Values;
  try {
    v = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    io.err("sign-update: " + (e as Error).message + " (see --help)");
    return 2;
  }
  if (v.help) {
    io.out(SIGN_UPDATE_HELP);
    return 0;
  }
  if (v["new-key"] !== undefined) return writeNewKey(io, v["new-key"], v.force === true);

  const errors: string[] = [];
  if (v.bundle === undefined) errors.push("--bundle is missing (the file to ship, e.g. dist/firmware.js)");
  if (v.version === undefined) errors.push("--version is missing (e.g. 1.2.0)");
  if (v.url === undefined) errors.push("--url is missing (where the device downloads the bundle)");
  let keyText: string | undefined;
  if (v["key-file"] !== undefined) {
    try {
      keyText = readFileSync(resolve(io.cwd, v["key-file"]), "latin1");
    } catch (e) {
      errors.push("--key-file " + v["key-file"] + ": cannot read (" + ((e as NodeJS.ErrnoException).code || String(e)) + ")");
    }
  } else if (env[KEY_ENV] !== undefined && env[KEY_ENV] !== "") keyText = env[KEY_ENV];
  else errors.push("no OTA key: give --key-file <file> or set " + KEY_ENV + " (npm run sign-update -- --new-key ota.key makes one)");
  let maxBytes: number | undefined;
  if (v["max-bytes"] !== undefined) {
    if (!/^\d{1,9}$/.test(v["max-bytes"])) errors.push("--max-bytes must be a whole number");
    else maxBytes = Number(v["max-bytes"]);
  }
  let bundle: Uint8Array | undefined;
  if (v.bundle !== undefined) {
    try {
      bundle = readFileSync(resolve(io.cwd, v.bundle));
    } catch (e) {
      errors.push("--bundle " + v.bundle + ": cannot read (" + ((e as NodeJS.ErrnoException).code || String(e)) + (v.bundle.startsWith("dist/") ? "; npm run build writes dist/" : "") + ")");
    }
  }
  const outPath = v.out === undefined ? undefined : resolve(io.cwd, v.out);
  if (outPath !== undefined && existsSync(outPath) && !v.force) errors.push(shown(io, outPath) + " already exists (add --force to replace it)");
  if (errors.length === 0 && keyText !== undefined && typeof decodeKey(keyText) === "string") errors.push(decodeKey(keyText) as string);
  if (errors.length > 0 || bundle === undefined || keyText === undefined) {
    for (const line of errors) io.err("error: " + line);
    io.err("sign-update: no manifest written");
    return errors.length > 0 ? 1 : 2;
  }

  const result = signUpdate({
    bundle,
    version: v.version as string,
    url: v.url as string,
    keyBase64: keyText,
    allowDowngrade: v["allow-downgrade"] === true,
    maxBytes,
  });
  if (!result.manifest) {
    for (const line of result.errors) io.err("error: " + line);
    io.err("sign-update: no manifest written");
    return 1;
  }
  const text = JSON.stringify(result.manifest, null, 2) + "\n";
  const m = result.manifest;
  const about = "manifest for " + m.version + ": " + m.size + " bytes, sha256 " + m.sha256 + (m.allowDowngrade ? ", downgrade allowed" : "");
  if (outPath === undefined) {
    io.out(text.trimEnd());
    io.err(about);
    return 0;
  }
  try {
    writeFileSync(outPath, text, { flag: v.force ? "w" : "wx" });
  } catch (e) {
    io.err("error: cannot write " + shown(io, outPath) + " (" + ((e as NodeJS.ErrnoException).code || String(e)) + ")");
    return 1;
  }
  io.out("wrote " + shown(io, outPath) + ": " + about);
  io.out("announce it: set the device twin's desired property \"ota\" to this JSON (npm run sim: announce <device> " + shown(io, outPath) + " " + v.bundle + ")");
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = runSignUpdate(process.argv.slice(2), processIo);
