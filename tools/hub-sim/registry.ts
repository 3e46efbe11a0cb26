// Enrollments (DPS side) and the device registry (hub side), plus DPS allocation.
// A device lives in at most one hub's registry at a time (`hub`); a move takes it out of its
// hub and parks the target in `pendingHub` until DPS assigns it again.
import { randomBytes, type X509Certificate } from "node:crypto";
import { checkSas, deriveDeviceKey, parseSas } from "./sas-check";
import { certificatesOf, checkChain, checkThumbprint, commonName, thumbprints, type PeerCertificates } from "./x509-check";
import { Twin } from "./twin";
import type {
  AllocationPolicy,
  DeviceCounters,
  EnrollmentInfo,
  GroupEnrollmentOptions,
  IndividualEnrollmentOptions,
  PolicyOptions,
  TelemetryRecord,
} from "./types";

export interface Enrollment {
  kind: "individual" | "group";
  name: string;
  /** "" for an X.509 enrollment. */
  key: string;
  /** X.509 individual enrollment: the device's certificate. */
  certificate?: X509Certificate;
  /** X.509 group enrollment: the enrolled CA. */
  ca?: X509Certificate[];
  secondaryKey?: string;
  deviceId?: string;
  hub?: string;
  disabled: boolean;
  fail?: { errorCode?: number; errorMessage?: string };
  initialDesired?: Record<string, unknown>;
}

/** X.509 authentication of a hub identity: thumbprints (self-signed) and/or CAs. */
export interface X509Identity {
  thumbprints: string[];
  cas: X509Certificate[];
}

export interface DeviceEntry {
  /** The registry key and MQTT client id: the device id, or "device/module". */
  deviceId: string;
  /** A module identity: its module id and its device's id. */
  moduleId?: string;
  parentId?: string;
  x509?: X509Identity;
  hub: string | null;
  pendingHub: string | undefined;
  keys: string[];
  enabled: boolean;
  rejected: boolean;
  registrationId: string | undefined;
  twin: Twin;
  telemetry: TelemetryRecord[];
  counters: DeviceCounters;
}

export type AssignmentResult =
  | { status: "assigned"; hub: string; deviceId: string; substatus: string }
  | { status: "failed"; errorCode: number; errorMessage: string }
  | { status: "disabled" };

export function newDeviceCounters(): DeviceCounters {
  return {
    connections: 0,
    connacks: {},
    telemetry: 0,
    c2dSent: 0,
    c2dAcked: 0,
    twinGets: 0,
    twinPatches: 0,
    methodCalls: 0,
    disconnects: 0,
    tokenExpiries: 0,
  };
}

export function randomKey(): string {
  return randomBytes(32).toString("base64");
}

export interface Policy {
  name: string;
  keys: string[];
  permissions: string[];
}

function info(e: Enrollment): EnrollmentInfo {
  const attestation = e.certificate || e.ca ? "x509" : "symmetricKey";
  const out: EnrollmentInfo = { kind: e.kind, attestation, name: e.name, key: e.key, disabled: e.disabled };
  if (e.secondaryKey !== undefined) out.secondaryKey = e.secondaryKey;
  if (e.deviceId !== undefined) out.deviceId = e.deviceId;
  if (e.hub !== undefined) out.hub = e.hub;
  return out;
}

export class Registry {
  readonly individuals = new Map<string, Enrollment>();
  readonly groups = new Map<string, Enrollment>();
  readonly devices = new Map<string, DeviceEntry>();
  /** Shared access policies per hub host, by name. */
  readonly policies = new Map<string, Map<string, Policy>>();
  private roundRobin = 0;

  constructor(
    readonly hubs: string[],
    private readonly allocation: AllocationPolicy,
  ) {}

  /** "hub-b" or "hub-b.azure-devices.net" -> the full host name; throws when unknown. */
  resolveHub(name: string): string {
    const lower = name.toLowerCase();
    for (const hub of this.hubs) if (hub === lower || hub.startsWith(lower + ".")) return hub;
    throw new Error("unknown hub '" + name + "' (hubs: " + this.hubs.join(", ") + ")");
  }

