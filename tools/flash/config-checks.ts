// Desktop checks on a device configuration, shared by make-config and flash: the device's
// own validation (firmware/config.ts resolveConfig) plus what only a desktop can check
// (certificates parse, Wi-Fi credentials, a ready-made token's expiry), clear messages for
// connection-string error codes, and masking so no secret reaches a terminal or a log.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { resolveConfig, type DeviceConfig, type ResolvedConfig } from "../../firmware/config";
import { parseConnectionString, AUTH_SAS_TOKEN } from "../../firmware/azure/connection-string";
import { sasExpiry } from "../../firmware/azure/sas";
import { base64DecodeLenient } from "../../firmware/azure/base64";
import {
  ERR_BAD_KEY, ERR_BAD_TOKEN, ERR_CS_BAD_VALUE, ERR_CS_CONFLICTING_CREDENTIALS, ERR_CS_DUPLICATE_FIELD,
  ERR_CS_EMPTY_VALUE, ERR_CS_MALFORMED, ERR_CS_MISSING_CREDENTIAL, ERR_CS_MISSING_DEVICE_ID, ERR_CS_MISSING_HOST,
  ERR_CS_UNKNOWN_FIELD, ERR_EMPTY_KEY,
} from "../../firmware/status";

const CS_FIELDS = ["HostName", "DeviceId", "ModuleId", "SharedAccessKey", "SharedAccessSignature", "x509"];

/** Top-level fields firmware/config.ts knows; others are reported as a warning (a typo, or a
 *  field newer than this tool). */
const KNOWN_FIELDS = [
  "dps", "connectionString", "certificate", "privateKey", "modelId", "ca", "tls", "port", "keepAliveSeconds",
  "tokenLifetimeSeconds", "hubSuffixes", "retry", "fleet", "outbox", "maxInboundBytes", "methodTimeoutSeconds",
  "wifi", "hosts", "led", "watchdogSeconds", "statusIntervalSeconds", "telemetryIntervalSeconds",
];

/** Field names of a connection string, in order (values are never looked at). */
function fieldNames(text: string): string[] {
  return text.trim().split(";").filter((s) => s !== "").map((s) => (s.indexOf("=") > 0 ? s.slice(0, s.indexOf("=")) : ""));
}

/** A sentence for a parseConnectionString error code; it names fields, never values. */
export function connectionStringMessage(code: number, text: string): string {
  const names = typeof text === "string" ? fieldNames(text) : [];
  const prefix = "connection string: ";
  switch (code) {
    case ERR_CS_MALFORMED:
      return prefix + "expected Name=value pairs separated by ';' (HostName=...;DeviceId=...;SharedAccessKey=...)";
    case ERR_CS_UNKNOWN_FIELD: {
      if (names.indexOf("SharedAccessKeyName") >= 0) {
        return prefix + "this is a hub-level (policy) connection string (SharedAccessKeyName); use the device's own connection string (portal: IoT Hub > Devices > your device > Primary connection string)";
      }
      if (names.indexOf("GatewayHostName") >= 0) return prefix + "IoT Edge gateway connection strings (GatewayHostName) are not supported";
      const unknown = names.filter((n) => CS_FIELDS.indexOf(n) < 0)[0];
      return prefix + "unknown field \"" + (unknown || "?") + "\" (names are case-sensitive: " + CS_FIELDS.join(", ") + ")";
    }
    case ERR_CS_DUPLICATE_FIELD: {
      const dup = names.filter((n, i) => names.indexOf(n) !== i)[0];
      return prefix + "field " + (dup ? "\"" + dup + "\" " : "") + "appears twice";
    }
    case ERR_CS_EMPTY_VALUE:
      return prefix + "a field has an empty value";
    case ERR_CS_MISSING_HOST:
      return prefix + "HostName is missing (e.g. HostName=my-hub.azure-devices.net)";
    case ERR_CS_MISSING_DEVICE_ID:
      return prefix + "DeviceId is missing";
    case ERR_CS_MISSING_CREDENTIAL:
      return prefix + "no credential: needs SharedAccessKey=..., SharedAccessSignature=... or x509=true";
    case ERR_CS_CONFLICTING_CREDENTIALS:
      return prefix + "more than one credential: give only one of SharedAccessKey, SharedAccessSignature, x509=true";
    case ERR_CS_BAD_VALUE:
      return prefix + "x509 must be true or false";
    case ERR_BAD_KEY:
      return prefix + "SharedAccessKey is not base64 (copy the whole key from the portal)";
    case ERR_EMPTY_KEY:
      return prefix + "SharedAccessKey is empty";
    case ERR_BAD_TOKEN:
      return prefix + "SharedAccessSignature is not a SAS token (needs sr=, sig= and a numeric se=)";
    default:
      return prefix + "not a valid device connection string (error " + code + ")";
  }
}

