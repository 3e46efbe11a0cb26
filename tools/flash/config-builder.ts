// make-config's core: command-line values -> a DeviceConfig (firmware/config.ts), or the
// list of what is wrong. A group key is turned into the device key here, on the desktop
// (the derivation DPS documents for group enrollments), and never leaves this function. Certificates and keys are
// stored as base64 DER: every Espruino TLS build parses DER (docs/espruino.md, TLS).
import { createHash } from "node:crypto";
import type { DeviceConfig } from "../../firmware/config";
import { parseConnectionString, AUTH_X509 } from "../../firmware/azure/connection-string";
import { deriveDeviceKey } from "../../firmware/azure/sas";
import { base64DecodeLenient } from "../../firmware/azure/base64";
import { ERR_BAD_KEY, ERR_EMPTY_KEY } from "../../firmware/status";
import { configRules, ruleProblem } from "../../firmware/config-check";
import { connectionStringMessage, derOf, isPrivateKey, parseCertificate } from "./config-checks";

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());

/** The options make-config understands (node:util parseArgs form). */
export const MAKE_CONFIG_OPTIONS = {
  help: { type: "boolean" },
  out: { type: "string" },
  force: { type: "boolean" },
  "connection-string": { type: "string" },
  "id-scope": { type: "string" },
  "registration-id": { type: "string" },
  key: { type: "string" },
  "group-key": { type: "string" },
  endpoint: { type: "string" },
  certificate: { type: "string" },
  "private-key": { type: "string" },
  "test-certificate": { type: "boolean" },
  "test-ca": { type: "string" },
  "model-id": { type: "string" },
  "wifi-ssid": { type: "string" },
  "wifi-password": { type: "string" },
  ca: { type: "string", multiple: true },
  "keep-alive": { type: "string" },
  "token-lifetime": { type: "string" },
  "hub-suffix": { type: "string", multiple: true },
  led: { type: "string" },
  watchdog: { type: "string" },
  "status-interval": { type: "string" },
  "telemetry-interval": { type: "string" },
  "fleet-devices": { type: "string" },
  "fleet-hub-rate": { type: "string" },
  "fleet-dps-rate": { type: "string" },
  "fleet-load": { type: "string" },
  "ota-key": { type: "string" },
  // Every secret also from a file (its first line) or an environment variable (SECRET_SOURCES),
  // so it need not appear on a command line, on screen (npm echoes it) or in shell history.
  "connection-string-file": { type: "string" },
  "key-file": { type: "string" },
  "group-key-file": { type: "string" },
  "wifi-password-file": { type: "string" },
  "ota-key-file": { type: "string" },
} as const;

/** The secret options and the environment variable each may come from instead. */
export const SECRET_SOURCES: Array<[string, string]> = [
  ["connection-string", "AZIOT_CONNECTION_STRING"],
  ["key", "AZIOT_KEY"],
  ["group-key", "AZIOT_GROUP_KEY"],
  ["wifi-password", "AZIOT_WIFI_PASSWORD"],
  ["ota-key", "AZIOT_OTA_KEY"],
];

export type MakeConfigValues = { [K in keyof typeof MAKE_CONFIG_OPTIONS]?: (typeof MAKE_CONFIG_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof MAKE_CONFIG_OPTIONS)[K] extends { type: "boolean" } ? boolean : string };

