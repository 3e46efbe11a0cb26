// The device configuration: one JSON record (written by the flasher into Storage, or a file
// on Node), its defaults for every size, timeout and limit, and its validation. Secrets live
// here and only here: never in the bundle, never in a log line. resolveConfig() checks every
// field and returns either a complete configuration or the list of what is wrong; the type
// and range of every typed setting is one table (./config-check), the identifiers follow
// Azure's rules (./azure/identifiers).
import { parseConnectionString, AUTH_SAS_KEY, AUTH_SAS_TOKEN, AUTH_X509 } from "./azure/connection-string";
import { base64DecodeLenient } from "./azure/base64";
import { sasExpiry } from "./azure/sas";
import { DPS_GLOBAL_ENDPOINT } from "./azure/dps";
import { DEFAULT_HUB_SUFFIXES } from "./azure/hub-cache";
import { FleetSettings, DEFAULT_HUB_CONNECTIONS_PER_SECOND, DEFAULT_DPS_REGISTRATIONS_PER_MINUTE } from "./policy/fleet";
import { configProblems } from "./config-check";
import { isDeviceId, isHostName, isRegistrationId } from "./azure/identifiers";

/** The JSON a user writes (make-config produces it). Every field but the identity is optional. */
export interface DeviceConfig {
  /** DPS provisioning. */
  dps?: {
    idScope: string;
    registrationId: string;
    /** Defaults to the global endpoint. */
    endpoint?: string;
    /** The device's own key (individual enrollment, or derived from a group key on the desktop). */
    symmetricKey?: string;
    /** X.509 instead of a key: PEM or base64 DER of the device certificate and key. */
    certificate?: string;
    privateKey?: string;
    /** Custom JSON sent with the registration (e.g. {"modelId": "..."}). */
    payload?: unknown;
  };
  /** Hub-only use, without DPS: a device or module connection string. */
  connectionString?: string;
  /** Client certificate and key for a connection string with x509=true. */
  certificate?: string;
  privateKey?: string;
  /** Plug and Play model id, announced in the hub username. */
  modelId?: string;
  /** Trusted roots, PEM text or base64 DER. Stock Espruino parses but does not enforce them. */
  ca?: string[];
  /** false: plain TCP instead of TLS (the Espruino Linux smoke test only). An object means
   *  TLS with settings: requireVerified refuses to run on an interpreter that cannot verify
   *  the server against ca (stock Espruino; see interpreter/). */
  tls?: boolean | { requireVerified?: boolean };
  port?: number;
  keepAliveSeconds?: number;
  tokenLifetimeSeconds?: number;
  hubSuffixes?: string[];
  retry?: {
    mode?: "exponential" | "none";
    maxAttempts?: number;
    operationTimeoutSeconds?: number;
    stopOnRetryExpired?: boolean;
    /** Added to every hub retry: 60 follows the large-scale guidance's "at least a minute"
     *  to the letter (its cost for a fleet: docs/fleet.md). Default 0. */
    hubMinGapSeconds?: number;
  };
  /** Fleet size and service rates; the rates default to the services' defaults, load to 1. */
  fleet?: { devices: number; hubConnectionsPerSecond?: number; dpsRegistrationsPerMinute?: number; load?: number };
  outbox?: {
    maxMessages?: number;
    maxBytes?: number;
    /** Keep queued telemetry in flash across reboots (default true); false keeps it in RAM. */
    persist?: boolean;
    /** Flash the persistent outbox may take (its segments). */
    maxFlashBytes?: number;
    /** When full: drop the oldest message (default) or refuse the new one. */
    whenFull?: "dropOldest" | "refuseNew";
  };
  /** Largest inbound MQTT packet (twin documents, C2D, method payloads). */
  maxInboundBytes?: number;
  /** A direct-method handler that has not answered by then is answered 504. */
  methodTimeoutSeconds?: number;
  /** Application updates (firmware/ota): announced through the desired twin property `ota`
   *  with a manifest authenticated by this key. Without `ota` no update is ever installed. */
  ota?: {
    /** base64, at least 16 bytes: the HMAC-SHA256 key manifests are signed with. A secret. */
    key: string;
    /** A new application must reach Connected within this after its first boot, else it is
     *  rolled back. 60-600 (the boot stub's own guard reboots a pending app at 15 minutes). */
    confirmWindowSeconds?: number;
    /** Largest update file accepted. */
    maxBytes?: number;
  };
  /** Wi-Fi on the device (read by firmware/main.ts). */
  wifi?: { ssid: string; password?: string };
  /** Host name -> "address:port" on Node and in the Espruino Linux smoke test (not for a board). */
  hosts?: { [host: string]: string };
  // The board and the demo application (firmware/main.ts).
  /** Status LED pin such as "D2", or "off". Default: LED1 where the board defines one. */
  led?: string;
  /** Hardware watchdog: the board resets when its timers stop running for this long. Default off. */
  watchdogSeconds?: number;
  /** Seconds between console status lines (connection, memory, telemetry counts). Default 60. */
  statusIntervalSeconds?: number;
  /** The demo application sends one telemetry message every so many seconds; 0 = none. Default 60. */
  telemetryIntervalSeconds?: number;
}

