// The client's public surface: what an application gets from createDevice (index.ts).
import { PropertyBag } from "../azure/hub-topics";

/** The method the DPS fallback guidance names: answered by the client itself. */
export const REPROVISION_METHOD = "Reprovision";

export interface DeviceOptions {
  /** The running application's version when no boot selector names it (APP_VERSION). */
  appVersion?: string;
}

export type StatusCallback = (status: string, reason: string) => void;
export type MethodHandler = (payload: string, respond: (status: number, body?: unknown) => void) => void;
export type DesiredCallback = (desired: { [k: string]: unknown }, version: number) => void;
export type C2dCallback = (body: string, properties: PropertyBag) => void;

export interface DeviceStats {
  telemetryAccepted: number;
  telemetryAcknowledged: number;
  telemetryDropped: number;
  /** New messages refused because the outbox was full (outbox.whenFull "refuseNew"). */
  telemetryRefused: number;
  outboxSize: number;
  /** Damaged outbox records skipped at boot (torn by a power cut, corrupted in flash). */
  outboxDamaged: number;
  dpsRegistrations: number;
  dpsPolls: number;
  hubConnections: number;
  connectAttempts: number;
  cacheWrites: number;
  /** Messages from the hub or DPS above maxInboundBytes: skipped unread, acknowledged, logged. */
  messagesTooLarge: number;
  /** Milliseconds spent not connected to the hub since start. */
  disconnectedMs: number;
  status: string;
  reason: string;
}

export interface Device {
  start(): void;
  stop(): void;
  onStatus(callback: StatusCallback): void;
  onMethod(name: string, handler: MethodHandler): void;
  onDesired(callback: DesiredCallback): void;
  onC2D(callback: C2dCallback): void;
  /** Queues telemetry (QoS 1, kept until PUBACK). Returns its sequence number (> 0) or a
   *  negative status (ERR_TOO_LARGE above the hub's 256 KB or the outbox bound). */
  sendTelemetry(body: string | Uint8Array, properties?: PropertyBag): number;
  /** Queues a reported-properties patch; retried on 429 / 5xx. Returns 0 or ERR_FULL. */
  reportProperties(patch: { [k: string]: unknown }): number;
  stats(): DeviceStats;
  /** The hub and device id in use, or undefined before provisioning. */
  assignment(): { hub: string; deviceId: string } | undefined;
  /** Not API: what tests on a virtual clock need to see (with a HAL that asks for it). */
  internal?: {
    /** True while the device waits on the network for an answer (connect, CONNACK, SUBACK,
     *  a DPS reply, a twin GET): virtual time should not move until it arrives. */
    awaitingReply(): boolean;
    /** PUBLISH packets received from the hub or DPS since start. */
    messagesReceived(): number;
  };
}
