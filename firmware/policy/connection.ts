// The reconnection state machine: sans-I/O, events in, actions out. The driver
// (firmware/device/) reports what happened (network, clock, DPS replies, hub CONNACKs and
// failures, timer expiries) and carries out the actions this machine asks for (open DPS,
// poll, open the hub, close, save or forget the assignment, report a status). It holds one
// deadline at a time; the driver arms a single timer for it and calls tick().
//
// Every row of the reconnection table (README.md, docs/ARCHITECTURE.md) is decided by this
// machine, in four files: this one (its state, the boot, the gates, the timer), attempts.ts
// (the wait after a failure and the next attempt), provisioning.ts (DPS, and going back to it)
// and hub-link.ts (the hub connection and its token). classify.ts maps a failure to a
// verdict; backoff.ts and fleet.ts turn verdicts into waits. Randomness comes in through
// random32. The interface with the driver is connection-api.ts, re-exported here.
import { KIND_HUB_TIMEOUT, KIND_DPS_TIMEOUT, AWAIT_CONNACK, AWAIT_RESPONSE } from "./classify";
import { Backoff, backoffReset, DEFAULT_MIN_MS, DEFAULT_CAP_MS, RETRY_FOREVER } from "./backoff";
import { staggerNote } from "../stagger-note";
import { staggerDelay, warmDelay } from "./fleet";
import {
  PolicyActions, PolicyConfig, Assignment,
  STATUS_PROVISIONING, STATUS_CONNECTING, STATUS_DISCONNECTED, STATUS_STOPPED,
  STATE_IDLE, STATE_WAIT_NETWORK, STATE_WAIT_CLOCK, STATE_WAIT_RETRY, STATE_DPS_ACTIVE, STATE_DPS_WAIT_POLL,
  STATE_HUB_CONNECTING, STATE_HUB_CONNECTED, STATE_STOPPED, NOTE_LEVEL,
} from "./connection-api";
import {
  TARGET_HUB, TARGET_DPS, CLOCK_RECHECK_MS, blocked, blockedReason, attemptOrWait, waitUntil, closeAll, stopWith, report,
} from "./attempts";
import { dpsResponse, dpsFailed, requestReprovision, POLL_BUDGET } from "./provisioning";
import { hubConnected, hubFailed, renewToken } from "./hub-link";
import { REASON_NONE, REASON_BAD_CREDENTIAL } from "../status";

export {
  STATUS_PROVISIONING, STATUS_CONNECTING, STATUS_CONNECTED, STATUS_DISCONNECTED, STATUS_STOPPED, statusName,
  STATE_IDLE, STATE_WAIT_NETWORK, STATE_WAIT_CLOCK, STATE_WAIT_RETRY, STATE_DPS_ACTIVE, STATE_DPS_WAIT_POLL,
  STATE_HUB_CONNECTING, STATE_HUB_CONNECTED, STATE_STOPPED, RETRY_EXPONENTIAL, RETRY_NONE, RETRY_CUSTOM, defaultPolicyConfig,
  TARGET_HUB, TARGET_DPS, NOTE_LEVEL,
} from "./connection-api";
export type { PolicyActions, PolicyConfig, Assignment } from "./connection-api";

/** After Wi-Fi returns, reconnect within this (attempt 0, jittered). */
const NETWORK_UP_JITTER_MS = 2000;

export class ConnectionPolicy implements Backoff {
  state = STATE_IDLE;
  /** The hub assignment in use (from the cache, DPS or the connection string). */
  assignment: Assignment | undefined;
  /** Consecutive hub failures, and when the streak began (-1: no streak). */
  hubFailures = 0;

  // The rest of the state is the policy's own: read and written here and by its parts
  // (attempts.ts, provisioning.ts, hub-link.ts), never by the driver.
  /** @internal */ streakStart = -1;
  /** CONNACK 5 verdicts in a row with a fresh token and a synced clock. @internal */
  suspectCount = 0;
  /** DPS rounds since the last hub success that returned the same hub. @internal */
  sameHubRounds = 0;
  /** @internal */ fallingBack = false;
  /** When the deferred DPS round comes due (-1: none); the hub is retried until then. @internal */
  fallbackAt = -1;
  /** A connection has just ended (or a renewal began): the next hub wait is the spread draw. @internal */
  spreadNext = false;
  /** What the next attempt goes to (TARGET_*). @internal */
  target = TARGET_HUB;
  /** @internal */ deadline = -1;
  /** @internal */ dpsDeadline = -1;
  /** @internal */ operationId = "";
  /** @internal */ readonly pollTimes = [-1, -1, -1, -1, -1];
  /** @internal */ pollIndex = 0;
  /** @internal */ connectedAt = -1;
  /** @internal */ disconnectedSince = -1;
  /** @internal */ expiredReported = false;
  /** @internal */ networkUp = true;
  /** The driver holds the connection (hold()). @internal */
  held = false;
  /** @internal */ clockSynced = false;
  /** @internal */ lastStatus = -1;
  /** @internal */ lastReason = -1;
  /** The reason reported with the next attempt's Provisioning / Connecting status. @internal */
  nextReason = REASON_NONE;
  // The policy is its own backoff context (backoff.ts's functions take any object with these
  // five fields, as createBackoff() makes them): one object fewer per device.
  /** Waits handed out since the backoff's last reset. @internal */
  attempts = 0;
  /** @internal */ windowMs = 2 * DEFAULT_MIN_MS;
  /** @internal */ baseMs = DEFAULT_MIN_MS;
  /** @internal */ capMs = DEFAULT_CAP_MS;
  /** @internal */ maxAttempts = RETRY_FOREVER;
  /** The backoff profile those fields were set for (PROFILE_*). @internal */
  backoffProfileInUse = -1;