export const MAKE_CONFIG_HELP = `npm run make-config -- [options]

Writes the device configuration (device.json) that \`npm run flash\` puts into the device's
Storage. Every field is checked as the device will check it; secrets are never printed.

Identity (one of):
  --connection-string "HostName=...;DeviceId=...;SharedAccessKey=..."
                            a device (or module) connection string from IoT Hub
  --id-scope <scope> --registration-id <id>   DPS, with one credential:
    --key <base64>          individual enrollment: the device's own key
    --group-key <base64>    group enrollment: the device key is derived here; the group
                            key is NOT written to the file (a device must never hold it)
    --certificate <file> --private-key <file>   X.509 (PEM or DER, unencrypted key)
  --endpoint <host>         DPS endpoint (default global.azure-devices-provisioning.net)
  (--certificate/--private-key also go with a connection string that has x509=true)
    --test-certificate [--test-ca <dir>]   X.509 for the LOCAL SIMULATOR only, never for
                            production: issues a device certificate (common name = the
                            registration or device id) from a test CA kept in <dir>
                            (default .sim-data/test-ca, made on first use); enroll its
                            ca.pem in the simulator as an X.509 group

Device:
  --wifi-ssid <ssid> [--wifi-password <password>]   Wi-Fi network of the device
  --model-id <dtmi:...>     IoT Plug and Play model id (also sent to DPS in the payload)
  --ca <file>               trusted root, PEM or DER; repeat for more. Stored as base64 DER.
                            Stock Espruino does not verify the server (see README).
  --keep-alive <s>          MQTT keep-alive, ${rangeOf("keepAliveSeconds")} s (default 120)
  --token-lifetime <s>      SAS token lifetime, ${rangeOf("tokenLifetimeSeconds")} s (default 3600)
  --hub-suffix <.suffix>    accept assigned hubs ending with this; repeat
                            (default .azure-devices.net .azure-devices.cn .azure-devices.us)
  --led <pin|off>           status LED pin such as D2 (default LED1 where the board has one)
  --watchdog <s>            hardware watchdog, 5-3600 s, 0 = off (default off)
  --status-interval <s>     seconds between console status lines, ${rangeOf("statusIntervalSeconds")} (default 60)
  --telemetry-interval <s>  demo telemetry every so many seconds, ${rangeOf("telemetryIntervalSeconds")}, 0 = none (default 60)
Fleet (spreads first boots and retries; see docs/configuration.md):
  --fleet-devices <n>       devices that may boot or fail together, ${rangeOf("fleet.devices")}
  --fleet-hub-rate <n>      hub connections per second, ${rangeOf("fleet.hubConnectionsPerSecond")} (default 100, S1)
  --fleet-dps-rate <n>      DPS registrations per minute, ${rangeOf("fleet.dpsRegistrationsPerMinute")} (default 1000)
  --fleet-load <x>          share of those rates the fleet may use, ${rangeOf("fleet.load")} (default 1)

Application updates:
  --ota-key <base64>        the key update manifests are signed with (16+ bytes; updates
                            stay off without it); npm run sign-update -- --new-key <file>
                            makes one (docs/updates.md)

Output:
  --out <file>              where to write (default ./device.json)
  --force                   overwrite an existing file
  --help                    this text

Secrets: npm prints the whole command line, and shells keep it in their history. Give each
secret from a file or from the environment instead of on the command line:
  --connection-string-file <file>   or  AZIOT_CONNECTION_STRING
  --key-file <file>                 or  AZIOT_KEY
  --group-key-file <file>           or  AZIOT_GROUP_KEY
  --wifi-password-file <file>       or  AZIOT_WIFI_PASSWORD
  --ota-key-file <file>             or  AZIOT_OTA_KEY
A file's first line is the value. An option on the command line, then its file, then the
environment variable: the first given is used; an option and its file together are an error.
`;

export interface BuiltConfig {
  config?: DeviceConfig;
  errors: string[];
}

/** Reads a file for an option, or records an error. */
export type ReadFile = (path: string) => Buffer;

/** The device's row (firmware/config-check.ts) for a setting path. */
function ruleOf(path: string): string {
  const row = configRules().find((r) => r.startsWith(path + " "));
  if (row === undefined) throw new Error("no configuration rule for " + path);
  return row;
}

/** "from-to" of a numeric setting, as the device checks it (for the help text). */
export function rangeOf(path: string): string {
  const f = ruleOf(path).split(" ");
  return f[2] + "-" + f[3];
}

/** A numeric option checked by the device's own table: the number, or undefined and an
 *  error naming the option, the setting and its range. */
function numberOption(flag: string, path: string, text: string | undefined, errors: string[]): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  const problem = ruleProblem(ruleOf(path), n);
  if (problem === "") return n;
  errors.push("--" + flag + " (" + problem.replace(path + " ", path + ") ") + ", got \"" + text + "\"");
  return undefined;
}

/** The certificates in a PEM or DER file, each as base64 DER. */
function certificatesIn(flag: string, path: string, data: Buffer, errors: string[]): string[] {
  const text = data.toString("latin1");
  const out: string[] = [];
  if (text.indexOf("-----BEGIN") >= 0) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) || [];
    if (blocks.length === 0) errors.push("--" + flag + " " + path + ": no \"BEGIN CERTIFICATE\" block in this PEM file");
    for (const block of blocks) {
      const der = derOf(block);
      if (der === undefined || !parseCertificate(der.toString("base64"))) errors.push("--" + flag + " " + path + ": a certificate in this file does not parse");
      else out.push(der.toString("base64"));
    }
  } else if (parseCertificate(data.toString("base64"))) out.push(data.toString("base64"));
  else errors.push("--" + flag + " " + path + ": not a certificate (expected PEM or DER)");
  return out;
}

/** A private key file (PEM or DER) as base64 DER of the same structure. */
function privateKeyIn(path: string, data: Buffer, errors: string[]): string | undefined {
  const text = data.toString("latin1");
  if (/ENCRYPTED/.test(text)) {
    errors.push("--private-key " + path + ": the key is encrypted; the device needs an unencrypted key");
    return undefined;
  }
  const block = text.indexOf("-----BEGIN") >= 0 ? (text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/) || [""])[0] : "";
  const der = text.indexOf("-----BEGIN") >= 0 ? derOf(block) : data;
  const encoded = der === undefined ? "" : der.toString("base64");
  if (!encoded || !isPrivateKey(encoded)) {
    errors.push("--private-key " + path + ": not a private key (expected PEM or DER, unencrypted)");
    return undefined;
  }
  return encoded;
}

