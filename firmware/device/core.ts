// What the device's parts share: one Core object made by createDevice (index.ts). The warm
// parts (link, hub, twin, methods, telemetry, assignment) live as long as the device; the
// on-demand parts (provisioning, updates) are evaluated from Storage when needed, get the
// Core and release everything they made when they are dropped.
import { Hal } from "../../hal/types";
import { ResolvedConfig } from "../config";
import { ConnectionPolicy } from "../policy/connection";
import { Verdict } from "../policy/classify";
import { FleetPlan } from "../policy/fleet";
import { Session } from "../mqtt/session-api";
import { Link } from "./link";
import { Twin } from "./twin";
import { Telemetry } from "./telemetry";
import { Methods } from "./methods";
import { Hub } from "./hub";
import { Lib } from "./lib";

export const LINK_DPS = 1;
export const LINK_HUB = 2;
export const LINK_DOWNLOAD = 3;

/** The earlier of two deadlines, -1 meaning none (wrap-safe). */
export function earliest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return b - a < 0 ? b : a;
}

/** A PUBLISH received, held until the session call that delivered it has returned. */
export interface Inbound {
  topic: string;
  payload: Uint8Array;
  qos: number;
  packetId: number;
  /** A PUBLISH above maxInboundBytes: its size; it was skipped (and acknowledged) unread. */
  tooLarge: number;
}

export interface Counters {
  dpsRegistrations: number;
  dpsPolls: number;
  hubConnections: number;
  connectAttempts: number;
  cacheWrites: number;
  disconnectedMs: number;
  disconnectedSince: number;
  accepted: number;
  received: number;
  tooLarge: number;
}

/** Provisioning while it runs (device/provisioning.ts, on demand). */
export interface Provisioning {
  connect(): void;
  poll(operationId: string): void;
  handle(message: Inbound): void;
  /** The DPS session gave the connection up with this code. */
  sessionClosed(reason: number): void;
}

/** The update agent's wiring while an update needs it (device/updates.ts, on demand). */
export interface Updates {
  desired(value: unknown, full: boolean): void;
  /** The desired `ota` value as merged so far, handed to the next instance. */
  value(): unknown;
  connected(): void;
  disconnected(): void;
  networkChanged(up: boolean): void;
  tick(): void;
  /** After every event: the download's hold on the link, a due reboot. */
  step(): void;
  nextDeadline(): number;
  /** Nothing running, nothing to confirm, nothing due: the module may be dropped. */
  idle(): boolean;
  stop(): void;
}

export interface Core {
  hal: Hal;
  config: ResolvedConfig;
  log: (level: number, message: string) => void;
  policy: ConnectionPolicy;
  verdict: Verdict;
  fleet: FleetPlan;
  stats: Counters;
  started: boolean;
  appVersion: string;
  /** Created by the first hub connection (a session is about 400 JsVars: a board provisioning
   *  or offline since boot does without it). Used only once a hub connection has been made. */
  hubSession: Session | undefined;
  link: Link;
  hub: Hub;
  twin: Twin;
  methods: Methods;
  telemetry: Telemetry;
  provisioning: Provisioning | undefined;
  updates: Updates | undefined;
  /** Shared code handed to the on-demand parts, so they carry no copy of their own. */
  lib: Lib;
  now(): number;
  nextRid(): string;
  /** After every event: act on what the sessions recorded, then re-arm the one timer. */
  settle(): void;
  /** Re-arms the one timer for the earliest deadline. */
  schedule(): void;
  /** An update announcement from the twin (desired `ota`): full document or a patch's member. */
  announce(value: unknown, full: boolean): void;
  /** Ends everything before a reboot: policy, link, timer. */
  stopAll(): void;
}
