// The device configuration: one JSON record (written by the flasher into Storage, or a file
// on Node), its defaults for every size, timeout and limit, and its validation. Secrets live
// here and only here: never in the bundle, never in a log line. resolveConfig() checks every
// field and returns either a complete configuration or the list of what is wrong.
import { parseConnectionString, AUTH_SAS_KEY, AUTH_SAS_TOKEN, AUTH_X509 } from "./azure/connection-string";
import { base64DecodeLenient } from "./azure/base64";
import { sasExpiry } from "./azure/sas";
import { DPS_GLOBAL_ENDPOINT } from "./azure/dps";
import { DEFAULT_HUB_SUFFIXES } from "./azure/hub-cache";
import { FleetSettings } from "./policy/fleet";

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
  /** Plain TCP instead of TLS (the Espruino Linux smoke test only). */
  tls?: boolean;
  port?: number;
  keepAliveSeconds?: number;
  tokenLifetimeSeconds?: number;
  hubSuffixes?: string[];
  retry?: {
    mode?: "exponential" | "none";
    maxAttempts?: number;
    operationTimeoutSeconds?: number;
    stopOnRetryExpired?: boolean;
  };
  fleet?: FleetSettings;
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
  port: number;
  keepAliveSeconds: number;
  tokenLifetimeSeconds: number;
  hubSuffixes: string[];
  retryNone: boolean;
  maxAttempts: number;
  operationTimeoutMs: number;
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

function intIn(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && v === Math.floor(v) && v >= min && v <= max;
}

/** True for a plausible key: base64 that decodes to at least 16 bytes. */
function isKey(v: unknown): boolean {
  if (!isText(v, 256)) return false;
  const bytes = base64DecodeLenient(v as string);
  return typeof bytes !== "number" && bytes.length >= 16;
}