function readOne(flag: string, path: string, readFile: ReadFile, errors: string[]): Buffer | undefined {
  try {
    return readFile(path);
  } catch (e) {
    errors.push("--" + flag + " " + path + ": cannot read (" + ((e as NodeJS.ErrnoException).code || String(e)) + ")");
    return undefined;
  }
}

/** Checks a --key / --group-key value; returns an error line or "". */
function keyProblem(flag: string, key: string): string {
  const bytes = base64DecodeLenient(key.trim());
  if (typeof bytes === "number") return "--" + flag + " is not base64 (copy the whole key from the portal)";
  if (bytes.length === 0) return "--" + flag + " is empty";
  if (bytes.length < 16) return "--" + flag + " decodes to " + bytes.length + " bytes; Azure keys are 16-64 bytes (the portal shows 44 or 88 base64 characters)";
  return "";
}

/** Fills each secret option from its -file option or its environment variable (values are
 *  changed in place). Returns where secrets came from ("--key from $AZIOT_KEY"), never a value. */
export function readSecrets(v: MakeConfigValues, env: Record<string, string | undefined>, readFile: ReadFile, errors: string[]): string[] {
  const notes: string[] = [];
  const values = v as Record<string, string | undefined>;
  for (const [flag, envName] of SECRET_SOURCES) {
    const file = values[flag + "-file"];
    delete values[flag + "-file"];
    if (file !== undefined) {
      if (values[flag] !== undefined) {
        errors.push("give --" + flag + " or --" + flag + "-file, not both");
        continue;
      }
      const data = readOne(flag + "-file", file, readFile, errors);
      if (data === undefined) continue;
      const text = data.toString("utf8").split(/\r?\n/)[0];
      if (text === "") errors.push("--" + flag + "-file " + file + ": the first line is empty");
      else values[flag] = text;
      notes.push("--" + flag + " from " + file);
    } else if (values[flag] === undefined && env[envName] !== undefined && env[envName] !== "") {
      values[flag] = env[envName];
      notes.push("--" + flag + " from $" + envName);
    }
  }
  return notes;
}