export const AUTH_KEY = AUTH_SAS_KEY;
export const AUTH_TOKEN = AUTH_SAS_TOKEN;
export const AUTH_CERT = AUTH_X509;

export interface ResolvedConfig {
  useDps: boolean;
  idScope: string;
  registrationId: string;
  dpsEndpoint: string;
  dpsPayload: string;
  /** Hub-only: the hub and identity from the connection string. */
  hubHost: string;
  deviceId: string;
  moduleId: string;
  auth: number;
  key: string;
  token: string;
  certificate: string;
  privateKey: string;
  modelId: string;
  ca: string[];
  tls: boolean;
  /** Run only where the server is verified against ca (main.ts checks the interpreter). */
  tlsRequireVerified: boolean;
  port: number;
  keepAliveSeconds: number;
  tokenLifetimeSeconds: number;
  hubSuffixes: string[];
  retryNone: boolean;
  maxAttempts: number;
  operationTimeoutMs: number;
  hubMinGapMs: number;
  stopOnRetryExpired: boolean;
  fleet: FleetSettings | undefined;
  outboxMaxMessages: number;
  outboxMaxBytes: number;
  outboxPersist: boolean;
  outboxMaxFlashBytes: number;
  outboxRefuseNew: boolean;
  maxInboundBytes: number;
  methodTimeoutMs: number;
  /** The OTA key ("" = updates off), the confirmation window and the largest file. */
  otaKey: string;
  otaConfirmWindowMs: number;
  otaMaxBytes: number;
  // Board and demo application (firmware/main.ts); "" / 0 = not set.
  wifiSsid: string;
  wifiPassword: string;
  hosts: { [host: string]: string } | undefined;
  led: string;
  watchdogSeconds: number;
  statusIntervalSeconds: number;
  telemetryIntervalSeconds: number;
}

export const DEFAULTS = {
  port: 8883,
  /** Within 60-240 s: home routers and NATs drop idle flows long before the hub's 1177 s. */
  keepAliveSeconds: 120,
  tokenLifetimeSeconds: 3600,
  operationTimeoutSeconds: 30 * 60,
  outboxMaxMessages: 64,
  outboxMaxBytes: 16 * 1024,
  /** In flash (outbox.persist) a queued message costs no RAM: larger bounds by default. */
  outboxPersistMaxMessages: 1000,
  outboxPersistMaxBytes: 192 * 1024,
  /** Of the 896 KB Storage partition (two application slots take about 170 KB). */
  outboxMaxFlashBytes: 256 * 1024,
  maxInboundBytes: 8 * 1024,
  methodTimeoutSeconds: 30,
  otaConfirmWindowSeconds: 300,
  otaMaxBytes: 512 * 1024,
  statusIntervalSeconds: 60,
  telemetryIntervalSeconds: 60,
};

function isText(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= max;
}

/** The value when it is a JSON object, else undefined (configProblems has listed it). */
function part(v: unknown): { [k: string]: any } | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as { [k: string]: any }) : undefined;
}

/** True for a plausible key: base64 that decodes to at least 16 bytes. */
function isKey(v: unknown): boolean {
  if (!isText(v, 256)) return false;
  const bytes = base64DecodeLenient(v as string);
  return typeof bytes !== "number" && bytes.length >= 16;
}

