// When the policy's next attempt happens and what it goes to: the wait after a failure
// (classify.ts's verdict through backoff.ts and fleet.ts), the gates that hold an attempt back
// (network, a held socket, an unsynced clock), starting the attempt, and the status reports.
// Functions of the policy's state (connection.ts), shared by its DPS side (provisioning.ts)
// and its hub side (hub-link.ts).
import { createVerdict, ACTION_RETRY, ACTION_THROTTLED, ACTION_CONFIG_ERROR } from "./classify";
import { backoffProfile, backoffNext, backoffSpread, PROFILE_NORMAL, PROFILE_SERVER, PROFILE_THROTTLED, PROFILE_SLOW, MAX_DELAY_MS } from "./backoff";
import { dpsRetrySpread } from "./fleet";
import {
  STATUS_PROVISIONING, STATUS_CONNECTING, STATUS_DISCONNECTED, STATUS_STOPPED,
  STATE_WAIT_NETWORK, STATE_WAIT_CLOCK, STATE_WAIT_RETRY, STATE_DPS_ACTIVE, STATE_DPS_WAIT_POLL, STATE_HUB_CONNECTING,
  STATE_HUB_CONNECTED, STATE_STOPPED, RETRY_EXPONENTIAL, RETRY_NONE, RETRY_CUSTOM, TARGET_HUB, TARGET_DPS, NOTE_LEVEL,
} from "./connection-api";
import type { ConnectionPolicy } from "./connection";
import {
  REASON_NONE, REASON_NO_NETWORK, REASON_UPDATING, REASON_CLOCK_NOT_SET, REASON_COMMUNICATION_ERROR, REASON_RETRY_EXPIRED, reasonName,
} from "../status";

// What the next attempt goes to.
export { TARGET_HUB, TARGET_DPS };

/** Recheck an unsynced clock this often. */
export const CLOCK_RECHECK_MS = 1000;
/** Without a connection this long, hub retries slow down: the wait doubles for each such
 *  span, up to 8x (a hub lost for hours is not hammered at the fleet's full rate). */
const LONG_OUTAGE_MS = 3600000;

/** classify()'s output, filled and read within one call (shared: policies never nest). */
export const verdict = createVerdict();

/** No attempt now: the network is down or the driver holds the socket. */
export function blocked(p: ConnectionPolicy): boolean {
  return !p.networkUp || p.held;
}

export function blockedReason(p: ConnectionPolicy): number {
  return p.networkUp ? REASON_UPDATING : REASON_NO_NETWORK;
}

/** After a failure: wait as the verdict says, then try `target` again. */
export function retryLater(p: ConnectionPolicy, now: number, target: number): void {
  p.target = target;
  const v = verdict;
  const config = p.config;
  const reason = v.reason === REASON_NONE ? REASON_COMMUNICATION_ERROR : v.reason;
  const expired = p.disconnectedSince >= 0 && now - p.disconnectedSince >= config.operationTimeoutMs;
  if (expired && !p.expiredReported) {
    p.expiredReported = true;
    if (!config.quiet) p.actions.note(NOTE_LEVEL, "disconnected for " + Math.floor((now - p.disconnectedSince) / 1000) + " s: retry expired");
    if (config.stopOnRetryExpired) {
      stopWith(p, REASON_RETRY_EXPIRED, "configured to stop when retries expire");
      return;
    }
  }
  let wait = waitFor(p, v.action, v.profile, v.waitMs, reason);
  if (wait < 0) {
    stopWith(p, REASON_RETRY_EXPIRED, "the retry policy gave up");
    return;
  }
  if (target === TARGET_HUB) {
    const spans = p.disconnectedSince >= 0 && v.action === ACTION_RETRY ? Math.floor((now - p.disconnectedSince) / LONG_OUTAGE_MS) : 0;
    if (spans > 0) wait = wait * (spans >= 3 ? 8 : spans === 2 ? 4 : 2);
    wait += config.hubMinGapMs;
    if (wait > MAX_DELAY_MS) wait = MAX_DELAY_MS;
  }
  else if (config.retryMode === RETRY_EXPONENTIAL && p.disconnectedSince >= 0) {
    // DPS failed: spread the next request in proportion to how long the device has been
    // without a connection, so a fleet that failed together drains within DPS's quota.
    const spread = dpsRetrySpread(config.fleet, now - p.disconnectedSince, p.random32());
    if (spread > wait) wait = spread;
  }
  report(p, STATUS_DISCONNECTED, p.expiredReported ? REASON_RETRY_EXPIRED : reason);
  if (!config.quiet) p.actions.note(NOTE_LEVEL, "retry " + (target === TARGET_DPS ? "DPS" : "hub") + " in " + wait + " ms (" + reasonName(reason) + ", attempt " + p.attempts + ")");
  waitUntil(p, now + wait);
}

