// The failure classifier (DESIGN section 4, reference sections 4.6, 5.2, 6.3): every failure
// the device can see, as a small numeric kind plus a code, becomes one verdict (what to do,
// which backoff profile, a service-given wait, the status reason). Pure, no allocation: the
// caller owns the verdict object and classify() overwrites all of its fields.
import {
  REASON_NONE,
  REASON_NO_NETWORK,
  REASON_CLOCK_NOT_SET,
  REASON_EXPIRED_SAS_TOKEN,
  REASON_BAD_CREDENTIAL,
  REASON_DEVICE_DISABLED,
  REASON_THROTTLED,
  REASON_COMMUNICATION_ERROR,
  REASON_RETRY_EXPIRED,
  REASON_REPROVISIONING,
  REASON_SERVER_NOT_VERIFIED,
  SOCKET_TLS_UNVERIFIED,
} from "../status";
import { MAX_DELAY_MS, PROFILE_NONE, PROFILE_NORMAL, PROFILE_SERVER, PROFILE_THROTTLED, PROFILE_SLOW, SERVER_BASE_MS } from "./backoff";

// Kinds of input. `code` means a different thing per kind (in brackets).
/** The network went down [ignored]. Not a failure: no attempt, nothing counted. */
export const KIND_NO_NETWORK = 1;
/** SAS auth needs the clock and it is not synced [ignored]. Not a failure either. */
export const KIND_CLOCK_NOT_SET = 2;
/** The hub's socket failed or closed [SOCKET_* from status.ts; SOCKET_CLOSED = peer closed]. */
export const KIND_HUB_SOCKET = 3;
/** A hub packet did not arrive in time [the awaited packet: AWAIT_*]. */
export const KIND_HUB_TIMEOUT = 4;
/** The hub answered CONNECT [the CONNACK return code, 0..255]. */
export const KIND_HUB_CONNACK = 5;
/** DPS's socket failed or closed [SOCKET_*]. */
export const KIND_DPS_SOCKET = 6;
/** A DPS packet did not arrive in time [AWAIT_*; AWAIT_RESPONSE for the register/poll reply]. */
export const KIND_DPS_TIMEOUT = 7;
/** DPS answered CONNECT [the CONNACK return code]. */
export const KIND_DPS_CONNACK = 8;
/** A DPS reply [dpsCode(topic status, operation status)]. */
export const KIND_DPS_RESPONSE = 9;
/** A twin GET or PATCH reply [its status, e.g. 200, 204, 429, 503]. */
export const KIND_TWIN_RESPONSE = 10;
/** A direct-method exchange answered with a status [that status]. */
export const KIND_METHOD_RESPONSE = 11;
/** The retry policy handed out all its waits [ignored]. */
export const KIND_RETRY_EXHAUSTED = 12;

// Awaited packets for the *_TIMEOUT kinds: MQTT 3.1.1 control packet types (section 2.2.1).
export const AWAIT_CONNACK = 2;
/** A PUBLISH: the DPS register or poll reply, a twin reply. */
export const AWAIT_RESPONSE = 3;
export const AWAIT_PUBACK = 4;
export const AWAIT_SUBACK = 9;
export const AWAIT_PINGRESP = 13;

// DPS operation statuses (reference 5.2), the code of KIND_DPS_RESPONSE when the topic
// status is below 300. They cannot collide with a status of 300 or more.
export const DPS_UNASSIGNED = 1;
export const DPS_ASSIGNING = 2;
export const DPS_ASSIGNED = 3;
export const DPS_FAILED = 4;
export const DPS_DISABLED = 5;

// Actions.
/** Success: nothing to do. */
export const ACTION_NONE = 0;
/** DPS is still assigning: poll again after waitMs. Not a failure. */
export const ACTION_POLL = 1;
/** Back off (draw from `profile`, or wait waitMs when it is above 0) and try again. */
export const ACTION_RETRY = 2;
/** The service throttles: wait waitMs (retry-after) when above 0, else draw from PROFILE_THROTTLED. */
export const ACTION_THROTTLED = 3;
/** The hub no longer accepts this identity: register again through DPS (after the fleet's
 *  fallback spread). Hub-only configurations treat it as ACTION_CONFIG_ERROR. */
