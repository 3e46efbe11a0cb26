// The Simulator object: starts the DPS and hub hosts, and exposes enrollments, the device
// registry, observations, service-side actions (C2D, methods, desired twin) and faults.
import { EventEmitter } from "node:events";
import { createHash, createHmac } from "node:crypto";
import { createTestCa } from "../tls/certs";
import { SimCore, type ResolvedOptions } from "./core";
import { Dps } from "./dps";
import { FileHost } from "./files";
import { formatEvent, hostLabel } from "./events";
import { MALFORMED } from "./faults";
import { Hub } from "./hub";
import { randomKey, type DeviceEntry, type X509Identity } from "./registry";
import { certificatesOf } from "./x509-check";
import { deriveDeviceKey } from "./sas-check";
import { credentialsFor, faultyCredentials } from "./tls-hosts";
import {
  systemClock,
  type AddDeviceOptions,
  type AddModuleOptions,
  type PolicyOptions,
  type AnnounceOptions,
  type FileCounters,
  type FileFault,
  type OtaManifest,
  type C2DOptions,
  type Clock,
  type Counters,
  type DeviceState,
  type DpsOutageMode,
  type EnrollmentInfo,
  type GroupEnrollmentOptions,
  type IndividualEnrollmentOptions,
  type MalformedKind,
  type MethodResult,
  type OutageMode,
  type SimEvent,
  type SimulatorOptions,
  type TelemetryRecord,
  type TwinDocument,
} from "./types";

const HISTORY_LIMIT = 10_000;

