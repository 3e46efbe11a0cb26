// The reconnection state machine: sans-I/O, events in, actions out. The driver
// (firmware/device/) reports what happened (network, clock, DPS replies, hub CONNACKs and
// failures, timer expiries) and carries out the actions this machine asks for (open DPS,
// poll, open the hub, close, save or forget the assignment, report a status). It holds one
// deadline at a time; the driver arms a single timer for it and calls tick().
//
// Every row of the reconnection table (README.md, docs/ARCHITECTURE.md) is decided here; classify.ts maps a failure to a verdict,
// backoff.ts and fleet.ts turn verdicts into waits. Randomness comes in through random32.
import {
  classify, createVerdict, dpsCode,
  KIND_HUB_TIMEOUT, KIND_DPS_RESPONSE, KIND_DPS_TIMEOUT,
  ACTION_NONE, ACTION_POLL, ACTION_RETRY, ACTION_THROTTLED, ACTION_REPROVISION, ACTION_CONFIG_ERROR,
  FLAG_SUSPECT_CREDENTIALS, AWAIT_CONNACK, AWAIT_RESPONSE, DPS_FAILED,
} from "./classify";
import {
  Backoff, createBackoff, backoffProfile, backoffReset, backoffNext, backoffSpread,
  PROFILE_NORMAL, PROFILE_SERVER, PROFILE_THROTTLED, PROFILE_SLOW, RETRY_FOREVER, MAX_DELAY_MS,
} from "./backoff";
import { staggerNote } from "../stagger-note";
import { FleetPlan, FleetSettings, staggerDelay, fallbackDelay, warmDelay, renewalDelay, dpsRetrySpread } from "./fleet";
import {
  REASON_NONE, REASON_NO_NETWORK, REASON_UPDATING, REASON_CLOCK_NOT_SET, REASON_EXPIRED_SAS_TOKEN, REASON_BAD_CREDENTIAL,
  REASON_COMMUNICATION_ERROR, REASON_RETRY_EXPIRED, REASON_REPROVISIONING, reasonName,
} from "../status";

// Statuses reported with a REASON_* (status.ts).
export const STATUS_PROVISIONING = 1;
export const STATUS_CONNECTING = 2;
export const STATUS_CONNECTED = 3;
export const STATUS_DISCONNECTED = 4;
export const STATUS_STOPPED = 5;
const STATUS_NAMES = ["", "Provisioning", "Connecting", "Connected", "Disconnected", "Stopped"];