export const ACTION_REPROVISION = 4;
/** A configuration problem retrying cannot fix soon: slow retry (PROFILE_SLOW), no hammering. */
export const ACTION_CONFIG_ERROR = 5;
/** This request failed for good (twin/method 4xx); drop it, the connection is fine. */
export const ACTION_GIVE_UP = 6;
/** Wait for an event (network up, clock synced); no attempt, no failure counted. */
export const ACTION_WAIT = 7;

// Flags.
/** Sign a new SAS token before the next attempt, even if the current one is not due. */
export const FLAG_RENEW_TOKEN = 1;
/** Hub CONNACK 5: possibly the credentials. The caller counts these (see classify). */
export const FLAG_SUSPECT_CREDENTIALS = 2;

/** DPS polls: 3 s without retry-after (FreeRTOS MW), never closer than 2 s (5 polls per 10 s). */
export const DPS_POLL_MS = 3000;
export const DPS_MIN_POLL_MS = 2000;

export interface Verdict {
  /** ACTION_* */
  action: number;
  /** REASON_* (status.ts) to report with the status. */
  reason: number;
  /** PROFILE_* to draw the wait from when waitMs is 0. */
  profile: number;
  /** A wait set by the service (retry-after x 1000) or the poll interval; 0 = use the profile. */
  waitMs: number;
  /** FLAG_* bits. */
  flags: number;
}

/** Makes a verdict (at setup) for classify to overwrite. */
export function createVerdict(): Verdict {
  return { action: ACTION_NONE, reason: REASON_NONE, profile: PROFILE_NONE, waitMs: 0, flags: 0 };
}

/** The KIND_DPS_RESPONSE code: the topic status when it is 300 or more, else the operation
 *  status (a 200 topic may carry "failed": both are checked, reference 5.2). */
export function dpsCode(topicStatus: number, operationStatus: number): number {
  return topicStatus >= 300 ? topicStatus : operationStatus;
}

function set(out: Verdict, action: number, reason: number, profile: number, waitMs: number, flags: number): number {
  out.action = action;
  out.reason = reason;
  out.profile = profile;
  out.waitMs = waitMs;
  out.flags = flags;
  return action;
}

/** retry-after seconds as ms: integer, 0 when absent or bad, at most 2^31 - 1 ms. */
function retryAfterMs(seconds: number): number {
  if (!(seconds >= 1)) return 0;
  return seconds < 2147483 ? (seconds | 0) * 1000 : MAX_DELAY_MS;
}

/** A numeric service status (DPS above 300, twin, method): 429 honours retry-after, 5xx
 *  and 408 back off with a first wait >= 5 s (retry-after if longer). Others per caller. */
function serviceStatus(status: number, after: number, out: Verdict): number {
  if (status === 429) return set(out, ACTION_THROTTLED, REASON_THROTTLED, PROFILE_THROTTLED, after, 0);
  if (status === 408 || (status >= 500 && status <= 599)) {
    return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, after > 0 && after < SERVER_BASE_MS ? SERVER_BASE_MS : after, 0);
  }
  return -1;
}

/**
 * Classifies one failure (or outcome) into `out` and returns out.action.
 *
 * Hub CONNACK 5 ("not authorized"; the hub answers every refused CONNECT with it: expired
 * token, disabled or deleted device alike) comes back as ACTION_RETRY with FLAG_RENEW_TOKEN
 * and FLAG_SUSPECT_CREDENTIALS. The caller keeps a counter: it adds one when a suspect verdict
 * follows an attempt made with a freshly signed token and a synced clock, and clears it on
 * any other verdict; at 2 it reprovisions through DPS (reason REASON_REPROVISIONING)
 * instead of retrying. Unknown kinds or codes never throw: they back off with PROFILE_SERVER.
 */