/** The resolved configuration, or the list of problems (one line each, no secret values). */
export function resolveConfig(raw: unknown): ResolvedConfig | string[] {
  const c = part(raw) as DeviceConfig | undefined;
  if (c === undefined) return ["the configuration must be a JSON object"];
  // Types and ranges first: every setting read below is then the right type, or the object
  // holding it is skipped.
  const errors = configProblems(c as { [k: string]: unknown });
  const r: ResolvedConfig = {
    useDps: false, idScope: "", registrationId: "", dpsEndpoint: DPS_GLOBAL_ENDPOINT, dpsPayload: "",
    hubHost: "", deviceId: "", moduleId: "", auth: AUTH_KEY, key: "", token: "", certificate: "", privateKey: "",
    modelId: "", ca: [], tls: true, tlsRequireVerified: false, port: DEFAULTS.port, keepAliveSeconds: DEFAULTS.keepAliveSeconds,
    tokenLifetimeSeconds: DEFAULTS.tokenLifetimeSeconds, hubSuffixes: DEFAULT_HUB_SUFFIXES, retryNone: false,
    maxAttempts: -1, operationTimeoutMs: DEFAULTS.operationTimeoutSeconds * 1000, hubMinGapMs: 0, stopOnRetryExpired: false,
    fleet: undefined, outboxMaxMessages: DEFAULTS.outboxPersistMaxMessages, outboxMaxBytes: DEFAULTS.outboxPersistMaxBytes,
    outboxPersist: true, outboxMaxFlashBytes: DEFAULTS.outboxMaxFlashBytes, outboxRefuseNew: false,
    maxInboundBytes: DEFAULTS.maxInboundBytes, methodTimeoutMs: DEFAULTS.methodTimeoutSeconds * 1000,
    otaKey: "", otaConfirmWindowMs: DEFAULTS.otaConfirmWindowSeconds * 1000, otaMaxBytes: DEFAULTS.otaMaxBytes,
    wifiSsid: "", wifiPassword: "", hosts: undefined, led: "", watchdogSeconds: 0,
    statusIntervalSeconds: DEFAULTS.statusIntervalSeconds, telemetryIntervalSeconds: DEFAULTS.telemetryIntervalSeconds,
  };

  if (c.dps !== undefined && c.connectionString !== undefined) errors.push("give either dps or connectionString, not both");
  if (c.dps !== undefined) {
    const d = part(c.dps);
    r.useDps = true;
    if (d) {
      if (!isText(d.idScope, 64) || !/^[0-9A-Za-z]+$/.test(d.idScope)) errors.push("dps.idScope must be the id scope from the DPS overview (e.g. 0ne00123456)");
      else r.idScope = d.idScope;
      if (!isRegistrationId(d.registrationId)) errors.push("dps.registrationId must be 1-128 characters: letters, digits, - . _ :");
      else r.registrationId = d.registrationId;
      if (d.endpoint !== undefined) {
        if (!isHostName(d.endpoint)) errors.push("dps.endpoint must be a host name");
        else r.dpsEndpoint = d.endpoint;
      }
      const hasKey = d.symmetricKey !== undefined;
      const hasCert = d.certificate !== undefined || d.privateKey !== undefined;
      if (hasKey === hasCert) errors.push("dps needs exactly one credential: symmetricKey, or certificate and privateKey");
      else if (hasKey) {
        if (!isKey(d.symmetricKey)) errors.push("dps.symmetricKey must be a base64 key of at least 16 bytes");
        else r.key = d.symmetricKey as string;
        r.auth = AUTH_KEY;
      } else {
        if (!isText(d.certificate, 8192) || !isText(d.privateKey, 8192)) errors.push("dps.certificate and dps.privateKey must both be given");
        else {
          r.certificate = d.certificate as string;
          r.privateKey = d.privateKey as string;
        }
        r.auth = AUTH_CERT;
      }
      if (d.payload !== undefined) r.dpsPayload = JSON.stringify(d.payload);
      if (d.groupKey !== undefined) {
        errors.push("dps.groupKey must not be on a device: derive the device key on the desktop (npm run make-config)");
      }
    }
  } else if (c.connectionString !== undefined) {
    const cs = typeof c.connectionString === "string" ? parseConnectionString(c.connectionString) : 0;
    if (typeof cs === "number") errors.push("connectionString is not a valid device connection string" + (cs < 0 ? " (error " + cs + ")" : ""));
    else {
      if (!isHostName(cs.hostName)) errors.push("connectionString: HostName must be a host name");
      if (!isDeviceId(cs.deviceId) || (cs.moduleId !== undefined && !isDeviceId(cs.moduleId))) {
        errors.push("connectionString: DeviceId and ModuleId must be 1-128 characters: letters, digits, - . % _ * ? ! ( ) , : = @ $ '");
      }
      r.hubHost = cs.hostName;
      r.deviceId = cs.deviceId;
      r.moduleId = cs.moduleId || "";
      r.auth = cs.auth;
      if (cs.auth === AUTH_KEY) r.key = cs.sharedAccessKey as string;
      else if (cs.auth === AUTH_TOKEN) {
        r.token = cs.sharedAccessSignature as string;
        if (sasExpiry(r.token) < 0) errors.push("connectionString has an unreadable SharedAccessSignature");
      } else {
        if (!isText(c.certificate, 8192) || !isText(c.privateKey, 8192)) errors.push("an x509 connection string needs certificate and privateKey");
        else {
          r.certificate = c.certificate as string;
          r.privateKey = c.privateKey as string;
        }
      }
    }
  } else {
    errors.push("give dps (id scope, registration id and a key or certificate) or a hub connectionString");
  }

  if (c.modelId !== undefined) {
    if (!isText(c.modelId, 512) || !c.modelId.startsWith("dtmi:")) errors.push("modelId must be a DTMI (dtmi:...)");
    else r.modelId = c.modelId;
  }
  if (c.ca !== undefined) {
    if (!Array.isArray(c.ca) || c.ca.length > 4) errors.push("ca must be a list of at most 4 certificates");
    else {
      for (let i = 0; i < c.ca.length; i++) if (!isText(c.ca[i], 8192)) errors.push("ca[" + i + "] must be PEM text or base64 DER");
      r.ca = c.ca;
    }
  }
  if (c.tls !== undefined) {
    // true/false, or an object of TLS settings (TLS on); the types are in the table.
    const t = part(c.tls);
    if (typeof c.tls === "boolean") r.tls = c.tls;
    else if (t && t.requireVerified === true) {
      if (r.ca.length === 0) errors.push("tls.requireVerified needs ca: the roots the server is verified against");
      else r.tlsRequireVerified = true;
    }
  }
  if (c.port !== undefined) r.port = c.port;
  if (c.keepAliveSeconds !== undefined) r.keepAliveSeconds = c.keepAliveSeconds;
  if (c.tokenLifetimeSeconds !== undefined) r.tokenLifetimeSeconds = c.tokenLifetimeSeconds;
  if (c.hubSuffixes !== undefined) {
    if (!Array.isArray(c.hubSuffixes) || c.hubSuffixes.length === 0) errors.push("hubSuffixes must be a non-empty list");
    else {
      for (let i = 0; i < c.hubSuffixes.length; i++) {
        if (!isText(c.hubSuffixes[i], 253) || c.hubSuffixes[i].charAt(0) !== "." || !isHostName(c.hubSuffixes[i].substring(1))) errors.push("hubSuffixes[" + i + "] must be a dot and a host name (.azure-devices.net)");
      }
      r.hubSuffixes = c.hubSuffixes;
    }
  }
  const t = part(c.retry);
  if (t) {
    if (t.mode !== undefined && t.mode !== "exponential" && t.mode !== "none") errors.push("retry.mode must be exponential or none");
    r.retryNone = t.mode === "none";
    if (t.maxAttempts !== undefined) r.maxAttempts = t.maxAttempts;
    if (t.operationTimeoutSeconds !== undefined) r.operationTimeoutMs = t.operationTimeoutSeconds * 1000;
    if (t.stopOnRetryExpired !== undefined) r.stopOnRetryExpired = t.stopOnRetryExpired;
    if (t.hubMinGapSeconds !== undefined) r.hubMinGapMs = t.hubMinGapSeconds * 1000;
  }
  const f = part(c.fleet);
  if (f) {
    // A clean copy: only the four numbers, the rates defaulting to the services' defaults.
    if (f.devices === undefined) errors.push("fleet.devices is needed (devices that may boot or fail together)");
    r.fleet = {
      devices: f.devices,
      hubConnectionsPerSecond: f.hubConnectionsPerSecond === undefined ? DEFAULT_HUB_CONNECTIONS_PER_SECOND : f.hubConnectionsPerSecond,
      dpsRegistrationsPerMinute: f.dpsRegistrationsPerMinute === undefined ? DEFAULT_DPS_REGISTRATIONS_PER_MINUTE : f.dpsRegistrationsPerMinute,
      load: f.load === undefined ? 1 : f.load,
    };
  }
  const o = part(c.outbox);
  if (o) {
    // persist false: the RAM outbox, with bounds that fit in RAM.
    if (o.persist === false) {
      r.outboxPersist = false;
      r.outboxMaxMessages = DEFAULTS.outboxMaxMessages;
      r.outboxMaxBytes = DEFAULTS.outboxMaxBytes;
    }
    if (o.maxFlashBytes !== undefined) r.outboxMaxFlashBytes = o.maxFlashBytes;
    if (o.whenFull !== undefined && o.whenFull !== "dropOldest" && o.whenFull !== "refuseNew") errors.push("outbox.whenFull must be dropOldest or refuseNew");
    r.outboxRefuseNew = o.whenFull === "refuseNew";
    if (o.maxMessages !== undefined) r.outboxMaxMessages = o.maxMessages;
    if (o.maxBytes !== undefined) r.outboxMaxBytes = o.maxBytes;
  }
  if (c.maxInboundBytes !== undefined) r.maxInboundBytes = c.maxInboundBytes;
  if (c.methodTimeoutSeconds !== undefined) r.methodTimeoutMs = c.methodTimeoutSeconds * 1000;
  const u = part(c.ota);
  if (u) {
    if (!isKey(u.key)) errors.push("ota.key must be a base64 key of at least 16 bytes");
    else r.otaKey = u.key;
    if (u.confirmWindowSeconds !== undefined) r.otaConfirmWindowMs = u.confirmWindowSeconds * 1000;
    if (u.maxBytes !== undefined) r.otaMaxBytes = u.maxBytes;
  }
  resolveBoard(c, r, errors);
  return errors.length > 0 ? errors : r;
}