/** Builds the configuration from make-config's option values. */
export function buildDeviceConfig(v: MakeConfigValues, readFile: ReadFile): BuiltConfig {
  const errors: string[] = [];
  const config: DeviceConfig = {};
  const usesDps = v["id-scope"] !== undefined || v["registration-id"] !== undefined || v.key !== undefined || v["group-key"] !== undefined || v.endpoint !== undefined;
  const cs = v["connection-string"];

  let cert: string | undefined;
  let privateKey: string | undefined;
  if (v.certificate !== undefined) {
    const data = readOne("certificate", v.certificate, readFile, errors);
    if (data) {
      const certs = certificatesIn("certificate", v.certificate, data, errors);
      if (certs.length > 0) cert = certs[0];
    }
  }
  if (v["private-key"] !== undefined) {
    const data = readOne("private-key", v["private-key"], readFile, errors);
    if (data) privateKey = privateKeyIn(v["private-key"], data, errors);
  }
  if ((v.certificate === undefined) !== (v["private-key"] === undefined)) errors.push("--certificate and --private-key go together");

  if (cs !== undefined && usesDps) {
    errors.push("give either --connection-string or the DPS options (--id-scope, --registration-id, --key/--group-key, --endpoint), not both");
  } else if (cs !== undefined) {
    const parsed = parseConnectionString(cs);
    if (typeof parsed === "number") errors.push(connectionStringMessage(parsed, cs));
    else {
      config.connectionString = cs.trim();
      if (parsed.auth === AUTH_X509) {
        if (v.certificate === undefined) errors.push("the connection string has x509=true: give --certificate and --private-key");
        if (cert) config.certificate = cert;
        if (privateKey) config.privateKey = privateKey;
      } else if (v.certificate !== undefined) {
        errors.push("--certificate/--private-key are only for a connection string with x509=true");
      }
    }
  } else if (usesDps) {
    const scope = v["id-scope"];
    const registrationId = v["registration-id"];
    if (scope === undefined) errors.push("--id-scope is missing (DPS overview page, e.g. 0ne00123456)");
    if (registrationId === undefined) errors.push("--registration-id is missing");
    const credentials = (v.key !== undefined ? 1 : 0) + (v["group-key"] !== undefined ? 1 : 0) + (v.certificate !== undefined ? 1 : 0);
    if (credentials === 0) errors.push("DPS needs a credential: --key (individual enrollment), --group-key (group enrollment) or --certificate with --private-key");
    if (credentials > 1) errors.push("give only one DPS credential: --key, --group-key or --certificate/--private-key");
    const dps: NonNullable<DeviceConfig["dps"]> = { idScope: scope === undefined ? "" : scope.trim(), registrationId: registrationId === undefined ? "" : registrationId.trim() };
    if (v.endpoint !== undefined) dps.endpoint = v.endpoint.trim();
    if (credentials === 1) {
      if (v.key !== undefined) {
        const problem = keyProblem("key", v.key);
        if (problem) errors.push(problem);
        else dps.symmetricKey = v.key.trim();
      } else if (v["group-key"] !== undefined) {
        const problem = keyProblem("group-key", v["group-key"]);
        if (problem) errors.push(problem);
        else if (dps.registrationId !== "") {
          const derived = deriveDeviceKey(v["group-key"].trim(), dps.registrationId, sha256);
          if (typeof derived === "number") errors.push("--group-key: cannot derive the device key (" + (derived === ERR_BAD_KEY ? "not base64" : derived === ERR_EMPTY_KEY ? "empty" : "error " + derived) + ")");
          else dps.symmetricKey = derived;
        }
      } else {
        if (cert) dps.certificate = cert;
        if (privateKey) dps.privateKey = privateKey;
      }
    }
    if (v["model-id"] !== undefined) dps.payload = { modelId: v["model-id"].trim() };
    config.dps = dps;
  } else {
    errors.push("no identity: give --connection-string, or --id-scope and --registration-id with --key or --group-key (see --help)");
  }

  if (v["model-id"] !== undefined) config.modelId = v["model-id"].trim();
  if (v["wifi-ssid"] !== undefined) {
    config.wifi = { ssid: v["wifi-ssid"] };
    if (v["wifi-password"] !== undefined) config.wifi.password = v["wifi-password"];
  } else if (v["wifi-password"] !== undefined) errors.push("--wifi-password needs --wifi-ssid");

  if (v.ca !== undefined) {
    const ca: string[] = [];
    for (const path of v.ca) {
      const data = readOne("ca", path, readFile, errors);
      if (data) ca.push(...certificatesIn("ca", path, data, errors));
    }
    if (ca.length > 0) config.ca = ca;
  }
  const keepAlive = numberOption("keep-alive", "keepAliveSeconds", v["keep-alive"], errors);
  if (keepAlive !== undefined) config.keepAliveSeconds = keepAlive;
  const lifetime = numberOption("token-lifetime", "tokenLifetimeSeconds", v["token-lifetime"], errors);
  if (lifetime !== undefined) config.tokenLifetimeSeconds = lifetime;
  if (v["hub-suffix"] !== undefined) config.hubSuffixes = v["hub-suffix"].map((s) => s.trim());
  if (v.led !== undefined) config.led = v.led.trim();
  const watchdog = numberOption("watchdog", "watchdogSeconds", v.watchdog, errors);
  if (watchdog !== undefined) config.watchdogSeconds = watchdog;
  const status = numberOption("status-interval", "statusIntervalSeconds", v["status-interval"], errors);
  if (status !== undefined) config.statusIntervalSeconds = status;
  const telemetry = numberOption("telemetry-interval", "telemetryIntervalSeconds", v["telemetry-interval"], errors);
  if (telemetry !== undefined) config.telemetryIntervalSeconds = telemetry;

  if (v["ota-key"] !== undefined) {
    const problem = keyProblem("ota-key", v["ota-key"]);
    if (problem) errors.push(problem);
    else config.ota = { key: v["ota-key"].trim() };
  }

  const fleetFlags = v["fleet-devices"] !== undefined || v["fleet-hub-rate"] !== undefined || v["fleet-dps-rate"] !== undefined || v["fleet-load"] !== undefined;
  if (fleetFlags) {
    const devices = numberOption("fleet-devices", "fleet.devices", v["fleet-devices"], errors);
    if (v["fleet-devices"] === undefined) errors.push("--fleet-devices is needed with the other --fleet-* options");
    const hub = numberOption("fleet-hub-rate", "fleet.hubConnectionsPerSecond", v["fleet-hub-rate"], errors);
    const dpsRate = numberOption("fleet-dps-rate", "fleet.dpsRegistrationsPerMinute", v["fleet-dps-rate"], errors);
    const load = numberOption("fleet-load", "fleet.load", v["fleet-load"], errors);
    if (devices !== undefined && devices >= 1) {
      config.fleet = { devices, hubConnectionsPerSecond: hub === undefined ? 100 : hub, dpsRegistrationsPerMinute: dpsRate === undefined ? 1000 : dpsRate, load: load === undefined ? 1 : load };
    }
  }
  return errors.length > 0 ? { errors } : { config, errors };
}