  // Written in provisioning.ts and hub-link.ts, installed on the prototype below.
  /** A DPS reply to register or poll. `allowed` is false when the assigned hub failed the
   *  allow-list (a configuration error on the service side: slow retry). */
  declare dpsResponse: typeof dpsResponse;
  /** The DPS connection failed (socket, CONNACK, timeout) or DPS refused. */
  declare dpsFailed: typeof dpsFailed;
  /** A Reprovision direct method or desired flag: forget the hub and run DPS now. */
  declare requestReprovision: typeof requestReprovision;
  /** CONNACK 0. */
  declare hubConnected: typeof hubConnected;
  /** The hub connection failed or ended: kind is KIND_HUB_SOCKET (code SOCKET_*),
   *  KIND_HUB_TIMEOUT (code AWAIT_*) or KIND_HUB_CONNACK (the return code). */
  declare hubFailed: typeof hubFailed;

  constructor(
    /** @internal */ readonly config: PolicyConfig,
    /** @internal */ readonly actions: PolicyActions,
    /** @internal */ readonly random32: () => number,
  ) {}

  /** Starts the device: a cached or configured assignment goes straight to the hub. */
  start(now: number, assignment: Assignment | undefined, networkUp: boolean, clockSynced: boolean): void {
    const config = this.config;
    this.assignment = assignment;
    this.networkUp = networkUp;
    this.clockSynced = clockSynced;
    this.disconnectedSince = now;
    if (assignment) {
      // Warm boot: a region's power returning boots the whole fleet within seconds, so the
      // first attempt is spread over N / cps like the fleet's return after a hub outage.
      this.target = TARGET_HUB;
      const wait = warmDelay(config.fleet, this.random32());
      if (!config.quiet) this.actions.note(NOTE_LEVEL, "warm boot: hub in " + wait + " ms (fleet spread)");
      report(this, STATUS_CONNECTING, REASON_NONE);
      waitUntil(this, now + wait);
    } else if (!config.useDps) {
      stopWith(this, REASON_BAD_CREDENTIAL, "no hub configured and DPS is off");
    } else {
      // First provisioning of a fleet: a uniform stagger so N devices arrive at DPS's rate.
      this.target = TARGET_DPS;
      const wait = staggerDelay(config.fleet, this.random32());
      // Says why and how long: a device that waits minutes before DPS must not look hung.
      if (!config.quiet) this.actions.note(NOTE_LEVEL, staggerNote(wait, config.fleetSettings, config.fleet.staggerMaxMs));
      report(this, STATUS_PROVISIONING, REASON_NONE);
      waitUntil(this, now + wait);
    }
  }

  stop(): void {
    closeAll(this, true);
    this.state = STATE_STOPPED;
    this.deadline = -1;
    report(this, STATUS_STOPPED, REASON_NONE);
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
    const wasBlocked = blocked(this);
    this.networkUp = up;
    gateChanged(this, now, wasBlocked, "network up");
  }

  /**
   * The driver needs the one socket for something else (an update download): on, the hub
   * or DPS link is closed cleanly and nothing is attempted, like a network loss and equally
   * not a failure; off, the next attempt follows as after the network came back.
   */
  hold(now: number, on: boolean): void {
    if (on === this.held) return;
    const wasBlocked = blocked(this);
    this.held = on;
    gateChanged(this, now, wasBlocked, "connection released");
  }

  /** The driver's timer fired (or it polls): act on whatever fell due. */
  tick(now: number): void {
    if (this.state === STATE_WAIT_CLOCK) {
      if (this.clockSynced) attemptOrWait(this, now);
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
        attemptOrWait(this, now);
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
        renewToken(this, now);
        break;
      default:
        break;
    }
  }
}

// One function object each, as when they were written in the class.
ConnectionPolicy.prototype.dpsResponse = dpsResponse;
ConnectionPolicy.prototype.dpsFailed = dpsFailed;
ConnectionPolicy.prototype.requestReprovision = requestReprovision;
ConnectionPolicy.prototype.hubConnected = hubConnected;
ConnectionPolicy.prototype.hubFailed = hubFailed;

/** The network or the driver's hold changed: stop attempting, or attempt again soon. */
function gateChanged(p: ConnectionPolicy, now: number, wasBlocked: boolean, why: string): void {
  if (p.state === STATE_IDLE || p.state === STATE_STOPPED) return;
  if (blocked(p)) {
    if (wasBlocked) {
      if (p.state === STATE_WAIT_NETWORK) report(p, STATUS_DISCONNECTED, blockedReason(p));
      return;
    }
    // Not a failure: no attempt, nothing counted; a pending retry wait is kept.
    if (p.state !== STATE_WAIT_RETRY) p.deadline = -1;
    closeAll(p, p.held);
    if (p.disconnectedSince < 0) p.disconnectedSince = now;
    p.state = STATE_WAIT_NETWORK;
    report(p, STATUS_DISCONNECTED, blockedReason(p));
    return;
  }
  if (!wasBlocked) return;
  // Back: attempt 0, jittered, unless a longer wait (a stagger, a retry-after) is pending.
  const soon = now + (p.random32() >>> 0) % NETWORK_UP_JITTER_MS;
  if (p.target === TARGET_HUB && !p.fallingBack) backoffReset(p);
  const at = p.deadline - soon > 0 ? p.deadline : soon;
  if (!p.config.quiet) p.actions.note(NOTE_LEVEL, why + ": next attempt at +" + (at - now) + " ms");
  waitUntil(p, at);
}
