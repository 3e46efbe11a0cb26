// Public types of the simulator API (re-exported by index.ts).
import type { TestCa } from "../tls/certs";
import type { Properties } from "./topics";

/** The simulator's notion of "now", epoch milliseconds. Tests pass a virtual clock. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export type AllocationPolicy = "static" | "round-robin";

export interface RateOptions {
  /** New hub connections per second per hub (token bucket, burst = rate). Default 100 (S1). */
  hubConnectionsPerSecond?: number;
  /** Connections waiting for a CONNACK beyond the rate (traffic shaping); more are dropped. Default 1000. */
  hubConnectionQueue?: number;
  /** DPS registrations per minute (sliding window); beyond: 429 with retry-after. Default 1000. */
  dpsRegistrationsPerMinute?: number;
  /** DPS operation-status polls per device per 10 s; beyond: 429. Default 5. */
  dpsPollsPer10s?: number;
}

export interface SimulatorOptions {
  /** Hub host names. Default ["hub-a.azure-devices.net", "hub-b.azure-devices.net"]. */
  hubs?: string[];
  /** DPS global endpoint host name. Default "global.azure-devices-provisioning.net". */
  dpsHost?: string;
  /** DPS ID scope. Default "0ne00000001". */
  idScope?: string;
  /** Clock for SAS expiry, retry-after, rate limits, outages, delays and timeouts. Default Date.now. */
  clock?: Clock;
  rates?: RateOptions;
  /** How DPS picks a hub for an enrollment without a fixed hub. Default "static" (the first hub). */
  allocation?: AllocationPolicy;
  /** Loopback port per host name; missing or 0 = any free port. */
  ports?: Record<string, number>;
  /** Address to listen on. Default "127.0.0.1". */
  bindAddress?: string;
  /** One line per event. */
  log?: (line: string) => void;
  /** Reuse a certificate authority (tests share one to skip RSA key generation). */
  ca?: TestCa;
  /** Tests only: every host listens for plain TCP, not TLS (SAS devices only: no client
   *  certificate). For interpreter runs on a pool that cannot also hold a TLS socket (the
   *  ESP32-C3's 4,095 variables: the Linux build takes TLS buffers from the pool, a board from
   *  its native heap). The shipping client requires TLS. */
  plainTcp?: boolean;
  /** Every host presents a certificate a verifying client must refuse (tls-hosts.ts). */
  tlsFault?: TlsFault;
  /** retry-after (s) in DPS 202 answers. Default 3. */
  dpsRetryAfterSeconds?: number;
  /** Sim-clock ms between a register and its assignment (polls before it answer 202). Default 0. */
  dpsAssignDelayMs?: number;
  /** Real-time interval of the sweep (token expiry, shaping queue, outages, delays). 0 = only sim.sweep(). Default 50. */
  sweepIntervalMs?: number;
  /** Host name of the HTTPS file host for update files. Default "files.azure-devices.net". */
  fileHost?: string;
}

export interface IndividualEnrollmentOptions {
  /** Symmetric key (base64). Default: a random 32-byte key (read it back from the return value). */
  key?: string;
  /** X.509 attestation instead of a key: the device's certificate (PEM or DER). The device
   *  presents it in the TLS handshake; the registration id must be its common name. */
  certificate?: string | Uint8Array;
  secondaryKey?: string;
  /** Device id in the hub. Default: the registration id. */
  deviceId?: string;
  /** Fixed hub (host name or its first label, e.g. "hub-b"). Default: the allocation policy. */
  hub?: string;
  disabled?: boolean;
  /** Make every registration end in "failed" with this error. */
  fail?: { errorCode?: number; errorMessage?: string };
  /** Initial desired properties for devices created by this enrollment. */
  initialDesired?: Record<string, unknown>;
}

export interface GroupEnrollmentOptions {
  /** Group symmetric key (base64); device keys are derived from it. Give this or `ca`. */
  key?: string;
  /** X.509 group: the enrolled CA certificate (PEM or DER; root or intermediate). A device
   *  whose certificate chains up to it (through intermediates the device sends) registers
   *  with its certificate's common name as registration id. */
  ca?: string | Uint8Array;
  secondaryKey?: string;
  hub?: string;
  disabled?: boolean;
  fail?: { errorCode?: number; errorMessage?: string };
  initialDesired?: Record<string, unknown>;
}

