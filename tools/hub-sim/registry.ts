// Enrollments (DPS side) and the device registry (hub side), plus DPS allocation.
// A device lives in at most one hub's registry at a time (`hub`); a move takes it out of its
// hub and parks the target in `pendingHub` until DPS assigns it again.
import { randomBytes } from "node:crypto";
import { checkSas, deriveDeviceKey } from "./sas-check";
import { Twin } from "./twin";
import type {
  AllocationPolicy,
  DeviceCounters,
  EnrollmentInfo,
  GroupEnrollmentOptions,
  IndividualEnrollmentOptions,
  TelemetryRecord,
} from "./types";

export interface Enrollment {
  kind: "individual" | "group";
  name: string;
  key: string;
  secondaryKey?: string;
  deviceId?: string;
  hub?: string;
  disabled: boolean;
  fail?: { errorCode?: number; errorMessage?: string };
  initialDesired?: Record<string, unknown>;
}

export interface DeviceEntry {
  deviceId: string;
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

function info(e: Enrollment): EnrollmentInfo {
  const out: EnrollmentInfo = { kind: e.kind, name: e.name, key: e.key, disabled: e.disabled };
  if (e.secondaryKey !== undefined) out.secondaryKey = e.secondaryKey;
  if (e.deviceId !== undefined) out.deviceId = e.deviceId;
  if (e.hub !== undefined) out.hub = e.hub;
  return out;
}

export class Registry {
  readonly individuals = new Map<string, Enrollment>();
  readonly groups = new Map<string, Enrollment>();
  readonly devices = new Map<string, DeviceEntry>();
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
    const e: Enrollment = {
      kind: "individual",
      name: registrationId,
      key: options.key ?? randomKey(),
      disabled: options.disabled === true,
    };
    if (options.secondaryKey !== undefined) e.secondaryKey = options.secondaryKey;
    if (options.deviceId !== undefined) e.deviceId = options.deviceId;
    if (options.hub !== undefined) e.hub = this.resolveHub(options.hub);
    if (options.fail !== undefined) e.fail = options.fail;
    if (options.initialDesired !== undefined) e.initialDesired = options.initialDesired;
    this.individuals.set(registrationId, e);
    return info(e);
  }

  enrollGroup(groupName: string, options: GroupEnrollmentOptions): EnrollmentInfo {
    const e: Enrollment = { kind: "group", name: groupName, key: options.key, disabled: options.disabled === true };
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
    if (individual) candidates.push(individual);
    else for (const g of this.groups.values()) candidates.push(g);
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

  /** DPS assignment for an authenticated registration; creates or updates the hub device. */
  assign(e: Enrollment, registrationId: string, keys: string[]): AssignmentResult {
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