export function statusName(status: number): string {
  return STATUS_NAMES[status] || "Unknown";
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

// What the next attempt goes to.
const TARGET_HUB = 1;
const TARGET_DPS = 2;

// Retry modes.
export const RETRY_EXPONENTIAL = 0;
export const RETRY_NONE = 1;
export const RETRY_CUSTOM = 2;

/** The least time between two DPS polls, and the budget: 5 polls per 10 s. */
const POLL_WINDOW_MS = 10000;
const POLL_BUDGET = 5;
/** Recheck an unsynced clock this often. */
const CLOCK_RECHECK_MS = 1000;
/** After Wi-Fi returns, reconnect within this (attempt 0, jittered). */
const NETWORK_UP_JITTER_MS = 2000;
/** Without a connection this long, hub retries slow down: the wait doubles for each such
 *  span, up to 8x (a hub lost for hours is not hammered at the fleet's full rate). */
const LONG_OUTAGE_MS = 3600000;

/** classify()'s output, filled and read within one call (shared: policies never nest). */
const verdict = createVerdict();

export interface PolicyActions {
  /** Open the DPS connection (TLS, CONNECT with clean session, SUBSCRIBE, register). */
  connectDps(): void;
  /** Publish a status poll on the open DPS connection. */
  pollDps(operationId: string): void;
  /** Close the DPS connection (DISCONNECT first when it is up). */
  closeDps(): void;
  /** Open the hub connection with a fresh token (TLS, CONNECT with clean session off). */
  connectHub(hub: string, deviceId: string): void;
  /** Close the hub connection; clean sends DISCONNECT first. */
  closeHub(clean: boolean): void;
  /** Persist the assignment (the driver skips the flash write when it is unchanged). */
  saveAssignment(hub: string, deviceId: string): void;
  forgetAssignment(): void;
  status(status: number, reason: number): void;
  /** One line about a decision, for the log. */
  note(message: string): void;
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

export class ConnectionPolicy {
  state = STATE_IDLE;
  /** The hub assignment in use (from the cache, DPS or the connection string). */
  assignment: Assignment | undefined;
  /** Consecutive hub failures, and when the streak began (-1: no streak). */
  hubFailures = 0;
  private streakStart = -1;
  /** CONNACK 5 verdicts in a row with a fresh token and a synced clock. */
  private suspectCount = 0;
  /** DPS rounds since the last hub success that returned the same hub. */
  private sameHubRounds = 0;
  private fallingBack = false;
  /** When the deferred DPS round comes due (-1: none); the hub is retried until then. */
  private fallbackAt = -1;
  /** A connection has just ended (or a renewal began): the next hub wait is the spread draw. */
  private spreadNext = false;

  private target = TARGET_HUB;
  private deadline = -1;
  private dpsDeadline = -1;
  private operationId = "";
  private readonly pollTimes = [-1, -1, -1, -1, -1];
  private pollIndex = 0;
  private connectedAt = -1;
  private disconnectedSince = -1;
  private expiredReported = false;
  private networkUp = true;
  /** The driver holds the connection (hold()). */
  private held = false;
  private clockSynced = false;
  private lastStatus = -1;
  private lastReason = -1;
  /** The reason reported with the next attempt's Provisioning / Connecting status. */
  private nextReason = REASON_NONE;

  private readonly backoff: Backoff = createBackoff();
  private backoffProfileInUse = -1;

  constructor(
    private readonly config: PolicyConfig,
    private readonly actions: PolicyActions,
    private readonly random32: () => number,
  ) {}

  /** Starts the device: a cached or configured assignment goes straight to the hub. */
  start(now: number, assignment: Assignment | undefined, networkUp: boolean, clockSynced: boolean): void {
    this.assignment = assignment;
    this.networkUp = networkUp;
    this.clockSynced = clockSynced;
    this.disconnectedSince = now;
    if (assignment) {
      // Warm boot: a region's power returning boots the whole fleet within seconds, so the
      // first attempt is spread over N / cps like the fleet's return after a hub outage.
      this.target = TARGET_HUB;
      const wait = warmDelay(this.config.fleet, this.random32());
      this.actions.note("warm boot: hub in " + wait + " ms (fleet spread)");
      this.report(STATUS_CONNECTING, REASON_NONE);
      this.waitUntil(now + wait);
    } else if (!this.config.useDps) {
      this.stopWith(REASON_BAD_CREDENTIAL, "no hub configured and DPS is off");
    } else {
      // First provisioning of a fleet: a uniform stagger so N devices arrive at DPS's rate.
      this.target = TARGET_DPS;
      const wait = staggerDelay(this.config.fleet, this.random32());
      // Says why and how long: a device that waits minutes before DPS must not look hung.
      this.actions.note(staggerNote(wait, this.config.fleetSettings, this.config.fleet.staggerMaxMs));
      this.report(STATUS_PROVISIONING, REASON_NONE);
      this.waitUntil(now + wait);
    }
  }

  stop(): void {
    this.closeAll(true);
    this.state = STATE_STOPPED;
    this.deadline = -1;
    this.report(STATUS_STOPPED, REASON_NONE);
  }

  /** The time tick() wants to be called, or -1 for none. */
  nextDeadline(): number {
    if (this.state === STATE_DPS_ACTIVE || this.state === STATE_DPS_WAIT_POLL) {
      if (this.deadline < 0) return this.dpsDeadline;
      return this.dpsDeadline >= 0 && this.dpsDeadline - this.deadline < 0 ? this.dpsDeadline : this.deadline;
    }
    return this.deadline;
  }

  setClockSynced(synced: boolean): void {
    this.clockSynced = synced;
  }

  networkChanged(now: number, up: boolean): void {
    if (up === this.networkUp) return;
    const wasBlocked = this.blocked();
    this.networkUp = up;
    this.gateChanged(now, wasBlocked, "network up");
  }

  /**
   * The driver needs the one socket for something else (an update download): on, the hub
   * or DPS link is closed cleanly and nothing is attempted, like a network loss and equally
   * not a failure; off, the next attempt follows as after the network came back.
   */
  hold(now: number, on: boolean): void {
    if (on === this.held) return;
    const wasBlocked = this.blocked();
    this.held = on;
    this.gateChanged(now, wasBlocked, "connection released");
  }

  private blocked(): boolean {
    return !this.networkUp || this.held;
  }

  private blockedReason(): number {
    return this.networkUp ? REASON_UPDATING : REASON_NO_NETWORK;
  }

  private gateChanged(now: number, wasBlocked: boolean, why: string): void {
    if (this.state === STATE_IDLE || this.state === STATE_STOPPED) return;
    if (this.blocked()) {
      if (wasBlocked) {
        if (this.state === STATE_WAIT_NETWORK) this.report(STATUS_DISCONNECTED, this.blockedReason());
        return;
      }
      // Not a failure: no attempt, nothing counted; a pending retry wait is kept.
      if (this.state !== STATE_WAIT_RETRY) this.deadline = -1;
      this.closeAll(this.held);
      if (this.disconnectedSince < 0) this.disconnectedSince = now;
      this.state = STATE_WAIT_NETWORK;
      this.report(STATUS_DISCONNECTED, this.blockedReason());
      return;
    }
    if (!wasBlocked) return;
    // Back: attempt 0, jittered, unless a longer wait (a stagger, a retry-after) is pending.
    const soon = now + (this.random32() >>> 0) % NETWORK_UP_JITTER_MS;
    if (this.target === TARGET_HUB && !this.fallingBack) backoffReset(this.backoff);
    this.note(why + ": next attempt at +" + ((this.deadline - soon > 0 ? this.deadline : soon) - now) + " ms");
    this.waitUntil(this.deadline - soon > 0 ? this.deadline : soon);
  }

  /** The driver's timer fired (or it polls): act on whatever fell due. */
  tick(now: number): void {
    if (this.state === STATE_WAIT_CLOCK) {
      if (this.clockSynced) this.attemptOrWait(now);
      else this.deadline = now + CLOCK_RECHECK_MS;
      return;
    }
    if ((this.state === STATE_DPS_ACTIVE || this.state === STATE_DPS_WAIT_POLL) && this.dpsDeadline >= 0 && now - this.dpsDeadline >= 0) {
      this.dpsFailed(now, KIND_DPS_TIMEOUT, AWAIT_RESPONSE, 0);
      return;
    }
    if (this.deadline < 0 || now - this.deadline < 0) return;
    this.deadline = -1;
    switch (this.state) {
      case STATE_WAIT_RETRY:
        this.attemptOrWait(now);
        break;
      case STATE_DPS_WAIT_POLL:
        this.state = STATE_DPS_ACTIVE;
        this.pollTimes[this.pollIndex] = now;
        this.pollIndex = (this.pollIndex + 1) % POLL_BUDGET;
        this.actions.pollDps(this.operationId);
        break;
      case STATE_DPS_ACTIVE:
        this.dpsFailed(now, KIND_DPS_TIMEOUT, AWAIT_RESPONSE, 0);
        break;
      case STATE_HUB_CONNECTING:
        this.hubFailed(now, KIND_HUB_TIMEOUT, AWAIT_CONNACK);
        break;
      case STATE_HUB_CONNECTED:
        this.renewToken(now);
        break;
      default:
        break;
    }
  }

  // DPS ----------------------------------------------------------------------------------

  /** A DPS reply to register or poll. `allowed` is false when the assigned hub failed the
   *  allow-list (a configuration error on the service side: slow retry). */
  dpsResponse(now: number, status: number, operationStatus: number, retryAfterSeconds: number, operationId: string, hub: string, deviceId: string, allowed: boolean): void {
    if (this.state !== STATE_DPS_ACTIVE) return;
    const action = classify(KIND_DPS_RESPONSE, dpsCode(status, operationStatus), retryAfterSeconds, verdict);
    if (action === ACTION_NONE) {
      if (!allowed) {
        this.note("DPS assigned hub " + hub + ", which is not on the allow-list");
        this.dpsFailed(now, KIND_DPS_RESPONSE, DPS_FAILED, 0);
        return;
      }
      this.assigned(now, hub, deviceId);
      return;
    }
    if (action === ACTION_POLL) {
      // A poll reply may come without an operation id: keep the one we have.
      if (operationId !== "") this.operationId = operationId;
      if (this.operationId === "") {
        this.dpsFailed(now, KIND_DPS_TIMEOUT, AWAIT_RESPONSE, 0);
        return;
      }
      // Never more than 5 polls in 10 s, whatever retry-after says.
      let at = now + verdict.waitMs;
      const oldest = this.pollTimes[this.pollIndex];
      if (oldest >= 0 && at - (oldest + POLL_WINDOW_MS) < 0) at = oldest + POLL_WINDOW_MS;
      this.state = STATE_DPS_WAIT_POLL;
      this.deadline = at;
      return;
    }
    this.dpsFailed(now, KIND_DPS_RESPONSE, dpsCode(status, operationStatus), retryAfterSeconds);
  }

  /** The DPS connection failed (socket, CONNACK, timeout) or DPS refused. */
  dpsFailed(now: number, kind: number, code: number, retryAfterSeconds: number): void {
    if (this.state !== STATE_DPS_ACTIVE && this.state !== STATE_DPS_WAIT_POLL) return;
    this.actions.closeDps();
    this.dpsDeadline = -1;
    classify(kind, code, retryAfterSeconds, verdict);
    this.retryLater(now, TARGET_DPS);
  }

  private assigned(now: number, hub: string, deviceId: string): void {
    const same = this.assignment !== undefined && this.assignment.hub === hub && this.assignment.deviceId === deviceId;
    if (this.fallingBack && same) this.sameHubRounds++;
    else if (!same) this.sameHubRounds = 0;
    this.fallingBack = false;
    this.fallbackAt = -1;
    this.actions.saveAssignment(hub, deviceId);
    this.actions.closeDps();
    this.dpsDeadline = -1;
    this.assignment = { hub: hub, deviceId: deviceId };
    this.note("DPS assigned " + deviceId + " to " + hub + (same ? " (unchanged)" : ""));
    // A new hub round: the streak and the backoff start over.
    this.hubFailures = 0;
    this.streakStart = -1;
    this.suspectCount = 0;
    this.spreadNext = false;
    this.target = TARGET_HUB;
    backoffReset(this.backoff);
    this.attemptOrWait(now);
  }

  // Hub ----------------------------------------------------------------------------------

  /** CONNACK 0. */
  hubConnected(now: number): void {
    if (this.state !== STATE_HUB_CONNECTING) return;
    this.state = STATE_HUB_CONNECTED;
    this.connectedAt = now;
    this.disconnectedSince = -1;
    this.expiredReported = false;
    this.suspectCount = 0;
    this.sameHubRounds = 0;
    // The hub answered before a deferred DPS round came due: that round is cancelled.
    this.fallingBack = false;
    this.fallbackAt = -1;
    this.spreadNext = false;
    // A random renewal point: a fleet that connected together does not renew together.
    this.deadline = this.config.renewAfterMs > 0 ? now + renewalDelay(this.config.fleet, this.config.renewAfterMs, this.random32()) : -1;
    this.report(STATUS_CONNECTED, REASON_NONE);
  }

  /**
   * The hub connection failed or ended: kind is KIND_HUB_SOCKET (code SOCKET_*),
   * KIND_HUB_TIMEOUT (code AWAIT_*) or KIND_HUB_CONNACK (the return code).
   */
  hubFailed(now: number, kind: number, code: number): void {
    if (this.state !== STATE_HUB_CONNECTING && this.state !== STATE_HUB_CONNECTED) return;
    const wasConnected = this.state === STATE_HUB_CONNECTED;
    this.actions.closeHub(false);
    // A connection that held long enough ends the streak: this failure starts a new one.
    if (wasConnected && now - this.connectedAt >= this.config.stableMs) this.endStreak();
    // Whoever was connected may have lost the hub with the whole fleet: the spread draw.
    if (wasConnected) this.spreadNext = true;
    if (this.disconnectedSince < 0) this.disconnectedSince = now;
    const action = classify(kind, code, 0, verdict);
    if (action === ACTION_RETRY && (verdict.flags & FLAG_SUSPECT_CREDENTIALS) !== 0) {
      // Every attempt signs a fresh token after the clock was synced, so a second CONNACK 5
      // in a row means the hub no longer knows this identity.
      this.suspectCount++;
      if (this.suspectCount >= 2) {
        this.suspectCount = 0;
        if (this.config.useDps) {
          this.fallBackToDps(now, "the hub refused a fresh token twice (CONNACK 5)", REASON_REPROVISIONING);
        } else {
          // Hub-only: nothing to re-register with; the key or the device is wrong.
          verdict.action = ACTION_CONFIG_ERROR;
          verdict.reason = REASON_BAD_CREDENTIAL;
          this.retryLater(now, TARGET_HUB);
        }
        return;
      }
    } else {
      this.suspectCount = 0;
    }
    if (action === ACTION_REPROVISION && this.config.useDps) {
      this.fallBackToDps(now, "the hub no longer accepts this device", REASON_REPROVISIONING);
      return;
    }
    this.hubFailures++;
    if (this.streakStart < 0) this.streakStart = now;
    if (this.fallbackAt >= 0) {
      this.retryHubUntilFallback(now);
      return;
    }
    if (this.config.useDps && this.hubFailures >= this.config.hubFailuresBeforeDps && now - this.streakStart >= this.config.hubMinMsBeforeDps) {
      this.deferFallback(now, this.hubFailures + " failures in " + Math.floor((now - this.streakStart) / 1000) + " s on " + (this.assignment ? this.assignment.hub : "?"));
      return;
    }
    this.retryLater(now, TARGET_HUB);
  }

  /**
   * 10 failures and 15 minutes on the hub: DPS is due at a random time within the fleet's
   * spread, and until then the hub is still retried, so a hub that comes back first costs no
   * DPS round (the fleet simulator: 0.01 instead of 1 registration per device after a long
   * outage, and the fleet back at the hub's rate instead of DPS's).
   */
  private deferFallback(now: number, why: string): void {
    const wait = fallbackDelay(this.config.fleet, this.sameHubRounds, this.random32());
    this.note("DPS due in " + wait + " ms unless the hub answers first: " + why);
    this.fallingBack = true;
    this.hubFailures = 0;
    this.streakStart = -1;
    this.fallbackAt = now + wait;
    this.retryHubUntilFallback(now);
  }

  /** The next hub retry, or the DPS round if that comes due first. */
  private retryHubUntilFallback(now: number): void {
    this.retryLater(now, TARGET_HUB);
    if (this.state === STATE_WAIT_RETRY && this.deadline - this.fallbackAt >= 0) {
      this.target = TARGET_DPS;
      this.deadline = this.fallbackAt;
    }
  }

  /** A Reprovision direct method or desired flag: forget the hub and run DPS now. */
  requestReprovision(now: number): void {
    if (!this.config.useDps || this.state === STATE_STOPPED || this.state === STATE_IDLE) return;
    this.closeAll(true);
    this.actions.forgetAssignment();
    this.assignment = undefined;
    this.fallingBack = false;
    this.fallbackAt = -1;
    this.sameHubRounds = 0;
    this.target = TARGET_DPS;
    this.nextReason = REASON_REPROVISIONING;
    this.attemptOrWait(now);
  }

  private renewToken(now: number): void {
    // MQTT 3.1.1 cannot re-authenticate a live session: clean DISCONNECT, new token, CONNECT.
    this.note("token at 80 % of its lifetime or later (fleet spread): reconnecting with a new one");
    // The connection held: an old failure streak must not count against the renewal.
    if (now - this.connectedAt >= this.config.stableMs) this.endStreak();
    this.actions.closeHub(true);
    this.target = TARGET_HUB;
    this.nextReason = REASON_EXPIRED_SAS_TOKEN;
    this.attemptOrWait(now);
  }

  private endStreak(): void {
    this.hubFailures = 0;
    this.streakStart = -1;
    this.spreadNext = true;
    backoffReset(this.backoff);
  }

  private fallBackToDps(now: number, why: string, reason: number): void {
    // Spread the fleet's return to DPS like its first boot, doubled for each DPS round that
    // gave back the same hub.
    const wait = fallbackDelay(this.config.fleet, this.sameHubRounds, this.random32());
    this.note("back to DPS in " + wait + " ms: " + why);
    this.fallingBack = true;
    this.fallbackAt = -1;
    this.hubFailures = 0;
    this.streakStart = -1;
    this.target = TARGET_DPS;
    this.nextReason = reason === REASON_REPROVISIONING ? REASON_REPROVISIONING : REASON_NONE;
    this.report(STATUS_DISCONNECTED, reason);
    this.waitUntil(now + wait);
  }

  // Scheduling ---------------------------------------------------------------------------

  /** After a failure: wait as the verdict says, then try `target` again. */
  private retryLater(now: number, target: number): void {
    this.target = target;
    const v = verdict;
    const reason = v.reason === REASON_NONE ? REASON_COMMUNICATION_ERROR : v.reason;
    const expired = this.disconnectedSince >= 0 && now - this.disconnectedSince >= this.config.operationTimeoutMs;
    if (expired && !this.expiredReported) {
      this.expiredReported = true;
      this.note("disconnected for " + Math.floor((now - this.disconnectedSince) / 1000) + " s: retry expired");
      if (this.config.stopOnRetryExpired) {
        this.stopWith(REASON_RETRY_EXPIRED, "configured to stop when retries expire");
        return;
      }
    }
    let wait = this.waitFor(v.action, v.profile, v.waitMs, reason);
    if (wait < 0) {
      this.stopWith(REASON_RETRY_EXPIRED, "the retry policy gave up");
      return;
    }
    if (target === TARGET_HUB) {
      const spans = this.disconnectedSince >= 0 && v.action === ACTION_RETRY ? Math.floor((now - this.disconnectedSince) / LONG_OUTAGE_MS) : 0;
      if (spans > 0) wait = wait * (spans >= 3 ? 8 : spans === 2 ? 4 : 2);
      wait += this.config.hubMinGapMs;
      if (wait > MAX_DELAY_MS) wait = MAX_DELAY_MS;
    }
    else if (this.config.retryMode === RETRY_EXPONENTIAL && this.disconnectedSince >= 0) {
      // DPS failed: spread the next request in proportion to how long the device has been
      // without a connection, so a fleet that failed together drains within DPS's quota.
      const spread = dpsRetrySpread(this.config.fleet, now - this.disconnectedSince, this.random32());
      if (spread > wait) wait = spread;
    }
    this.report(STATUS_DISCONNECTED, this.expiredReported ? REASON_RETRY_EXPIRED : reason);
    this.note("retry " + (target === TARGET_DPS ? "DPS" : "hub") + " in " + wait + " ms (" + reasonName(reason) + ", attempt " + this.backoff.attempts + ")");
    this.waitUntil(now + wait);
  }

  /** The wait for a verdict, or -1 when the retry policy says stop. */
  private waitFor(action: number, profile: number, serviceWaitMs: number, reason: number): number {
    if (this.config.retryMode === RETRY_NONE) return -1;
    if (action === ACTION_CONFIG_ERROR) profile = PROFILE_SLOW;
    else if (action === ACTION_THROTTLED && serviceWaitMs <= 0) profile = PROFILE_THROTTLED;
    else if (profile !== PROFILE_SERVER && profile !== PROFILE_THROTTLED && profile !== PROFILE_SLOW) profile = PROFILE_NORMAL;
    if (this.config.retryMode === RETRY_CUSTOM && this.config.customDelay) {
      const custom = this.config.customDelay(this.backoff.attempts, reason);
      this.backoff.attempts++;
      return custom < 0 ? -1 : custom > MAX_DELAY_MS ? MAX_DELAY_MS : Math.floor(custom);
    }
    if (profile !== this.backoffProfileInUse) {
      backoffProfile(this.backoff, profile, this.config.fleet.capMs, this.config.maxAttempts);
      this.backoffProfileInUse = profile;
    }
    // The first wait after a connection ended is the fleet's spread draw (backoffSpread), over
    // the fleet's window or the backoff's own when a short connection left it wider.
    const b = this.backoff;
    const drawn = this.spreadNext && profile === PROFILE_NORMAL
      ? backoffSpread(b, b.windowMs > this.config.fleet.spreadMs ? b.windowMs : this.config.fleet.spreadMs, this.random32(), this.random32())
      : backoffNext(b, this.random32());
    this.spreadNext = false;
    if (drawn < 0) return -1;
    if (serviceWaitMs > 0) {
      // retry-after is a floor: the service's wait plus up to a fifth more, so a fleet told
      // the same retry-after does not come back in the same instant.
      const spread = Math.floor(serviceWaitMs / 5);
      return serviceWaitMs + (spread > 0 ? (this.random32() >>> 0) % (spread + 1) : 0);
    }
    return drawn;
  }

  /** Connect to the target now, unless the network or the clock says wait. */
  private attemptOrWait(now: number): void {
    this.deadline = -1;
    if (this.blocked()) {
      this.state = STATE_WAIT_NETWORK;
      this.report(STATUS_DISCONNECTED, this.blockedReason());
      return;
    }
    if (this.config.needsClock && !this.clockSynced) {
      // Never sign a token with a wrong clock.
      this.state = STATE_WAIT_CLOCK;
      this.deadline = now + CLOCK_RECHECK_MS;
      this.report(STATUS_DISCONNECTED, REASON_CLOCK_NOT_SET);
      return;
    }
    const reason = this.nextReason;
    this.nextReason = REASON_NONE;
    if (this.target === TARGET_DPS || !this.assignment) {
      this.state = STATE_DPS_ACTIVE;
      this.operationId = "";
      this.dpsDeadline = now + this.config.dpsTimeoutMs;
      this.report(STATUS_PROVISIONING, reason);
      this.actions.connectDps();
      return;
    }
    this.state = STATE_HUB_CONNECTING;
    this.deadline = now + this.config.connectTimeoutMs;
    this.report(STATUS_CONNECTING, reason);
    this.actions.connectHub(this.assignment.hub, this.assignment.deviceId);
  }

  private waitUntil(at: number): void {
    this.deadline = at;
    this.state = this.blocked() ? STATE_WAIT_NETWORK : STATE_WAIT_RETRY;
    if (this.blocked()) this.report(STATUS_DISCONNECTED, this.blockedReason());
  }

  private closeAll(clean: boolean): void {
    if (this.state === STATE_DPS_ACTIVE || this.state === STATE_DPS_WAIT_POLL) this.actions.closeDps();
    if (this.state === STATE_HUB_CONNECTING || this.state === STATE_HUB_CONNECTED) this.actions.closeHub(clean);
    this.dpsDeadline = -1;
  }

  private stopWith(reason: number, why: string): void {
    this.note("stopped: " + why);
    this.closeAll(true);
    this.state = STATE_STOPPED;
    this.deadline = -1;
    this.report(STATUS_STOPPED, reason);
  }

  private report(status: number, reason: number): void {
    if (status === this.lastStatus && reason === this.lastReason) return;
    this.lastStatus = status;
    this.lastReason = reason;
    this.actions.status(status, reason);
  }

  private note(message: string): void {
    this.actions.note(message);
  }
}