  enrollIndividual(registrationId: string, options: IndividualEnrollmentOptions = {}): EnrollmentInfo {
    const certificate = options.certificate !== undefined ? certificatesOf(options.certificate)[0] : undefined;
    if (certificate && commonName(certificate) !== registrationId) {
      throw new Error("an X.509 enrollment's registration id is its certificate's common name ('" + commonName(certificate) + "')");
    }
    const e: Enrollment = {
      kind: "individual",
      name: registrationId,
      key: certificate ? "" : options.key ?? randomKey(),
      disabled: options.disabled === true,
    };
    if (certificate) e.certificate = certificate;
    if (options.secondaryKey !== undefined) e.secondaryKey = options.secondaryKey;
    if (options.deviceId !== undefined) e.deviceId = options.deviceId;
    if (options.hub !== undefined) e.hub = this.resolveHub(options.hub);
    if (options.fail !== undefined) e.fail = options.fail;
    if (options.initialDesired !== undefined) e.initialDesired = options.initialDesired;
    this.individuals.set(registrationId, e);
    return info(e);
  }

  enrollGroup(groupName: string, options: GroupEnrollmentOptions): EnrollmentInfo {
    if ((options.key === undefined) === (options.ca === undefined)) throw new Error("a group enrollment needs a key or a CA certificate (one of them)");
    const e: Enrollment = { kind: "group", name: groupName, key: options.key ?? "", disabled: options.disabled === true };
    if (options.ca !== undefined) e.ca = certificatesOf(options.ca);
    if (options.secondaryKey !== undefined) e.secondaryKey = options.secondaryKey;
    if (options.hub !== undefined) e.hub = this.resolveHub(options.hub);
    if (options.fail !== undefined) e.fail = options.fail;
    if (options.initialDesired !== undefined) e.initialDesired = options.initialDesired;
    this.groups.set(groupName, e);
    return info(e);
  }

  enrollment(name: string): Enrollment | undefined {
    return this.individuals.get(name) ?? this.groups.get(name);
  }

  enrollmentInfo(name: string): EnrollmentInfo | undefined {
    const e = this.enrollment(name);
    return e ? info(e) : undefined;
  }

  /** The keys a device registered through `e` signs with (derived for a group). */
  keysFor(e: Enrollment, registrationId: string): string[] {
    const keys = e.secondaryKey !== undefined ? [e.key, e.secondaryKey] : [e.key];
    return e.kind === "group" ? keys.map((k) => deriveDeviceKey(k, registrationId)) : keys;
  }

  /**
   * Finds the enrollment whose key signed `password` for `registrationId`: the individual
   * enrollment of that id if there is one (groups are then not consulted), else the first
   * group whose derived key matches.
   */
  authenticateRegistration(
    idScope: string,
    registrationId: string,
    password: string,
    nowMs: number,
  ): { ok: true; enrollment: Enrollment; keys: string[] } | { ok: false; reason: string } {
    const resource = idScope + "/registrations/" + registrationId;
    const candidates: Enrollment[] = [];
    const individual = this.individuals.get(registrationId);
    if (individual && !individual.certificate) candidates.push(individual);
    else if (!individual) for (const g of this.groups.values()) if (!g.ca) candidates.push(g);
    if (candidates.length === 0) return { ok: false, reason: "no enrollment for '" + registrationId + "'" };
    let reason = "";
    for (const e of candidates) {
      const keys = this.keysFor(e, registrationId);
      const verdict = checkSas(password, { resource, keys, nowMs, keyName: "registration" });
      if (verdict.ok) return { ok: true, enrollment: e, keys };
      reason = verdict.reason;
    }
    return { ok: false, reason: individual ? reason : "no group key signed this token (" + reason + ")" };
  }