export class Simulator extends EventEmitter {
  /** Host name -> "127.0.0.1:port", for the Node HAL's hosts table. */
  readonly hosts: Record<string, string> = {};
  readonly caPem: string;
  readonly caDer: Uint8Array;
  readonly idScope: string;
  readonly dpsHost: string;
  readonly hubNames: readonly string[];
  /** Host name of the HTTPS file host (update files). */
  readonly fileHost: string;
  readonly clock: Clock;
  private readonly core: SimCore;
  private readonly dps: Dps;
  private readonly files: FileHost;
  private readonly hubs = new Map<string, Hub>();
  private readonly history: SimEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    options: ResolvedOptions,
    clock: Clock,
    allocation: "static" | "round-robin",
    caPem: string,
    caDer: Uint8Array,
    private readonly log: ((line: string) => void) | undefined,
    fileHost: string,
  ) {
    super();
    this.caPem = caPem;
    this.caDer = caDer;
    this.idScope = options.idScope;
    this.dpsHost = options.dpsHost;
    this.hubNames = options.hubs;
    this.clock = clock;
    this.core = new SimCore(options, clock, allocation, (event) => this.record(event));
    this.dps = new Dps(this.core, options.dpsHost);
    for (const hub of options.hubs) this.hubs.set(hub, new Hub(this.core, hub));
    this.fileHost = fileHost;
    this.files = new FileHost(this.core, fileHost);
  }

  /** Use startSimulator() from index.ts. */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const hubs = (options.hubs ?? ["hub-a.azure-devices.net", "hub-b.azure-devices.net"]).map((h) => h.toLowerCase());
    if (hubs.length === 0) throw new Error("at least one hub is needed");
    const rates = options.rates ?? {};
    const resolved: ResolvedOptions = {
      hubs,
      dpsHost: (options.dpsHost ?? "global.azure-devices-provisioning.net").toLowerCase(),
      idScope: options.idScope ?? "0ne00000001",
      bindAddress: options.bindAddress ?? "127.0.0.1",
      plainTcp: options.plainTcp ?? false,
      hubConnectionsPerSecond: rates.hubConnectionsPerSecond ?? 100,
      hubConnectionQueue: rates.hubConnectionQueue ?? 1000,
      dpsRegistrationsPerMinute: rates.dpsRegistrationsPerMinute ?? 1000,
      dpsPollsPer10s: rates.dpsPollsPer10s ?? 5,
      dpsRetryAfterSeconds: options.dpsRetryAfterSeconds ?? 3,
      dpsAssignDelayMs: options.dpsAssignDelayMs ?? 0,
    };
    const ca = options.ca ?? createTestCa("hub-sim test CA");
    const fileHost = (options.fileHost ?? "files.azure-devices.net").toLowerCase();
    const sim = new Simulator(resolved, options.clock ?? systemClock, options.allocation ?? "static", ca.caPem, ca.caDer, options.log, fileHost);
    const ports = options.ports ?? {};
    const portFor = (host: string): number => ports[host] ?? ports[hostLabel(host)] ?? 0;
    const fault = options.tlsFault;
    const credsFor = (host: string) => (fault ? faultyCredentials(ca, host, fault) : credentialsFor(ca, host));
    try {
      await sim.dps.start(credsFor(resolved.dpsHost), portFor(resolved.dpsHost));
      sim.hosts[resolved.dpsHost] = sim.dps.server.address;
      for (const hub of sim.hubs.values()) {
        await hub.start(credsFor(hub.host), portFor(hub.host));
        sim.hosts[hub.host] = hub.server.address;
      }
      await sim.files.start(credsFor(fileHost), portFor(fileHost));
      sim.hosts[fileHost] = sim.files.server.address;
    } catch (error) {
      await sim.stop();
      throw error;
    }
    for (const host of Object.keys(sim.hosts)) sim.core.emit("listening", { host, text: host + " on " + sim.hosts[host] });
    const every = options.sweepIntervalMs ?? 50;
    if (every > 0) {
      sim.timer = setInterval(() => sim.sweep(), every);
      sim.timer.unref();
    }
    return sim;
  }

  private record(event: SimEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    if (this.log) this.log(formatEvent(event, this.dpsHost));
    this.emit("event", event);
  }

  private hub(name: string): Hub {
    const hub = this.hubs.get(this.core.registry.resolveHub(name));
    if (!hub) throw new Error("unknown hub '" + name + "'");
    return hub;
  }

  private entry(deviceId: string): DeviceEntry {
    const device = this.core.registry.devices.get(deviceId);
    if (!device) throw new Error("unknown device '" + deviceId + "'");
    return device;
  }

  /** Full host name of a hub given as "hub-a" or "hub-a.azure-devices.net". */
  resolveHub(name: string): string {
    return this.core.registry.resolveHub(name);
  }

  // ---- enrollments and registry ----

  enrollIndividual(registrationId: string, options: IndividualEnrollmentOptions = {}): EnrollmentInfo {
    const e = this.core.registry.enrollIndividual(registrationId, options);
    this.core.emit("enrollment", { id: registrationId, text: "individual " + (e.attestation === "x509" ? "X.509 " : "") + "enrollment" + (e.hub ? " -> " + e.hub : "") + (e.disabled ? " (disabled)" : "") });
    return e;
  }

  enrollGroup(groupName: string, options: GroupEnrollmentOptions): EnrollmentInfo {
    const e = this.core.registry.enrollGroup(groupName, options);
    this.core.emit("enrollment", { id: groupName, text: (e.attestation === "x509" ? "X.509 " : "") + "group enrollment" + (e.hub ? " -> " + e.hub : "") + (e.disabled ? " (disabled)" : "") });
    return e;
  }

  enrollment(name: string): EnrollmentInfo | undefined {
    return this.core.registry.enrollmentInfo(name);
  }

  /** Disables or re-enables an enrollment (registration id or group name): DPS then answers "disabled". */
  setEnrollmentDisabled(name: string, disabled: boolean): void {
    const e = this.core.registry.enrollment(name);
    if (!e) throw new Error("unknown enrollment '" + name + "'");
    e.disabled = disabled;
    this.core.emit("enrollment", { id: name, text: disabled ? "disabled" : "enabled" });
  }

  /** The key a device of group `groupName` uses: base64(HMAC-SHA256(groupKey, registrationId)). */
  deviceKey(groupName: string, registrationId: string): string {
    const e = this.core.registry.groups.get(groupName);
    if (!e) throw new Error("unknown group '" + groupName + "'");
    return deriveDeviceKey(e.key, registrationId);
  }

  /**
   * Registers a device straight in a hub (no DPS), as for a connection-string device. With
   * x509Thumbprint or x509Ca (and no key) it authenticates by certificate only; key "" then.
   */
  addDevice(deviceId: string, options: AddDeviceOptions = {}): { deviceId: string; hub: string; key: string } {
    if (deviceId.indexOf("/") >= 0) throw new Error("a device id cannot contain '/' (use addModule)");
    const hub = this.resolveHub(options.hub ?? this.hubNames[0]);
    const x509 = x509Identity(options.x509Thumbprint, options.x509Ca);
    const key = x509 && options.key === undefined ? "" : options.key ?? randomKey();
    const keys = key === "" ? [] : options.secondaryKey !== undefined ? [key, options.secondaryKey] : [key];
    const existing = this.core.registry.devices.get(deviceId);
    const device = existing ?? this.core.registry.createDevice(deviceId, hub, keys);
    device.hub = hub;
    device.keys = keys;
    device.enabled = options.disabled !== true;
    if (x509) device.x509 = x509;
    else delete device.x509;
    this.core.emit("device", { host: hub, id: deviceId, text: "added to " + hub + (x509 ? " (X.509" + (x509.cas.length ? " CA-signed)" : " thumbprint)") : "") });
    return { deviceId, hub, key };
  }

  /**
   * Adds a module identity to a device (in the device's hub). It connects with client id
   * "{deviceId}/{moduleId}" and is addressed as that in device(), twin(), invokeMethod(),
   * telemetry(); its telemetry records carry deviceId and moduleId.
   */
  addModule(deviceId: string, moduleId: string, options: AddModuleOptions = {}): { deviceId: string; moduleId: string; hub: string; key: string } {
    const parent = this.entry(deviceId);
    if (!parent.hub) throw new Error("device '" + deviceId + "' is in no hub");
    if (moduleId === "" || moduleId.indexOf("/") >= 0) throw new Error("bad module id '" + moduleId + "'");
    const identity = deviceId + "/" + moduleId;
    const x509 = x509Identity(options.x509Thumbprint, undefined);
    const key = x509 && options.key === undefined ? "" : options.key ?? randomKey();
    const keys = key === "" ? [] : options.secondaryKey !== undefined ? [key, options.secondaryKey] : [key];
    const entry = this.core.registry.devices.get(identity) ?? this.core.registry.createDevice(identity, parent.hub, keys);
    entry.hub = parent.hub;
    entry.keys = keys;
    entry.moduleId = moduleId;
    entry.parentId = deviceId;
    if (x509) entry.x509 = x509;
    this.core.emit("device", { host: parent.hub, id: identity, text: "module added to " + deviceId + " in " + parent.hub });
    return { deviceId, moduleId, hub: parent.hub, key };
  }

  /**
   * Adds (or replaces) a shared access policy of a hub. A device may connect with a token
   * signed by its key, `skn` = the policy name, if it has DeviceConnect (the default); the
   * token's `sr` may be the device's resource or a prefix of it (e.g. the hub's host name).
   */
  addPolicy(name: string, options: PolicyOptions = {}): { name: string; hub: string; key: string; permissions: string[] } {
    const hub = this.resolveHub(options.hub ?? this.hubNames[0]);
    const policy = this.core.registry.addPolicy(hub, name, options);
    this.core.emit("device", { host: hub, text: "shared access policy '" + name + "' (" + policy.permissions.join(", ") + ")" });
    return { name, hub, key: policy.keys[0], permissions: [...policy.permissions] };
  }

  device(deviceId: string): DeviceState | undefined {
    const d = this.core.registry.devices.get(deviceId);
    if (!d) return undefined;
    const live = d.hub ? this.hubs.get(d.hub)?.connection(deviceId) : undefined;
    const authentication = [d.keys.length > 0 ? "sas" : "", d.x509 ? "x509" : ""].filter((a) => a).join("+");
    const state: DeviceState = {
      deviceId,
      authentication,
      hub: d.hub,
      registrationId: d.registrationId,
      enabled: d.enabled,
      rejected: d.rejected,
      connected: live !== undefined,
      tokenExpiresAtMs: live?.expiresAtMs,
      subscriptions: live ? live.subscriptions : [],
      counters: structuredClone(d.counters),
    };
    if (d.moduleId !== undefined) state.moduleId = d.moduleId;
    return state;
  }

  devices(): DeviceState[] {
    const out: DeviceState[] = [];
    for (const id of this.core.registry.devices.keys()) {
      const state = this.device(id);
      if (state) out.push(state);
    }
    return out;
  }

  /** Disables (drops its connection; later CONNECTs get CONNACK 5) or re-enables a device. */
  setDeviceEnabled(deviceId: string, enabled: boolean): void {
    const d = this.entry(deviceId);
    d.enabled = enabled;
    this.core.emit("device", { host: d.hub ?? undefined, id: deviceId, text: enabled ? "enabled" : "disabled" });
    if (!enabled && d.hub) this.hub(d.hub).dropDevice(deviceId, "device disabled");
  }

  // ---- observations ----

  /** Telemetry in arrival order, of one device or of all. */
  telemetry(deviceId?: string): TelemetryRecord[] {
    if (deviceId === undefined) return [...this.core.telemetry];
    return [...(this.core.registry.devices.get(deviceId)?.telemetry ?? [])];
  }

  counters(): Counters {
    const hubs: Counters["hubs"] = {};
    for (const hub of this.hubs.values()) hubs[hub.host] = structuredClone(hub.counters);
    const devices: Counters["devices"] = {};
    for (const d of this.core.registry.devices.values()) devices[d.deviceId] = structuredClone(d.counters);
    return { dps: structuredClone(this.dps.counters), hubs, devices };
  }

  /** The server names (SNI) clients sent to a host, verified handshakes or not. */
  sni(host: string): string[] {
    const h = host.toLowerCase();
    const server = h === this.dpsHost ? this.dps.server : h === this.fileHost ? this.files.server : this.hubs.get(h)?.server;
    return server ? server.sni.slice() : [];
  }

  /** The recorded events (the last 10 000). */
  events(): SimEvent[] {
    return [...this.history];
  }

  /** Resolves with the next event that satisfies `match` (real-time timeout, rejects). */
  waitForEvent(match: (event: SimEvent) => boolean, timeoutMs = 5000): Promise<SimEvent> {
    return new Promise((resolve, reject) => {
      const listener = (event: SimEvent): void => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.off("event", listener);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.off("event", listener);
        reject(new Error("no matching simulator event within " + timeoutMs + " ms"));
      }, timeoutMs);
      this.on("event", listener);
    });
  }

  // ---- service-side actions ----

  twin(deviceId: string): TwinDocument {
    return this.entry(deviceId).twin.document();
  }

  /** Applies a desired patch, stores it for GET, pushes it to the device if connected; returns $version. */
  updateDesired(deviceId: string, patch: Record<string, unknown>): number {
    const d = this.entry(deviceId);
    const version = d.twin.patchDesired(patch);
    const pushed = d.hub ? this.hub(d.hub).pushDesired(d, patch, version) : false;
    this.core.emit("twin-desired", { host: d.hub ?? undefined, id: deviceId, text: "$version " + version + (pushed ? " pushed" : " stored (device not connected or not subscribed)") });
    return version;
  }

  /** Fault: pushes a desired patch with a version of the caller's choice, without storing
   *  it (an old version replayed, as a reconnect race can deliver); true when sent. */
  replayDesired(deviceId: string, patch: Record<string, unknown>, version: number): boolean {
    const d = this.entry(deviceId);
    const pushed = d.hub ? this.hub(d.hub).pushDesired(d, patch, version) : false;
    this.core.emit("twin-desired", { host: d.hub ?? undefined, id: deviceId, text: "$version " + version + " replayed" + (pushed ? "" : " (not sent)") });
    return pushed;
  }

  /** Sends a C2D message (QoS 1); returns its message id ($.mid). */
  sendC2D(deviceId: string, payload: string | Uint8Array, options: C2DOptions = {}): string {
    const d = this.entry(deviceId);
    if (!d.hub) throw new Error("device '" + deviceId + "' is in no hub");
    return this.hub(d.hub).sendC2D(d, Buffer.from(payload), options.properties ?? {});
  }

  /**
   * Invokes a direct method. Resolves with the device's status and payload; 404 (errorCode 404103)
   * when the device is not connected and subscribed; 504 (504101) after timeoutMs of sim clock.
   * A Uint8Array payload is sent as is, anything else as JSON.
   */
  invokeMethod(deviceId: string, methodName: string, payload?: unknown, options: { timeoutMs?: number } = {}): Promise<MethodResult> {
    const d = this.entry(deviceId);
    d.counters.methodCalls++;
    const rid = this.core.nextMethodRid();
    const bytes = payload instanceof Uint8Array ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload === undefined ? null : payload));
    return new Promise((resolve) => {
      const sent = d.hub ? this.hub(d.hub).sendMethod(deviceId, methodName, rid, bytes) : false;
      if (!sent) {
        this.core.emit("method-request", { host: d.hub ?? undefined, id: deviceId, code: 404, text: methodName + ": device not online" });
        resolve({ status: 404, payload: { errorCode: 404103, message: "Timed out waiting for device to connect." }, raw: Buffer.alloc(0), timedOut: false });
        return;
      }
      this.core.methods.set(rid, { deviceId, methodName, deadlineMs: this.core.now() + (options.timeoutMs ?? 30_000), resolve });
      this.core.emit("method-request", { host: d.hub ?? undefined, id: deviceId, text: methodName + " rid " + rid + " " + bytes.length + " B" });
    });
  }

  // ---- update files (HTTPS file host) and announcements ----

  /** Serves bytes at path on the file host; returns its URL ("https://{fileHost}/path"). */
  serveFile(path: string, bytes: Uint8Array): string {
    return this.files.serve(path, bytes);
  }

  /** Stops serving a path (later requests: 404). */
  unserveFile(path: string): boolean {
    return this.files.unserve(path);
  }

  /** Sets (or with undefined clears) the faults of one path; see FileFault. */
  fileFault(path: string, fault: FileFault | undefined): void {
    this.files.setFault(path, fault);
  }

  fileCounters(): FileCounters {
    return structuredClone(this.files.counters);
  }

  /**
   * Serves `bytes` as the update file and announces it: signs the manifest with the device's
   * OTA key (HMAC-SHA256 over version, size, sha256 and the downgrade flag, node:crypto; see
   * firmware/ota/manifest.ts) and sets the desired `ota` property (pushed if connected).
   */
  announceUpdate(deviceId: string, options: AnnounceOptions): { manifest: OtaManifest; url: string; desiredVersion: number } {
    this.entry(deviceId);
    const url = this.files.serve(options.path ?? "/ota/" + deviceId + "/" + options.version + ".js", options.bytes);
    const manifest = signOtaManifest(options.version, url, options.bytes, options.key, options.allowDowngrade === true);
    const desiredVersion = this.updateDesired(deviceId, { ota: { ...manifest } });
    return { manifest, url, desiredVersion };
  }

  // ---- faults ----

  /** Drops every connection of a hub at once; returns how many devices were connected. */
  dropHub(hub: string): number {
    const h = this.hub(hub);
    const n = h.dropAll("fault: hub dropped all connections");
    this.core.emit("fault", { host: h.host, text: "dropped all connections (" + n + " devices)" });
    return n;
  }

  /** Drops one device's hub connection; false when it had none. */
  dropDevice(deviceId: string): boolean {
    const d = this.entry(deviceId);
    return d.hub ? this.hub(d.hub).dropDevice(deviceId, "fault: connection dropped") : false;
  }

  /** Hub outage for `seconds` of sim clock: connections dropped, then TCP refused or CONNACK 3. */
  hubOutage(hub: string, seconds: number, mode: OutageMode = "refuse"): Promise<void> {
    return this.hub(hub).outage(seconds, mode);
  }

  endHubOutage(hub: string): Promise<void> {
    return this.hub(hub).endOutage();
  }

  /** Makes the hub answer this device CONNACK 5 (dropping its connection), or stops doing so. */
  rejectDevice(deviceId: string, on = true): void {
    const d = this.entry(deviceId);
    d.rejected = on;
    this.core.emit("fault", { host: d.hub ?? undefined, id: deviceId, text: on ? "CONNACK 5 for this device" : "CONNACK 5 fault cleared" });
    if (on && d.hub) this.hub(d.hub).dropDevice(deviceId, "fault: device rejected");
  }

  /**
   * Moves a device to another hub: its current hub forgets it (CONNACK 5 from then on) and DPS
   * assigns the new hub at the next registration. A device that never came through DPS moves
   * at once; a registration id with no device yet gets its individual enrollment pointed at the
   * hub. The live connection is dropped unless keepConnection.
   */
  moveDevice(deviceId: string, hub: string, options: { keepConnection?: boolean } = {}): void {
    const target = this.resolveHub(hub);
    if (!this.core.registry.devices.has(deviceId)) {
      // Not provisioned yet: point its individual enrollment at the hub instead.
      const e = this.core.registry.individuals.get(deviceId);
      if (!e) throw new Error("unknown device or enrollment '" + deviceId + "'");
      e.hub = target;
      this.core.emit("fault", { id: deviceId, text: "enrollment now assigns " + target });
      return;
    }
    const d = this.entry(deviceId);
    const from = d.hub;
    if (d.registrationId === undefined) d.hub = target;
    else {
      d.pendingHub = target;
      d.hub = null;
    }
    this.core.emit("fault", { host: from ?? undefined, id: deviceId, text: "moved to " + target + (d.registrationId === undefined ? "" : " (effective at the next DPS registration)") });
    if (from && !options.keepConnection) this.hub(from).dropDevice(deviceId, "device moved to " + target);
  }

  /** Drops the next `count` PUBACKs the hub sends this device (default: until cleared). */
  dropPubacks(deviceId: string, count = Infinity): void {
    this.core.faults.pubacks.set(deviceId, { mode: "drop", remaining: count });
    this.core.emit("fault", { id: deviceId, text: "dropping " + count + " PUBACKs" });
  }

  /** Holds the next `count` PUBACKs to this device for delayMs of sim clock (default: until cleared). */
  delayPubacks(deviceId: string, delayMs: number, count = Infinity): void {
    this.core.faults.pubacks.set(deviceId, { mode: "delay", delayMs, remaining: count });
    this.core.emit("fault", { id: deviceId, text: "delaying " + count + " PUBACKs by " + delayMs + " ms" });
  }

  clearPubackFault(deviceId: string): void {
    this.core.faults.pubacks.delete(deviceId);
    this.core.emit("fault", { id: deviceId, text: "PUBACK fault cleared" });
  }

  /** Answers the device's next `count` twin requests (GET or reported PATCH) with `status`. */
  failTwin(deviceId: string, status: number, count = 1): void {
    this.core.faults.twin.set(deviceId, { status, remaining: count });
    this.core.emit("fault", { id: deviceId, text: "next " + count + " twin requests answered " + status });
  }

  /**
   * Sends a malformed packet (or the given bytes) on the device's hub connection, or on the DPS
   * connection of that registration id. False when there is no such connection.
   */
  sendMalformed(id: string, kind: MalformedKind | Uint8Array = "bad-remaining-length"): boolean {
    const bytes = kind instanceof Uint8Array ? kind : new Uint8Array(MALFORMED[kind].bytes);
    const what = kind instanceof Uint8Array ? bytes.length + " custom bytes" : MALFORMED[kind].what;
    const d = this.core.registry.devices.get(id);
    let host: string | undefined;
    if (d?.hub && this.hub(d.hub).sendRaw(id, bytes)) host = d.hub;
    else if (this.dps.sendRaw(id, bytes)) host = this.dpsHost;
    if (host) this.core.emit("malformed-sent", { host, id, text: what });
    return host !== undefined;
  }

  /** DPS outage for `seconds` of sim clock: TCP refused, CONNACK 3, or 503 answers. */
  dpsOutage(seconds: number, mode: DpsOutageMode = "refuse"): Promise<void> {
    return this.dps.outage(seconds, mode);
  }

  endDpsOutage(): Promise<void> {
    return this.dps.endOutage();
  }

  /** DPS answers every register and poll with 429 + retry-after for `seconds` of sim clock. */
  dpsThrottle(seconds: number, retryAfterSeconds = 5): void {
    this.core.faults.dpsThrottle = { untilMs: this.core.now() + seconds * 1000, retryAfterSeconds };
    this.core.emit("fault", { host: this.dpsHost, text: "throttling for " + seconds + " s (retry-after " + retryAfterSeconds + ")" });
  }

  endDpsThrottle(): void {
    this.core.faults.dpsThrottle = undefined;
    this.core.emit("fault", { host: this.dpsHost, text: "throttling over" });
  }

  // ---- time ----

  /**
   * Does the clock-driven work for the sim clock's current time: disconnects devices whose
   * token expired, releases shaped CONNACKs and held PUBACKs, ends outages and throttling,
   * times out method calls. Runs on a real interval too (sweepIntervalMs).
   */
  sweep(): void {
    if (this.stopped) return;
    const now = this.core.now();
    for (const hub of this.hubs.values()) hub.sweep(now);
    this.dps.sweep(now);
    this.files.sweep(now);
    for (const [rid, pending] of [...this.core.methods]) {
      if (now < pending.deadlineMs) continue;
      this.core.methods.delete(rid);
      this.core.emit("method-timeout", { id: pending.deviceId, code: 504, text: pending.methodName + " rid " + rid + " timed out" });
      pending.resolve({
        status: 504,
        payload: { errorCode: 504101, message: "Timed out waiting for the response from device." },
        raw: Buffer.alloc(0),
        timedOut: true,
      });
    }
  }

  /** Closes every connection and listener. Pending method calls resolve as timed out. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const [rid, pending] of [...this.core.methods]) {
      this.core.methods.delete(rid);
      pending.resolve({ status: 504, payload: { errorCode: 504101, message: "Simulator stopped." }, raw: Buffer.alloc(0), timedOut: true });
    }
    const stops: Promise<void>[] = [];
    if (this.dps.broker) stops.push(this.dps.stop());
    for (const hub of this.hubs.values()) if (hub.broker) stops.push(hub.stop());
    stops.push(this.files.stop());
    await Promise.all(stops);
  }
}

/** The text an update manifest's authenticator is the HMAC of (firmware/ota/manifest.ts). */
export function otaAuthMessage(version: string, size: number, sha256Hex: string, allowDowngrade: boolean): string {
  return version + "\n" + size + "\n" + sha256Hex.toLowerCase() + "\n" + (allowDowngrade ? "1" : "0");
}

/** A signed manifest for `bytes` at `url` (node:crypto; the device checks it with its own code). */
export function signOtaManifest(version: string, url: string, bytes: Uint8Array, key: Uint8Array | string, allowDowngrade = false): OtaManifest {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const keyBytes = typeof key === "string" ? Buffer.from(key, "base64") : Buffer.from(key);
  const auth = createHmac("sha256", keyBytes).update(otaAuthMessage(version, bytes.length, sha256, allowDowngrade)).digest("base64");
  return { version, url, size: bytes.length, sha256, auth, allowDowngrade };
}

/** X.509 authentication from thumbprints and/or a CA certificate, or undefined for none. */
function x509Identity(thumbprint: string | string[] | undefined, ca: string | Uint8Array | undefined): X509Identity | undefined {
  if (thumbprint === undefined && ca === undefined) return undefined;
  return {
    thumbprints: thumbprint === undefined ? [] : typeof thumbprint === "string" ? [thumbprint] : [...thumbprint],
    cas: ca === undefined ? [] : certificatesOf(ca),
  };
}