/** A masked stand-in for a secret: never any of its characters. */
export function hidden(secret: string): string {
  return "<hidden, " + secret.length + " characters>";
}

/** The connection string with its key or signature replaced by hidden(). */
export function maskConnectionString(text: string): string {
  return text.trim().split(";").map((segment) => {
    const eq = segment.indexOf("=");
    if (eq <= 0) return segment === "" ? segment : hidden(segment);
    const name = segment.slice(0, eq);
    if (name === "SharedAccessKey" || name === "SharedAccessSignature") return name + "=" + hidden(segment.slice(eq + 1));
    if (CS_FIELDS.indexOf(name) < 0) return name + "=" + hidden(segment.slice(eq + 1));
    return segment;
  }).join(";");
}

function blob(kind: string, text: unknown): unknown {
  return typeof text === "string" ? "<" + kind + ", " + text.length + " characters>" : text;
}

function secret(value: unknown): unknown {
  return typeof value === "string" ? hidden(value) : value === undefined ? undefined : "<hidden>";
}

/** A copy of the configuration safe to print: keys, tokens, private keys and the Wi-Fi
 *  password hidden; certificates shortened to their size. */
export function maskConfig(config: DeviceConfig): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const dps = copy.dps as Record<string, unknown> | undefined;
  if (dps && typeof dps === "object") {
    for (const name of ["symmetricKey", "privateKey", "groupKey"]) if (dps[name] !== undefined) dps[name] = secret(dps[name]);
    if (dps.certificate !== undefined) dps.certificate = blob("certificate", dps.certificate);
  }
  if (typeof copy.connectionString === "string") copy.connectionString = maskConnectionString(copy.connectionString);
  else if (copy.connectionString !== undefined) copy.connectionString = "<hidden>";
  if (copy.privateKey !== undefined) copy.privateKey = secret(copy.privateKey);
  if (copy.certificate !== undefined) copy.certificate = blob("certificate", copy.certificate);
  if (Array.isArray(copy.ca)) copy.ca = copy.ca.map((c) => blob("CA certificate", c));
  const wifi = copy.wifi as Record<string, unknown> | undefined;
  if (wifi && typeof wifi === "object" && wifi.password !== undefined) wifi.password = secret(wifi.password);
  const ota = copy.ota as Record<string, unknown> | undefined;
  if (ota && typeof ota === "object" && ota.key !== undefined) ota.key = secret(ota.key);
  return copy;
}

/** Every secret value in the configuration (for leak checks: none may appear in the bundle
 *  or in any output). */
export function secretsOf(config: DeviceConfig): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string" && v.length >= 8) out.push(v);
  };
  if (config.dps && typeof config.dps === "object") {
    add(config.dps.symmetricKey);
    add(config.dps.privateKey);
    add((config.dps as { groupKey?: unknown }).groupKey);
  }
  if (typeof config.connectionString === "string") {
    const cs = parseConnectionString(config.connectionString);
    if (typeof cs !== "number") {
      add(cs.sharedAccessKey);
      add(cs.sharedAccessSignature);
    }
  }
  add(config.privateKey);
  if (config.wifi && typeof config.wifi === "object") add(config.wifi.password);
  if (config.ota && typeof config.ota === "object") add(config.ota.key);
  return out;
}

