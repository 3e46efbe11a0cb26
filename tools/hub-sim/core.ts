// State shared by the DPS and hub services: options, clock, registry, faults, observations.
import { FaultState } from "./faults";
import { Registry } from "./registry";
import type { Clock, MethodResult, SimEvent, SimEventType, TelemetryRecord } from "./types";

export interface ResolvedOptions {
  hubs: string[];
  dpsHost: string;
  idScope: string;
  bindAddress: string;
  /** Tests only: plain TCP instead of TLS on every host (SimulatorOptions.plainTcp). */
  plainTcp: boolean;
  hubConnectionsPerSecond: number;
  hubConnectionQueue: number;
  dpsRegistrationsPerMinute: number;
  dpsPollsPer10s: number;
  dpsRetryAfterSeconds: number;
  dpsAssignDelayMs: number;
}

export interface PendingMethod {
  deviceId: string;
  methodName: string;
  deadlineMs: number;
  resolve(result: MethodResult): void;
}

export type EventFields = Omit<SimEvent, "seq" | "atMs" | "type">;

export class SimCore {
  readonly registry: Registry;
  readonly faults = new FaultState();
  readonly telemetry: TelemetryRecord[] = [];
  readonly methods = new Map<string, PendingMethod>();
  private eventSeq = 0;
  private telemetrySeq = 0;
  private methodSeq = 0;

  constructor(
    readonly options: ResolvedOptions,
    readonly clock: Clock,
    allocation: "static" | "round-robin",
    private readonly sink: (event: SimEvent) => void,
  ) {
    this.registry = new Registry(options.hubs, allocation);
  }

  now(): number {
    return this.clock.nowMs();
  }

  emit(type: SimEventType, fields: EventFields): void {
    this.sink({ seq: ++this.eventSeq, type, atMs: this.now(), ...fields });
  }

  nextTelemetrySeq(): number {
    return ++this.telemetrySeq;
  }

  nextMethodRid(): string {
    return (++this.methodSeq).toString(16);
  }
}