/** The wait for a verdict, or -1 when the retry policy says stop. */
function waitFor(p: ConnectionPolicy, action: number, profile: number, serviceWaitMs: number, reason: number): number {
  const config = p.config;
  if (config.retryMode === RETRY_NONE) return -1;
  if (action === ACTION_CONFIG_ERROR) profile = PROFILE_SLOW;
  else if (action === ACTION_THROTTLED && serviceWaitMs <= 0) profile = PROFILE_THROTTLED;
  else if (profile !== PROFILE_SERVER && profile !== PROFILE_THROTTLED && profile !== PROFILE_SLOW) profile = PROFILE_NORMAL;
  if (config.retryMode === RETRY_CUSTOM && config.customDelay) {
    const custom = config.customDelay(p.attempts, reason);
    p.attempts++;
    return custom < 0 ? -1 : custom > MAX_DELAY_MS ? MAX_DELAY_MS : Math.floor(custom);
  }
  if (profile !== p.backoffProfileInUse) {
    backoffProfile(p, profile, config.fleet.capMs, config.maxAttempts);
    p.backoffProfileInUse = profile;
  }
  // The first wait after a connection ended is the fleet's spread draw (backoffSpread), over
  // the fleet's window or the backoff's own when a short connection left it wider. The policy
  // is its own backoff context (connection.ts).
  const drawn = p.spreadNext && profile === PROFILE_NORMAL
    ? backoffSpread(p, p.windowMs > config.fleet.spreadMs ? p.windowMs : config.fleet.spreadMs, p.random32(), p.random32())
    : backoffNext(p, p.random32());
  p.spreadNext = false;
  if (drawn < 0) return -1;
  if (serviceWaitMs > 0) {
    // retry-after is a floor: the service's wait plus up to a fifth more, so a fleet told
    // the same retry-after does not come back in the same instant.
    const spread = Math.floor(serviceWaitMs / 5);
    return serviceWaitMs + (spread > 0 ? (p.random32() >>> 0) % (spread + 1) : 0);
  }
  return drawn;
}

/** Connect to the target now, unless the network or the clock says wait. */
export function attemptOrWait(p: ConnectionPolicy, now: number): void {
  p.deadline = -1;
  if (blocked(p)) {
    p.state = STATE_WAIT_NETWORK;
    report(p, STATUS_DISCONNECTED, blockedReason(p));
    return;
  }
  if (p.config.needsClock && !p.clockSynced) {
    // Never sign a token with a wrong clock.
    p.state = STATE_WAIT_CLOCK;
    p.deadline = now + CLOCK_RECHECK_MS;
    report(p, STATUS_DISCONNECTED, REASON_CLOCK_NOT_SET);
    return;
  }
  const reason = p.nextReason;
  p.nextReason = REASON_NONE;
  const assignment = p.assignment;
  if (p.target === TARGET_DPS || !assignment) {
    p.state = STATE_DPS_ACTIVE;
    p.operationId = "";
    p.dpsDeadline = now + p.config.dpsTimeoutMs;
    report(p, STATUS_PROVISIONING, reason);
    p.actions.connectDps();
    return;
  }
  p.state = STATE_HUB_CONNECTING;
  p.deadline = now + p.config.connectTimeoutMs;
  report(p, STATUS_CONNECTING, reason);
  p.actions.connectHub(assignment.hub, assignment.deviceId);
}

/** Waits for `at` (a retry, a stagger), or for the network when it is down. */
export function waitUntil(p: ConnectionPolicy, at: number): void {
  p.deadline = at;
  p.state = blocked(p) ? STATE_WAIT_NETWORK : STATE_WAIT_RETRY;
  if (blocked(p)) report(p, STATUS_DISCONNECTED, blockedReason(p));
}

export function closeAll(p: ConnectionPolicy, clean: boolean): void {
  if (p.state === STATE_DPS_ACTIVE || p.state === STATE_DPS_WAIT_POLL) p.actions.close(TARGET_DPS, true);
  if (p.state === STATE_HUB_CONNECTING || p.state === STATE_HUB_CONNECTED) p.actions.close(TARGET_HUB, clean);
  p.dpsDeadline = -1;
}

export function stopWith(p: ConnectionPolicy, reason: number, why: string): void {
  if (!p.config.quiet) p.actions.note(NOTE_LEVEL, "stopped: " + why);
  closeAll(p, true);
  p.state = STATE_STOPPED;
  p.deadline = -1;
  report(p, STATUS_STOPPED, reason);
}

/** Reports a status once: a repeat of the last one is not reported again. */
export function report(p: ConnectionPolicy, status: number, reason: number): void {
  if (status === p.lastStatus && reason === p.lastReason) return;
  p.lastStatus = status;
  p.lastReason = reason;
  p.actions.status(status, reason);
}