/** DER bytes of one PEM block or of base64 DER text, or undefined. */
export function derOf(text: string): Buffer | undefined {
  const body = text.indexOf("-----BEGIN") >= 0
    ? text.replace(/-----BEGIN [^-]+-----/, "").replace(/-----END [^-]+-----[\s\S]*$/, "")
    : text;
  const compact = body.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}

/** The parsed certificate, or undefined when the text is neither PEM nor base64 DER of one. */
export function parseCertificate(text: string): X509Certificate | undefined {
  try {
    if (text.indexOf("-----BEGIN CERTIFICATE-----") >= 0) return new X509Certificate(text);
    const der = derOf(text);
    return der === undefined ? undefined : new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/** True when the text is an unencrypted private key, PEM or base64 DER. */
export function isPrivateKey(text: string): boolean {
  if (/ENCRYPTED/.test(text)) return false;
  try {
    if (text.indexOf("-----BEGIN") >= 0) createPrivateKey(text);
    else {
      const der = derOf(text);
      if (der === undefined) return false;
      let ok = false;
      for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
        try {
          createPrivateKey({ key: der, format: "der", type });
          ok = true;
          break;
        } catch {
          /* try the next encoding */
        }
      }
      return ok;
    }
    return true;
  } catch {
    return false;
  }
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export interface ConfigCheck {
  /** Present when there are no errors. */
  resolved?: ResolvedConfig;
  errors: string[];
  warnings: string[];
}

/** Validates a device configuration as the device will (resolveConfig) and as only a desktop
 *  can. Messages name fields, never secret values. `nowSeconds` is the desktop's clock. */
export function checkDeviceConfig(raw: unknown, nowSeconds: number): ConfigCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const result = resolveConfig(raw);
  const c = (raw !== null && typeof raw === "object" ? raw : {}) as DeviceConfig;

  // A clearer line than the device's "(error -314)" for a bad connection string.
  let csMessage = "";
  if (typeof c.connectionString === "string") {
    const cs = parseConnectionString(c.connectionString);
    if (typeof cs === "number") csMessage = connectionStringMessage(cs, c.connectionString);
    else {
      if (!/^[A-Za-z0-9.-]+$/.test(cs.hostName)) errors.push("connection string: HostName \"" + cs.hostName + "\" is not a host name");
      const suffixes = Array.isArray(c.hubSuffixes) ? c.hubSuffixes : [".azure-devices.net", ".azure-devices.cn", ".azure-devices.us"];
      if (!suffixes.some((s) => typeof s === "string" && cs.hostName.endsWith(s))) {
        warnings.push("connection string: HostName " + cs.hostName + " does not end with any of " + suffixes.join(", ") + " (set hubSuffixes for a private or sovereign cloud)");
      }
      if (cs.sharedAccessKey !== undefined) {
        const bytes = base64DecodeLenient(cs.sharedAccessKey);
        if (typeof bytes !== "number" && bytes.length < 16) errors.push("connection string: SharedAccessKey decodes to " + bytes.length + " bytes; IoT Hub keys are 16-64 bytes (copy the whole key)");
      }
      if (cs.auth === AUTH_SAS_TOKEN) {
        const expiry = sasExpiry(cs.sharedAccessSignature as string);
        if (expiry > 0 && expiry <= nowSeconds) errors.push("connection string: the SharedAccessSignature expired on " + new Date(expiry * 1000).toISOString() + "; use SharedAccessKey so the device can renew its tokens");
        else if (expiry > 0) warnings.push("connection string: a ready-made SharedAccessSignature cannot be renewed; the device stops connecting at " + new Date(expiry * 1000).toISOString());
      }
    }
  } else if (c.connectionString !== undefined) csMessage = "connectionString must be a string";
  if (csMessage) errors.push(csMessage);
  if (typeof result !== "object" || Array.isArray(result)) {
    for (const line of result as string[]) if (!(csMessage && line.indexOf("connectionString") === 0)) errors.push(line);
  }

  for (const key of Object.keys(c)) if (KNOWN_FIELDS.indexOf(key) < 0) warnings.push("unknown field \"" + key + "\" (ignored by this version; a typo?)");

  // Certificates and keys parse (the device cannot tell a truncated PEM until TLS fails).
  const checkCert = (label: string, text: unknown) => {
    if (typeof text !== "string") return;
    const cert = parseCertificate(text);
    if (!cert) errors.push(label + " is not a certificate (PEM or base64 DER)");
    else if (Date.parse(cert.validTo) / 1000 < nowSeconds) warnings.push(label + " expired on " + cert.validTo);
  };
  const checkKey = (label: string, text: unknown) => {
    if (typeof text === "string" && !isPrivateKey(text)) errors.push(label + " is not an unencrypted private key (PEM or base64 DER)");
  };
  if (c.dps && typeof c.dps === "object") {
    checkCert("dps.certificate", c.dps.certificate);
    checkKey("dps.privateKey", c.dps.privateKey);
  }
  checkCert("certificate", c.certificate);
  checkKey("privateKey", c.privateKey);
  if (Array.isArray(c.ca)) {
    c.ca.forEach((text, i) => checkCert("ca[" + i + "]", text));
    if (c.ca.length > 1) warnings.push("ca has " + c.ca.length + " certificates; Espruino's TLS takes one, so the device passes only ca[0]");
  }

  // Wi-Fi (firmware/main.ts; resolveConfig checks the shape). The device may also use
  // settings saved on it with Wifi.save().
  if (c.wifi === undefined) warnings.push("no wifi in the configuration: the device uses Wi-Fi settings saved on it, if any");
  else if (c.wifi !== null && typeof c.wifi === "object") {
    const ssid = c.wifi.ssid;
    if (typeof ssid === "string" && ssid.length <= 32 && byteLength(ssid) > 32) errors.push("wifi.ssid is " + byteLength(ssid) + " bytes in UTF-8; Wi-Fi allows 32");
    const pw = c.wifi.password;
    if (pw === "") warnings.push("wifi.password is empty: an open network");
    else if (typeof pw === "string" && (pw.length < 8 || pw.length > 64 || (pw.length === 64 && !/^[0-9A-Fa-f]{64}$/.test(pw)))) {
      errors.push("wifi.password must be a WPA2 passphrase of 8-63 characters or 64 hex digits (leave it out for an open network)");
    }
  }
  if (c.hosts !== undefined) warnings.push("hosts redirects host names (for the Espruino Linux interpreter and the local simulator); a board should not have it");
  if (c.tls === false) warnings.push("tls is false: plain TCP, only for a local broker (the Linux smoke test); IoT Hub needs TLS");
  if (result !== null && typeof result === "object" && !Array.isArray(result) && result.useDps && c.modelId !== undefined) {
    // DPS learns the model id from the registration payload, the hub from the username.
    const payload = c.dps && (c.dps.payload as { modelId?: unknown } | undefined);
    if (!payload || payload.modelId !== c.modelId) warnings.push("modelId is set but dps.payload.modelId is not the same: DPS custom allocation will not see the model id");
  }
  const size = byteLength(JSON.stringify(raw === undefined ? null : raw));
  if (size > 8192) warnings.push("the configuration is " + size + " bytes; the device parses it into RAM at boot (mind the CA and certificate sizes)");

  if (errors.length > 0) return { errors, warnings };
  return { resolved: result as ResolvedConfig, errors, warnings };
}