/** The board and demo-application fields (firmware/main.ts). The desktop tools check the
 *  Wi-Fi credentials more closely (tools/flash/config-checks.ts). */
function resolveBoard(c: DeviceConfig, r: ResolvedConfig, errors: string[]): void {
  const w = part(c.wifi);
  if (w) {
    if (!isText(w.ssid, 32)) errors.push("wifi needs an ssid of 1-32 characters");
    else if (w.password !== undefined && typeof w.password !== "string") errors.push("wifi.password must be a string");
    else {
      r.wifiSsid = w.ssid;
      r.wifiPassword = w.password || "";
    }
  }
  const h = part(c.hosts);
  if (h) {
    const names = Object.keys(h);
    let ok = true;
    for (let i = 0; i < names.length; i++) if (!isText(h[names[i]], 64) || !/^[^:]+:[0-9]+$/.test(h[names[i]])) ok = false;
    if (!ok) errors.push("hosts must map host names to \"address:port\"");
    else r.hosts = h;
  }
  if (c.led !== undefined) {
    if (!isText(c.led, 8) || (c.led !== "off" && !/^[A-Z]+[0-9]+$/.test(c.led))) errors.push("led must be a pin name such as D2, or off");
    else r.led = c.led;
  }
  if (c.watchdogSeconds !== undefined) {
    if (c.watchdogSeconds > 0 && c.watchdogSeconds < 5) errors.push("watchdogSeconds must be 5-3600, or 0 for none");
    r.watchdogSeconds = c.watchdogSeconds;
  }
  if (c.statusIntervalSeconds !== undefined) r.statusIntervalSeconds = c.statusIntervalSeconds;
  if (c.telemetryIntervalSeconds !== undefined) r.telemetryIntervalSeconds = c.telemetryIntervalSeconds;
}
