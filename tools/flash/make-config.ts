// npm run make-config -- ...: writes device.json from a hub connection string or from DPS
// parameters, checked as the device will check it (firmware/config.ts) plus desktop-only
// checks. Refuses to overwrite without --force; prints a summary that never shows a secret.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildDeviceConfig, readSecrets, MAKE_CONFIG_HELP, MAKE_CONFIG_OPTIONS, type MakeConfigValues } from "./config-builder";
import { checkDeviceConfig, maskConfig } from "./config-checks";
import { describeConfig, processIo, type ToolIo } from "./summary";
import { parseConnectionString } from "../../firmware/azure/connection-string";
import { DEFAULT_TEST_CA_DIR, issueTestCertificate, type TestCertificate } from "./test-certificate";

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

  // --test-certificate: the issued certificate and key stand in for --certificate/--private-key.
  let testCert: TestCertificate | undefined;
  const TEST_CERT = "<test certificate>";
  const TEST_KEY = "<test key>";
  if (values["test-certificate"]) {
    const cs = values["connection-string"] !== undefined ? parseConnectionString(values["connection-string"]) : undefined;
    const commonName = values["registration-id"] !== undefined ? values["registration-id"].trim() : cs !== undefined && typeof cs !== "number" ? cs.deviceId : "";
    if (values.certificate !== undefined || values["private-key"] !== undefined) errors.push("--test-certificate issues the certificate: leave out --certificate and --private-key");
    else if (commonName === "") errors.push("--test-certificate needs --registration-id (DPS) or a connection string with x509=true (its DeviceId is the common name)");
    else {
      testCert = issueTestCertificate(resolve(io.cwd, values["test-ca"] ?? DEFAULT_TEST_CA_DIR), commonName);
      values = { ...values, certificate: TEST_CERT, "private-key": TEST_KEY };
    }
  } else if (values["test-ca"] !== undefined) errors.push("--test-ca goes with --test-certificate");
  const readOption = (path: string): Buffer => {
    if (testCert && path === TEST_CERT) return Buffer.from(testCert.credentials.certPem);
    if (testCert && path === TEST_KEY) return Buffer.from(testCert.credentials.keyPem);
    return readFileSync(resolve(io.cwd, path));
  };
  const secretErrors: string[] = [];
  for (const note of readSecrets(values, io.env || {}, readOption, secretErrors)) io.out(note);
  errors.push(...secretErrors);
  const built = secretErrors.length > 0 ? { errors: [] } : buildDeviceConfig(values, readOption);
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
  if (testCert) {
    const caFile = relative(io.cwd, join(testCert.caDir, "ca.pem")) || join(testCert.caDir, "ca.pem");
    io.out("test certificate: CN=" + testCert.credentials.commonName + ", thumbprint " + testCert.credentials.thumbprint + ", issued by the " + (testCert.caCreated ? "new " : "") + "local test CA " + caFile);
    io.out("warning: a test certificate is for the local simulator only, never for production; trust " + caFile + " there (an X.509 group enrollment)");
  }
  for (const warning of check.warnings) io.out("warning: " + warning);
  io.out("contents (secrets hidden):");
  for (const line of JSON.stringify(maskConfig(built.config), null, 2).split("\n")) io.out("  " + line);
  io.out("next: npm run build, then npm run flash -- --port <serial port> --config " + shownPath);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = runMakeConfig(process.argv.slice(2), processIo);