export interface EnrollmentInfo {
  kind: "individual" | "group";
  attestation: "symmetricKey" | "x509";
  /** Registration id (individual) or group name. */
  name: string;
  /** The symmetric key ("" for X.509). */
  key: string;
  secondaryKey?: string;
  deviceId?: string;
  hub?: string;
  disabled: boolean;
}

export interface AddDeviceOptions {
  hub?: string;
  key?: string;
  secondaryKey?: string;
  disabled?: boolean;
  /** X.509 self-signed ("thumbprint") authentication: SHA-1 or SHA-256 thumbprints (hex). */
  x509Thumbprint?: string | string[];
  /** X.509 CA authentication: the CA certificate (PEM or DER). The device's certificate must
   *  chain up to it and carry the device id as common name. (In Azure the CA is registered
   *  and verified at the hub, the device only says "CA-signed"; here the device names it.) */
  x509Ca?: string | Uint8Array;
}

export interface AddModuleOptions {
  key?: string;
  secondaryKey?: string;
  /** X.509 self-signed authentication of the module (thumbprints, hex). */
  x509Thumbprint?: string | string[];
}

/** A hub-level shared access policy (IoT Hub > Shared access policies). */
export interface PolicyOptions {
  /** Hub (host name or first label). Default: the first hub. */
  hub?: string;
  key?: string;
  secondaryKey?: string;
  /** Default ["DeviceConnect"]. Only DeviceConnect lets a device connect. */
  permissions?: string[];
}

/** One telemetry message as the hub received it, in arrival order. */
export interface TelemetryRecord {
  /** Arrival order across the whole simulator, from 1. */
  seq: number;
  deviceId: string;
  /** Set for a module's telemetry (deviceId is then the module's device). */
  moduleId?: string;
  hub: string;
  topic: string;
  /** The property bag as sent (percent-encoded). */
  propertyBag: string;
  /** Decoded properties; `mqtt-retain` is added when the device set retain. */
  properties: Properties;
  payload: Buffer;
  qos: number;
  dup: boolean;
  retain: boolean;
  messageId: number | undefined;
  /** True for the Will message published when the connection broke. */
  will: boolean;
  atMs: number;
}

export interface TwinDocument {
  desired: Record<string, unknown> & { $version: number };
  reported: Record<string, unknown> & { $version: number };
}

export interface DeviceCounters {
  /** Accepted hub connections (CONNACK 0). */
  connections: number;
  /** CONNACK return codes sent to this device id, by code. */
  connacks: Record<number, number>;
  telemetry: number;
  c2dSent: number;
  c2dAcked: number;
  twinGets: number;
  twinPatches: number;
  methodCalls: number;
  /** Connections this device lost to a simulator action (drop, outage, expiry, eviction, violation). */
  disconnects: number;
  tokenExpiries: number;
}

export interface DeviceState {
  /** The device id, or "device/module" for a module identity. */
  deviceId: string;
  moduleId?: string;
  /** "sas", "x509" (thumbprint or CA) or both, as the identity was created. */
  authentication: string;
  /** The hub whose registry holds the device, or null (e.g. moved, waiting for DPS). */
  hub: string | null;
  registrationId: string | undefined;
  enabled: boolean;
  /** Fault: the hub answers CONNACK 5 whatever the token. */
  rejected: boolean;
  connected: boolean;
  /** Expiry of the token of the live connection, epoch ms (Infinity for an X.509 connection). */
  tokenExpiresAtMs: number | undefined;
  /** The topic filters of the live connection. */
  subscriptions: string[];
  counters: DeviceCounters;
}

export interface DpsDeviceCounters {
  registrations: number;
  polls: number;
  throttled: number;
  unauthorized: number;
  assigned: number;
  connections: number;
}

export interface HubCounters {
  /** Accepted connections (CONNACK 0). */
  connections: number;
  connacks: Record<number, number>;
  /** Connections whose CONNACK waited in the shaping queue. */
  shaped: number;
  /** Connections dropped because the shaping queue was full. */
  shapingDropped: number;
  tokenExpiries: number;
  telemetry: number;
}