  /**
   * X.509 attestation: the certificate the device presented must carry the registration id
   * as common name and be the enrolled certificate of that id (individual; groups are then
   * not consulted), or chain up to the CA of an X.509 group. Validity on the sim clock.
   */
  authenticateX509(
    registrationId: string,
    peer: PeerCertificates | undefined,
    nowMs: number,
  ): { ok: true; enrollment: Enrollment; keys: string[]; x509: X509Identity } | { ok: false; reason: string } {
    if (!peer) return { ok: false, reason: "no SAS token and no client certificate" };
    if (commonName(peer.leaf) !== registrationId) {
      return { ok: false, reason: "certificate common name '" + commonName(peer.leaf) + "' is not the registration id '" + registrationId + "'" };
    }
    const individual = this.individuals.get(registrationId);
    if (individual) {
      if (!individual.certificate) return { ok: false, reason: "the enrollment of '" + registrationId + "' is not an X.509 enrollment" };
      const verdict = checkThumbprint(peer, thumbprints(individual.certificate), nowMs);
      if (!verdict.ok) return verdict;
      return { ok: true, enrollment: individual, keys: [], x509: { thumbprints: thumbprints(individual.certificate), cas: [] } };
    }
    let reason = "no X.509 enrollment for '" + registrationId + "'";
    for (const g of this.groups.values()) {
      if (!g.ca) continue;
      const verdict = checkChain(peer, g.ca, nowMs);
      if (verdict.ok) return { ok: true, enrollment: g, keys: [], x509: { thumbprints: [], cas: g.ca } };
      reason = verdict.reason;
    }
    return { ok: false, reason };
  }

  addPolicy(hub: string, name: string, options: PolicyOptions): Policy {
    const key = options.key ?? randomKey();
    const policy: Policy = {
      name,
      keys: options.secondaryKey !== undefined ? [key, options.secondaryKey] : [key],
      permissions: options.permissions ?? ["DeviceConnect"],
    };
    let byName = this.policies.get(hub);
    if (!byName) {
      byName = new Map();
      this.policies.set(hub, byName);
    }
    byName.set(name, policy);
    return policy;
  }

  /** The policy named by a token's skn on this hub, if any. */
  policyOf(hub: string, password: string): Policy | undefined {
    const fields = parseSas(password);
    if (typeof fields === "string" || fields.skn === undefined) return undefined;
    let name = fields.skn;
    try {
      name = decodeURIComponent(name);
    } catch {
      /* kept as sent */
    }
    return this.policies.get(hub)?.get(name);
  }

  /** DPS assignment for an authenticated registration; creates or updates the hub device. */
  assign(e: Enrollment, registrationId: string, keys: string[], x509?: X509Identity): AssignmentResult {
    if (e.disabled) return { status: "disabled" };
    if (e.fail) {
      return {
        status: "failed",
        errorCode: e.fail.errorCode ?? 400209,
        errorMessage: e.fail.errorMessage ?? "Assignment failed.",
      };
    }
    const deviceId = e.kind === "individual" && e.deviceId !== undefined ? e.deviceId : registrationId;
    let device = this.devices.get(deviceId);
    const migrated = device !== undefined && device.pendingHub !== undefined;
    const hub = device?.pendingHub ?? device?.hub ?? e.hub ?? this.pick();
    if (!device) {
      device = this.createDevice(deviceId, hub, keys, e.initialDesired);
    } else {
      device.hub = hub;
      device.pendingHub = undefined;
      device.keys = keys;
    }
    // DPS registers an X.509 device in the hub with X.509 authentication: the enrolled
    // certificate's thumbprint (individual) or CA-signed (group).
    if (x509) device.x509 = x509;
    else delete device.x509;
    device.registrationId = registrationId;
    return { status: "assigned", hub, deviceId, substatus: migrated ? "deviceDataMigrated" : "initialAssignment" };
  }

  private pick(): string {
    if (this.allocation === "round-robin") return this.hubs[this.roundRobin++ % this.hubs.length];
    return this.hubs[0];
  }

  createDevice(deviceId: string, hub: string | null, keys: string[], initialDesired?: Record<string, unknown>): DeviceEntry {
    const device: DeviceEntry = {
      deviceId,
      hub,
      pendingHub: undefined,
      keys,
      enabled: true,
      rejected: false,
      registrationId: undefined,
      twin: new Twin(initialDesired),
      telemetry: [],
      counters: newDeviceCounters(),
    };
    this.devices.set(deviceId, device);
    return device;
  }
}