export function classify(kind: number, code: number, retryAfterSeconds: number, out: Verdict): number {
  const after = retryAfterMs(retryAfterSeconds);
  // An impostor or a wrong ca: back off as from a failing service, and say why.
  if ((kind === KIND_HUB_SOCKET || kind === KIND_DPS_SOCKET) && code === SOCKET_TLS_UNVERIFIED) {
    return set(out, ACTION_RETRY, REASON_SERVER_NOT_VERIFIED, PROFILE_SERVER, 0, 0);
  }
  switch (kind) {
    case KIND_NO_NETWORK:
      return set(out, ACTION_WAIT, REASON_NO_NETWORK, PROFILE_NONE, 0, 0);
    case KIND_CLOCK_NOT_SET:
      return set(out, ACTION_WAIT, REASON_CLOCK_NOT_SET, PROFILE_NONE, 0, 0);
    case KIND_RETRY_EXHAUSTED:
      return set(out, ACTION_GIVE_UP, REASON_RETRY_EXPIRED, PROFILE_NONE, 0, 0);

    // Hub connection: back off and retry the same hub (the caller counts toward the DPS fallback).
    case KIND_HUB_SOCKET:
    case KIND_HUB_TIMEOUT:
      return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_NORMAL, 0, 0);
    case KIND_HUB_CONNACK:
      if (code === 0) return set(out, ACTION_NONE, REASON_NONE, PROFILE_NONE, 0, 0);
      // 1 protocol version, 2 identifier rejected, 4 bad user name or password: fatal upstream.
      if (code === 1 || code === 2 || code === 4) return set(out, ACTION_CONFIG_ERROR, REASON_BAD_CREDENTIAL, PROFILE_SLOW, 0, 0);
      if (code === 5) {
        return set(out, ACTION_RETRY, REASON_EXPIRED_SAS_TOKEN, PROFILE_NORMAL, 0, FLAG_RENEW_TOKEN | FLAG_SUSPECT_CREDENTIALS);
      }
      // 3 server unavailable; anything else is a protocol violation: retry the same hub.
      return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_NORMAL, 0, 0);

    // DPS: network trouble backs off with a first wait >= 5 s, then DPS again.
    case KIND_DPS_SOCKET:
    case KIND_DPS_TIMEOUT:
      return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 0, 0);
    case KIND_DPS_CONNACK:
      if (code === 0) return set(out, ACTION_NONE, REASON_NONE, PROFILE_NONE, 0, 0);
      if (code === 1 || code === 2 || code === 4 || code === 5) {
        // The key or scope is wrong (the clock was synced before signing): slow retry.
        return set(out, ACTION_CONFIG_ERROR, REASON_BAD_CREDENTIAL, PROFILE_SLOW, 0, 0);
      }
      return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 0, 0);
    case KIND_DPS_RESPONSE:
      if (code === DPS_ASSIGNED) return set(out, ACTION_NONE, REASON_NONE, PROFILE_NONE, 0, 0);
      if (code === DPS_ASSIGNING || code === DPS_UNASSIGNED) {
        const poll = after === 0 ? DPS_POLL_MS : after < DPS_MIN_POLL_MS ? DPS_MIN_POLL_MS : after;
        return set(out, ACTION_POLL, REASON_NONE, PROFILE_NONE, poll, 0);
      }
      if (code === DPS_FAILED) return set(out, ACTION_CONFIG_ERROR, REASON_BAD_CREDENTIAL, PROFILE_SLOW, 0, 0);
      if (code === DPS_DISABLED) return set(out, ACTION_CONFIG_ERROR, REASON_DEVICE_DISABLED, PROFILE_SLOW, 0, 0);
      if (serviceStatus(code, after, out) >= 0) return out.action;
      // 401/403/404 and the other 4xx: enrollment, key or request is wrong; do not spin.
      if (code >= 400 && code <= 499) return set(out, ACTION_CONFIG_ERROR, REASON_BAD_CREDENTIAL, PROFILE_SLOW, 0, 0);
      return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 0, 0);
    case KIND_TWIN_RESPONSE:
    case KIND_METHOD_RESPONSE:
      if (code >= 200 && code <= 299) return set(out, ACTION_NONE, REASON_NONE, PROFILE_NONE, 0, 0);
      if (serviceStatus(code, after, out) >= 0) return out.action;
      // The hub no longer accepts this identity (reference 6.3): register again through DPS.
      if (code === 401 || code === 403 || code === 404) return set(out, ACTION_REPROVISION, REASON_REPROVISIONING, PROFILE_NONE, 0, 0);
      return set(out, ACTION_GIVE_UP, REASON_NONE, PROFILE_NONE, 0, 0);
  }
  return set(out, ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 0, 0);
}