export interface Counters {
  dps: {
    connections: number;
    connacks: Record<number, number>;
    registrations: number;
    polls: number;
    throttled: number;
    unauthorized: number;
    byRegistration: Record<string, DpsDeviceCounters>;
  };
  hubs: Record<string, HubCounters>;
  devices: Record<string, DeviceCounters>;
}

/** A server impersonation: "wrong-ca" another CA's certificate for the right name, "expired"
 *  the right CA's certificate for the right name that ended yesterday, "wrong-host" the right
 *  CA's certificate for another name. */
export type TlsFault = "wrong-ca" | "expired" | "wrong-host";

export type SimEventType =
  | "listening"
  | "tls-error"
  | "connect"
  | "connack"
  | "disconnect"
  | "subscribe"
  | "violation"
  | "telemetry"
  | "c2d"
  | "c2d-ack"
  | "twin-get"
  | "twin-reported"
  | "twin-desired"
  | "method-request"
  | "method-response"
  | "method-timeout"
  | "dps-register"
  | "dps-poll"
  | "dps-response"
  | "shaping"
  | "token-expired"
  | "puback-dropped"
  | "puback-delayed"
  | "malformed-sent"
  | "fault"
  | "enrollment"
  | "device"
  | "file-served"
  | "file-request";

export interface SimEvent {
  /** Event order from 1. */
  seq: number;
  type: SimEventType;
  /** Sim-clock time, epoch ms. */
  atMs: number;
  /** Host name the event happened on (DPS or a hub), when there is one. */
  host?: string;
  /** Device id (hub) or registration id (DPS). */
  id?: string;
  /** CONNACK code or status, when there is one. */
  code?: number;
  /** Human-readable detail. */
  text: string;
}

export type PubackFault = { mode: "drop"; remaining: number } | { mode: "delay"; delayMs: number; remaining: number };

export type OutageMode = "refuse" | "connack3";
export type DpsOutageMode = OutageMode | "503";

export type MalformedKind =
  | "bad-remaining-length"
  | "truncated-topic"
  | "reserved-type"
  | "oversize"
  | "bad-flags"
  | "qos3"
  | "garbage";

export interface MethodResult {
  /** The status the device answered, 404 when it was not online, 504 after the timeout. */
  status: number;
  /** The device's JSON answer parsed (or the text when not JSON); Azure's error body for 404/504. */
  payload: unknown;
  /** The raw answer bytes (empty for 404/504). */
  raw: Buffer;
  timedOut: boolean;
}

export interface C2DOptions {
  /** Application properties; system ones may be given as "$.mid", "$.cid", "$.ct", ... */
  properties?: Properties;
}

/** Faults of one path on the file host; each applies to `count` requests (default: until cleared). */
export interface FileFault {
  /** Send the response headers (full length) and the file's bytes up to this absolute offset, then cut the connection. */
  truncateAt?: number;
  /** Answer with this status (3xx with a Location header) instead of the file. */
  failStatus?: number;
  /** Hold the answer for this long on the sim clock (released by sweep). */
  delayMs?: number;
  /** Answer every request with 200 and the whole file, whatever its Range says. */
  ignoreRange?: boolean;
  /** Chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
  count?: number;
}

export interface FileCounters {
  requests: number;
  /** Requests that carried a Range header. */
  rangeRequests: number;
  /** Body bytes sent. */
  bytesSent: number;
  /** Responses cut by a truncateAt fault. */
  truncated: number;
  byPath: Record<string, { requests: number; bytesSent: number; statuses: Record<number, number> }>;
}

export interface AnnounceOptions {
  version: string;
  /** The update file (the new application bundle). */
  bytes: Uint8Array;
  /** The device's OTA key: raw bytes, or base64 text. */
  key: Uint8Array | string;
  allowDowngrade?: boolean;
  /** Where the file is served. Default "/ota/{deviceId}/{version}.js". */
  path?: string;
}

/** The desired `ota` manifest (firmware/ota/manifest.ts). allowDowngrade is always present,
 *  so a desired patch never leaves an older `true` behind in the twin. */
export interface OtaManifest {
  version: string;
  url: string;
  size: number;
  sha256: string;
  auth: string;
  allowDowngrade: boolean;
}
