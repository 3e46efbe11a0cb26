// What the reconnection policy (connection.ts) and its driver exchange: the actions it asks
// for, its configuration, the statuses it reports and the states it is in. connection.ts
// re-exports all of it; the driver imports from there.
import { RETRY_FOREVER } from "./backoff";
import { FleetPlan, FleetSettings } from "./fleet";
import { LOG_INFO } from "../../hal/types";

// Statuses reported with a REASON_* (status.ts).
export const STATUS_PROVISIONING = 1;
export const STATUS_CONNECTING = 2;
export const STATUS_CONNECTED = 3;
export const STATUS_DISCONNECTED = 4;
export const STATUS_STOPPED = 5;
/** The log name of a STATUS_* value ("Unknown" for anything else): one literal split on each
 *  call, as status.ts does for reasons (no array kept for the whole run). */
export function statusName(status: number): string {
  const names = ",Provisioning,Connecting,Connected,Disconnected,Stopped".split(",");
  return (status === (status | 0) && names[status]) || "Unknown";
}

// States.
export const STATE_IDLE = 0;
export const STATE_WAIT_NETWORK = 1;
export const STATE_WAIT_CLOCK = 2;
export const STATE_WAIT_RETRY = 3;
export const STATE_DPS_ACTIVE = 4;
export const STATE_DPS_WAIT_POLL = 5;
export const STATE_HUB_CONNECTING = 6;
export const STATE_HUB_CONNECTED = 7;
export const STATE_STOPPED = 8;

// Retry modes.
export const RETRY_EXPONENTIAL = 0;
export const RETRY_NONE = 1;
export const RETRY_CUSTOM = 2;

// What an attempt is for (PolicyActions.close).
export const TARGET_HUB = 1;
export const TARGET_DPS = 2;

/** The level of the policy's notes: the HAL's LOG_INFO, so a driver passes its log as note. */
export const NOTE_LEVEL = LOG_INFO;

export interface PolicyActions {
  /** Open the DPS connection (TLS, CONNECT with clean session, SUBSCRIBE, register). */
  connectDps(): void;
  /** Publish a status poll on the open DPS connection. */
  pollDps(operationId: string): void;
  /** Open the hub connection with a fresh token (TLS, CONNECT with clean session off). */
  connectHub(hub: string, deviceId: string): void;
  /** Close the connection to target (TARGET_HUB or TARGET_DPS; one function for both: on
   *  the device each costs about 5 JsVars); clean sends DISCONNECT first (DPS: always). */
  close(target: number, clean: boolean): void;
  /** Persist the assignment (the driver skips the flash write when it is unchanged). */
  saveAssignment(hub: string, deviceId: string): void;
  forgetAssignment(): void;
  status(status: number, reason: number): void;
  /** One line about a decision, for the log, at NOTE_LEVEL: the HAL's log as it is. */
  note(level: number, message: string): void;
}

export interface PolicyConfig {
  /** DPS provisioning (false: hub-only, from a connection string). */
  useDps: boolean;
  /** SAS authentication: never connect before the clock is synced. */
  needsClock: boolean;
  /** Renew the hub token from this long after connecting on (80 % of its lifetime), at a
   *  random point from the fleet plan (renewalDelay); 0 = never (X.509). */
  renewAfterMs: number;
  fleet: FleetPlan;
  /** The fleet settings the plan came from (undefined: none given), named in the log. */
  fleetSettings?: FleetSettings;
  /** Consecutive hub failures AND time on the failing hub before going back to DPS. */
  hubFailuresBeforeDps: number;
  hubMinMsBeforeDps: number;
  /** Backstop for one connect attempt (socket, TLS, CONNACK) and for one DPS round. */
  connectTimeoutMs: number;
  dpsTimeoutMs: number;
  /** A connection that lasted this long resets the failure streak and the backoff. */
  stableMs: number;
  /** Disconnected this long: report RetryExpired (and stop, when stopOnRetryExpired). */
  operationTimeoutMs: number;
  stopOnRetryExpired: boolean;
  retryMode: number;
  /** RETRY_CUSTOM: wait in ms for attempt n (from 0) and a REASON_*; negative = stop. */
  customDelay?: (attempt: number, reason: number) => number;
  /** Waits handed out before giving up (RETRY_FOREVER = never). */
  maxAttempts: number;
  /** Added to every hub retry's wait: 60000 follows the large-scale guidance's "at least a
   *  minute before a retry" to the letter (the fleet simulator shows what it costs); 0 = off. */
  hubMinGapMs: number;
  /** No note lines at all (actions.note is never called, its text never built): the fleet
   *  simulator runs a million policies and logs none of them. Every decision is the same. */
  quiet?: boolean;
}

export function defaultPolicyConfig(fleet: FleetPlan): PolicyConfig {
  return {
    useDps: true,
    needsClock: true,
    renewAfterMs: 2880000,
    fleet: fleet,
    hubFailuresBeforeDps: 10,
    hubMinMsBeforeDps: 15 * 60 * 1000,
    connectTimeoutMs: 90000,
    dpsTimeoutMs: 5 * 60 * 1000,
    stableMs: 60000,
    operationTimeoutMs: 30 * 60 * 1000,
    stopOnRetryExpired: false,
    retryMode: RETRY_EXPONENTIAL,
    maxAttempts: RETRY_FOREVER,
    hubMinGapMs: 0,
  };
}

export interface Assignment {
  hub: string;
  deviceId: string;
}