/** The resolved configuration, or the list of problems (one line each, no secret values). */
export function resolveConfig(raw: unknown): ResolvedConfig | string[] {
  const errors: string[] = [];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return ["the configuration must be a JSON object"];
  const c = raw as DeviceConfig;
  const r: ResolvedConfig = {
    useDps: false, idScope: "", registrationId: "", dpsEndpoint: DPS_GLOBAL_ENDPOINT, dpsPayload: "",
    hubHost: "", deviceId: "", moduleId: "", auth: AUTH_KEY, key: "", token: "", certificate: "", privateKey: "",
    modelId: "", ca: [], tls: true, port: DEFAULTS.port, keepAliveSeconds: DEFAULTS.keepAliveSeconds,
    tokenLifetimeSeconds: DEFAULTS.tokenLifetimeSeconds, hubSuffixes: DEFAULT_HUB_SUFFIXES, retryNone: false,
    maxAttempts: -1, operationTimeoutMs: DEFAULTS.operationTimeoutSeconds * 1000, stopOnRetryExpired: false,
    fleet: undefined, outboxMaxMessages: DEFAULTS.outboxPersistMaxMessages, outboxMaxBytes: DEFAULTS.outboxPersistMaxBytes,
    outboxPersist: true, outboxMaxFlashBytes: DEFAULTS.outboxMaxFlashBytes, outboxRefuseNew: false,
    maxInboundBytes: DEFAULTS.maxInboundBytes, methodTimeoutMs: DEFAULTS.methodTimeoutSeconds * 1000,
    otaKey: "", otaConfirmWindowMs: DEFAULTS.otaConfirmWindowSeconds * 1000, otaMaxBytes: DEFAULTS.otaMaxBytes,
    wifiSsid: "", wifiPassword: "", hosts: undefined, led: "", watchdogSeconds: 0,
    statusIntervalSeconds: DEFAULTS.statusIntervalSeconds, telemetryIntervalSeconds: DEFAULTS.telemetryIntervalSeconds,
  };

  if (c.dps !== undefined && c.connectionString !== undefined) errors.push("give either dps or connectionString, not both");
  if (c.dps !== undefined) {
    const d = c.dps;
    r.useDps = true;
    if (d === null || typeof d !== "object") errors.push("dps must be an object");
    else {
      if (!isText(d.idScope, 64) || !/^[0-9A-Za-z]+$/.test(d.idScope)) errors.push("dps.idScope must be the id scope from the DPS overview (e.g. 0ne00123456)");
      else r.idScope = d.idScope;
      if (!isText(d.registrationId, 128) || !/^[a-z0-9][a-z0-9.:_-]*$/i.test(d.registrationId)) errors.push("dps.registrationId must be 1-128 characters: letters, digits, - . _ :");
      else r.registrationId = d.registrationId;
      if (d.endpoint !== undefined) {
        if (!isText(d.endpoint, 253)) errors.push("dps.endpoint must be a host name");
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
      if (d.payload !== undefined) {
        if (d.payload === null || typeof d.payload !== "object") errors.push("dps.payload must be a JSON object");
        else r.dpsPayload = JSON.stringify(d.payload);
      }
      if ((d as { groupKey?: unknown }).groupKey !== undefined) {
        errors.push("dps.groupKey must not be on a device: derive the device key on the desktop (npm run make-config)");
      }
    }
  } else if (c.connectionString !== undefined) {
    const cs = parseConnectionString(c.connectionString);
    if (typeof cs === "number") errors.push("connectionString is not a valid device connection string (error " + cs + ")");
    else {
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
    if (typeof c.tls !== "boolean") errors.push("tls must be true or false");
    else r.tls = c.tls;
  }
  if (c.port !== undefined) {
    if (!intIn(c.port, 1, 65535)) errors.push("port must be 1-65535");
    else r.port = c.port;
  }
  if (c.keepAliveSeconds !== undefined) {
    // 1177 s is the hub's ceiling (its timeout is 1.5 x keep-alive, capped at 1767 s).
    if (!intIn(c.keepAliveSeconds, 10, 1177)) errors.push("keepAliveSeconds must be 10-1177");
    else r.keepAliveSeconds = c.keepAliveSeconds;
  }
  if (c.tokenLifetimeSeconds !== undefined) {
    if (!intIn(c.tokenLifetimeSeconds, 300, 86400)) errors.push("tokenLifetimeSeconds must be 300-86400");
    else r.tokenLifetimeSeconds = c.tokenLifetimeSeconds;
  }
  if (c.hubSuffixes !== undefined) {
    if (!Array.isArray(c.hubSuffixes) || c.hubSuffixes.length === 0) errors.push("hubSuffixes must be a non-empty list");
    else {
      for (let i = 0; i < c.hubSuffixes.length; i++) {
        if (!isText(c.hubSuffixes[i], 253) || c.hubSuffixes[i].charAt(0) !== ".") errors.push("hubSuffixes[" + i + "] must start with a dot");
      }
      r.hubSuffixes = c.hubSuffixes;
    }
  }
  if (c.retry !== undefined) {
    const t = c.retry;
    if (t.mode !== undefined && t.mode !== "exponential" && t.mode !== "none") errors.push("retry.mode must be exponential or none");
    r.retryNone = t.mode === "none";
    if (t.maxAttempts !== undefined) {
      if (!intIn(t.maxAttempts, 0, 1000000)) errors.push("retry.maxAttempts must be a whole number");
      else r.maxAttempts = t.maxAttempts;
    }
    if (t.operationTimeoutSeconds !== undefined) {
      if (!intIn(t.operationTimeoutSeconds, 10, 30 * 86400)) errors.push("retry.operationTimeoutSeconds must be 10 s to 30 days");
      else r.operationTimeoutMs = t.operationTimeoutSeconds * 1000;
    }
    if (t.stopOnRetryExpired !== undefined) r.stopOnRetryExpired = t.stopOnRetryExpired === true;
  }
  if (c.fleet !== undefined) {
    const f = c.fleet;
    if (f === null || typeof f !== "object" || !(f.devices >= 1) || !(f.hubConnectionsPerSecond > 0) || !(f.dpsRegistrationsPerMinute > 0) || !(f.load > 0)) {
      errors.push("fleet needs devices >= 1, hubConnectionsPerSecond > 0, dpsRegistrationsPerMinute > 0 and load > 0");
    } else r.fleet = f;
  }
  if (c.outbox !== undefined) {
    if (c.outbox.persist !== undefined) {
      if (typeof c.outbox.persist !== "boolean") errors.push("outbox.persist must be true or false");
      else if (!c.outbox.persist) {
        r.outboxPersist = false;
        r.outboxMaxMessages = DEFAULTS.outboxMaxMessages;
        r.outboxMaxBytes = DEFAULTS.outboxMaxBytes;
      }
    }
    if (c.outbox.maxFlashBytes !== undefined) {
      if (!intIn(c.outbox.maxFlashBytes, 8 * 1024, 512 * 1024)) errors.push("outbox.maxFlashBytes must be 8 KB to 512 KB");
      else r.outboxMaxFlashBytes = c.outbox.maxFlashBytes;
    }
    if (c.outbox.whenFull !== undefined) {
      if (c.outbox.whenFull !== "dropOldest" && c.outbox.whenFull !== "refuseNew") errors.push("outbox.whenFull must be \"dropOldest\" or \"refuseNew\"");
      else r.outboxRefuseNew = c.outbox.whenFull === "refuseNew";
    }
    if (c.outbox.maxMessages !== undefined) {
      if (!intIn(c.outbox.maxMessages, 1, 10000)) errors.push("outbox.maxMessages must be 1-10000");
      else r.outboxMaxMessages = c.outbox.maxMessages;
    }
    if (c.outbox.maxBytes !== undefined) {
      if (!intIn(c.outbox.maxBytes, 256, 16 * 1024 * 1024)) errors.push("outbox.maxBytes must be 256 bytes to 16 MB");
      else r.outboxMaxBytes = c.outbox.maxBytes;
    }
  }
  if (c.maxInboundBytes !== undefined) {
    if (!intIn(c.maxInboundBytes, 512, 256 * 1024)) errors.push("maxInboundBytes must be 512 bytes to 256 KB");
    else r.maxInboundBytes = c.maxInboundBytes;
  }
  if (c.methodTimeoutSeconds !== undefined) {
    if (!intIn(c.methodTimeoutSeconds, 1, 300)) errors.push("methodTimeoutSeconds must be 1-300");
    else r.methodTimeoutMs = c.methodTimeoutSeconds * 1000;
  }
  if (c.ota !== undefined) resolveOta(c.ota, r, errors);
  resolveBoard(c, r, errors);
  return errors.length > 0 ? errors : r;
}

function resolveOta(o: DeviceConfig["ota"], r: ResolvedConfig, errors: string[]): void {
  if (o === null || typeof o !== "object") {
    errors.push("ota must be an object with a key");
    return;
  }
  if (!isKey(o.key)) errors.push("ota.key must be a base64 key of at least 16 bytes");
  else r.otaKey = o.key;
  if (o.confirmWindowSeconds !== undefined) {
    if (!intIn(o.confirmWindowSeconds, 60, 600)) errors.push("ota.confirmWindowSeconds must be 60-600");
    else r.otaConfirmWindowMs = o.confirmWindowSeconds * 1000;
  }
  if (o.maxBytes !== undefined) {
    if (!intIn(o.maxBytes, 1024, 4 * 1024 * 1024)) errors.push("ota.maxBytes must be 1 KB to 4 MB");
    else r.otaMaxBytes = o.maxBytes;
  }
}

/** The board and demo-application fields (firmware/main.ts). The desktop tools check the
 *  Wi-Fi credentials more closely (tools/flash/config-checks.ts). */
function resolveBoard(c: DeviceConfig, r: ResolvedConfig, errors: string[]): void {
  if (c.wifi !== undefined) {
    const w = c.wifi;
    if (w === null || typeof w !== "object" || !isText(w.ssid, 32)) errors.push("wifi needs an ssid of 1-32 characters");
    else if (w.password !== undefined && typeof w.password !== "string") errors.push("wifi.password must be a string");
    else {
      r.wifiSsid = w.ssid;
      r.wifiPassword = w.password || "";
    }
  }
  if (c.hosts !== undefined) {
    const h = c.hosts;
    const names = h !== null && typeof h === "object" && !Array.isArray(h) ? Object.keys(h) : undefined;
    let ok = names !== undefined;
    if (names) for (let i = 0; i < names.length; i++) if (!isText(h[names[i]], 64) || !/^[^:]+:[0-9]+$/.test(h[names[i]])) ok = false;
    if (!ok) errors.push("hosts must map host names to \"address:port\"");
    else r.hosts = h;
  }
  if (c.led !== undefined) {
    if (!isText(c.led, 8) || (c.led !== "off" && !/^[A-Z]+[0-9]+$/.test(c.led))) errors.push("led must be a pin name such as D2, or off");
    else r.led = c.led;
  }
  if (c.watchdogSeconds !== undefined) {
    if (!intIn(c.watchdogSeconds, 0, 3600) || (c.watchdogSeconds > 0 && c.watchdogSeconds < 5)) errors.push("watchdogSeconds must be 5-3600, or 0 for none");
    else r.watchdogSeconds = c.watchdogSeconds;
  }
  if (c.statusIntervalSeconds !== undefined) {
    if (!intIn(c.statusIntervalSeconds, 1, 86400)) errors.push("statusIntervalSeconds must be 1-86400");
    else r.statusIntervalSeconds = c.statusIntervalSeconds;
  }
  if (c.telemetryIntervalSeconds !== undefined) {
    if (!intIn(c.telemetryIntervalSeconds, 0, 86400)) errors.push("telemetryIntervalSeconds must be 0-86400");
    else r.telemetryIntervalSeconds = c.telemetryIntervalSeconds;
  }
}
