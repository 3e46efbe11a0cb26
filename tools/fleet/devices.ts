// Device policies for the fleet simulator, each over typed arrays (one slot per device).
//
// OursModel is firmware/policy/connection.ts's ConnectionPolicy restated over typed arrays
// for the events the simulator produces (network up, clock synced, no CONNACK 5): every
// decision calls the real policy code (classify, backoffProfile/backoffNext/backoffReset on
// one shared Backoff whose fields are loaded from and stored to the arrays, staggerDelay,
// fallbackDelay), in the same order and with the same random draws as ConnectionPolicy;
// test/fleet/devices.test.ts runs both side by side and requires identical runs.
// `ours` is ConnectionPolicy as it is: after 10 failures and 15 minutes the device keeps
// retrying its hub while the DPS fallback spread runs down, and a hub success in that time
// cancels the DPS round. `dps-at-spread` (proposed = false) is the earlier rule, which
// stopped trying the hub and waited for DPS: kept for comparison.
//
// BaselineModel is the same device life (DPS polling, retry-after, renewal at 80 %) with
// another SDK's retry delay and none of the fleet sizing.
import type { Backoff } from "../../firmware/policy/backoff";
import type { FleetPlan } from "../../firmware/policy/fleet";
import * as backoffModule from "../../firmware/policy/backoff";
import * as classifyModule from "../../firmware/policy/classify";
import * as fleetModule from "../../firmware/policy/fleet";
import { defaultPolicyConfig } from "../../firmware/policy/connection";
import type { Core, DeviceModel } from "./sim";
import { RENEW_MS } from "./sim";

// tsx turns every use of an imported binding into a getter call (a fifth of the run time in
// a profile); plain constants read once at load keep them out of the event loop.
const { createBackoff, backoffProfile, backoffNext, backoffReset, azRetryDelay } = backoffModule;
const { PROFILE_NORMAL, PROFILE_SERVER, PROFILE_THROTTLED, PROFILE_SLOW, RETRY_FOREVER, MAX_DELAY_MS, DEFAULT_MIN_MS, DEFAULT_CAP_MS } = backoffModule;
const { classify, createVerdict, dpsCode, KIND_DPS_RESPONSE, ACTION_NONE, ACTION_POLL, ACTION_THROTTLED, ACTION_CONFIG_ERROR, ACTION_RETRY, FLAG_SUSPECT_CREDENTIALS } = classifyModule;
const { staggerDelay, fallbackDelay } = fleetModule;

// States (the ConnectionPolicy's numbers).
const ST_WAIT_RETRY = 3;
const ST_DPS_ACTIVE = 4;
const ST_DPS_WAIT_POLL = 5;
const ST_HUB_CONNECTING = 6;
const ST_HUB_CONNECTED = 7;

const TARGET_HUB = 1;
const TARGET_DPS = 2;

const POLL_WINDOW_MS = 10000;
const POLL_BUDGET = 5;

// OursModel per-device fields (Int32 each, F_SIZE per device).
const F_ST = 0;
const F_TARGET = 1;
const F_HUB = 2;
const F_FAILURES = 3;
const F_STREAK_START = 4;
const F_SAME_HUB_ROUNDS = 5;
const F_FALLING_BACK = 6;
const F_FALLBACK_AT = 7;
const F_BO_ATTEMPTS = 8;
const F_BO_WINDOW = 9;
const F_BO_PROFILE = 10;
const F_CONNECTED_AT = 11;
const F_POLL_INDEX = 12;
const F_SIZE = 16;

export class OursModel implements DeviceModel {
  readonly name: string;
  readonly connectTimeoutMs: number;
  private readonly core: Core;
  private readonly plan: FleetPlan;
  private readonly proposed: boolean;
  private readonly renewAfterMs: number;
  private readonly failuresBeforeDps: number;
  private readonly msBeforeDps: number;
  private readonly stableMs: number;
  private readonly maxAttempts: number;

  /** Per device, side by side (one cache line): the F_* fields. */
  private readonly s: Int32Array;
  private readonly pollTimes: Int32Array;

  /** The one Backoff every device's fields pass through, and each profile's fixed fields. */
  private readonly b: Backoff = createBackoff();
  private readonly baseOf = new Int32Array(8);
  private readonly capOf = new Int32Array(8);
  private readonly maxOf = new Int32Array(8);
  private readonly verdict = createVerdict();

  constructor(core: Core, plan: FleetPlan, proposed: boolean) {
    const n = core.n;
    this.core = core;
    this.plan = plan;
    this.proposed = proposed;
    this.name = proposed ? "ours" : "dps-at-spread";
    const config = defaultPolicyConfig(plan);
    this.renewAfterMs = config.renewAfterMs;
    this.failuresBeforeDps = config.hubFailuresBeforeDps;
    this.msBeforeDps = config.hubMinMsBeforeDps;
    this.stableMs = config.stableMs;
    this.maxAttempts = config.maxAttempts;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.s = new Int32Array(F_SIZE * n);
    for (let d = 0; d < n; d++) {
      const k = F_SIZE * d;
      this.s[k + F_TARGET] = TARGET_HUB;
      this.s[k + F_STREAK_START] = -1;
      this.s[k + F_FALLBACK_AT] = -1;
      this.s[k + F_BO_WINDOW] = 2 * DEFAULT_MIN_MS; // createBackoff()'s window
      this.s[k + F_BO_PROFILE] = -1;
      this.s[k + F_CONNECTED_AT] = -1;
    }
    this.pollTimes = new Int32Array(POLL_BUDGET * n).fill(-1);
    // Profile p's base, cap and limit, as backoffProfile sets them; -1 (index 7): createBackoff().
    for (const p of [PROFILE_NORMAL, PROFILE_SERVER, PROFILE_THROTTLED, PROFILE_SLOW]) {
      const t = createBackoff();
      backoffProfile(t, p, plan.capMs, this.maxAttempts);
      this.baseOf[p] = t.baseMs;
      this.capOf[p] = t.capMs;
      this.maxOf[p] = t.maxAttempts;
    }
    this.baseOf[7] = DEFAULT_MIN_MS;
    this.capOf[7] = DEFAULT_CAP_MS;
    this.maxOf[7] = RETRY_FOREVER;
  }

  private load(d: number): Backoff {
    const p = this.s[F_SIZE * d + F_BO_PROFILE];
    const k = p < 0 ? 7 : p;
    const b = this.b;
    b.baseMs = this.baseOf[k];
    b.capMs = this.capOf[k];
    b.maxAttempts = this.maxOf[k];
    b.attempts = this.s[F_SIZE * d + F_BO_ATTEMPTS];
    b.windowMs = this.s[F_SIZE * d + F_BO_WINDOW];
    return b;
  }

  private store(d: number): void {
    this.s[F_SIZE * d + F_BO_ATTEMPTS] = this.b.attempts;
    this.s[F_SIZE * d + F_BO_WINDOW] = this.b.windowMs;
  }

  private resetBackoff(d: number): void {
    backoffReset(this.load(d));
    this.store(d);
  }

  boot(d: number, now: number, cachedHub: number): void {
    if (cachedHub !== 0) {
      this.s[F_SIZE * d + F_HUB] = cachedHub;
      this.s[F_SIZE * d + F_TARGET] = TARGET_HUB;
      this.attemptOrWait(d, now);
    } else {
      // First provisioning: the fleet stagger.
      this.s[F_SIZE * d + F_TARGET] = TARGET_DPS;
      this.waitUntil(d, now + staggerDelay(this.plan, this.core.rand()));
    }
  }

  timer(d: number, now: number): void {
    switch (this.s[F_SIZE * d + F_ST]) {
      case ST_WAIT_RETRY:
        this.attemptOrWait(d, now);
        break;
      case ST_DPS_WAIT_POLL: {
        this.s[F_SIZE * d + F_ST] = ST_DPS_ACTIVE;
        const i = this.s[F_SIZE * d + F_POLL_INDEX];
        this.pollTimes[POLL_BUDGET * d + i] = now;
        this.s[F_SIZE * d + F_POLL_INDEX] = (i + 1) % POLL_BUDGET;
        this.core.setTimer(d, -1);
        this.core.pollDps(d, now);
        break;
      }
      case ST_HUB_CONNECTED:
        // Token at 80 %: clean DISCONNECT, new token, CONNECT; not a failure. A connection
        // that held ends an old failure streak (ConnectionPolicy.renewToken).
        if (now - this.s[F_SIZE * d + F_CONNECTED_AT] >= this.stableMs) {
          this.s[F_SIZE * d + F_FAILURES] = 0;
          this.s[F_SIZE * d + F_STREAK_START] = -1;
          this.resetBackoff(d);
        }
        this.s[F_SIZE * d + F_TARGET] = TARGET_HUB;
        this.attemptOrWait(d, now);
        break;
    }
  }

  // DPS ----------------------------------------------------------------------------------

  dpsReply(d: number, now: number, status: number, opStatus: number, retryAfterS: number, hub: number): void {
    if (this.s[F_SIZE * d + F_ST] !== ST_DPS_ACTIVE) return;
    const code = dpsCode(status, opStatus);
    const action = classify(KIND_DPS_RESPONSE, code, retryAfterS, this.verdict);
    if (action === ACTION_NONE) {
      this.assigned(d, now, hub);
      return;
    }
    if (action === ACTION_POLL) {
      // Never more than 5 polls in 10 s, whatever retry-after says.
      let at = now + this.verdict.waitMs;
      const oldest = this.pollTimes[POLL_BUDGET * d + this.s[F_SIZE * d + F_POLL_INDEX]];
      if (oldest >= 0 && at - (oldest + POLL_WINDOW_MS) < 0) at = oldest + POLL_WINDOW_MS;
      this.s[F_SIZE * d + F_ST] = ST_DPS_WAIT_POLL;
      this.core.setTimer(d, at);
      return;
    }
    this.dpsFailedWith(d, now, KIND_DPS_RESPONSE, code, retryAfterS);
  }

  dpsFailed(d: number, now: number, kind: number, code: number): void {
    this.dpsFailedWith(d, now, kind, code, 0);
  }

  private dpsFailedWith(d: number, now: number, kind: number, code: number, retryAfterS: number): void {
    const s = this.s[F_SIZE * d + F_ST];
    if (s !== ST_DPS_ACTIVE && s !== ST_DPS_WAIT_POLL) return;
    classify(kind, code, retryAfterS, this.verdict);
    this.retryLater(d, now, TARGET_DPS);
  }

  private assigned(d: number, now: number, hub: number): void {
    const same = this.s[F_SIZE * d + F_HUB] !== 0 && this.s[F_SIZE * d + F_HUB] === hub;
    if (this.s[F_SIZE * d + F_FALLING_BACK] !== 0 && same) this.s[F_SIZE * d + F_SAME_HUB_ROUNDS]++;
    else if (!same) this.s[F_SIZE * d + F_SAME_HUB_ROUNDS] = 0;
    this.s[F_SIZE * d + F_FALLING_BACK] = 0;
    if (this.proposed) this.s[F_SIZE * d + F_FALLBACK_AT] = -1;
    this.s[F_SIZE * d + F_HUB] = hub;
    this.s[F_SIZE * d + F_FAILURES] = 0;
    this.s[F_SIZE * d + F_STREAK_START] = -1;
    this.s[F_SIZE * d + F_TARGET] = TARGET_HUB;
    this.resetBackoff(d);
    this.attemptOrWait(d, now);
  }

  // Hub ----------------------------------------------------------------------------------

  hubConnected(d: number, now: number): void {
    if (this.s[F_SIZE * d + F_ST] !== ST_HUB_CONNECTING) return;
    this.s[F_SIZE * d + F_ST] = ST_HUB_CONNECTED;
    this.s[F_SIZE * d + F_CONNECTED_AT] = now;
    this.s[F_SIZE * d + F_SAME_HUB_ROUNDS] = 0;
    if (this.proposed && this.s[F_SIZE * d + F_FALLING_BACK] !== 0) {
      // The hub is back before the fallback came due: no DPS round.
      this.s[F_SIZE * d + F_FALLING_BACK] = 0;
      this.s[F_SIZE * d + F_FALLBACK_AT] = -1;
    }
    this.core.setTimer(d, this.renewAfterMs > 0 ? now + this.renewAfterMs : -1);
  }

  hubFailed(d: number, now: number, kind: number, code: number): void {
    const s = this.s[F_SIZE * d + F_ST];
    if (s !== ST_HUB_CONNECTING && s !== ST_HUB_CONNECTED) return;
    if (s === ST_HUB_CONNECTED && now - this.s[F_SIZE * d + F_CONNECTED_AT] >= this.stableMs) {
      this.s[F_SIZE * d + F_FAILURES] = 0;
      this.s[F_SIZE * d + F_STREAK_START] = -1;
      this.resetBackoff(d);
    }
    // Hub failures in this model are sockets, timeouts and CONNACK 3: ACTION_RETRY, never
    // suspect credentials (the CONNACK 5 rows need a refused token, not modelled).
    const action = classify(kind, code, 0, this.verdict);
    if (action !== ACTION_RETRY || (this.verdict.flags & FLAG_SUSPECT_CREDENTIALS) !== 0) throw new Error(`unmodelled hub verdict ${action}`);
    this.s[F_SIZE * d + F_FAILURES]++;
    if (this.s[F_SIZE * d + F_STREAK_START] < 0) this.s[F_SIZE * d + F_STREAK_START] = now;
    if (this.proposed && this.s[F_SIZE * d + F_FALLING_BACK] !== 0) {
      this.retryHubOrFallBack(d, now);
      return;
    }
    if (this.s[F_SIZE * d + F_FAILURES] >= this.failuresBeforeDps && now - this.s[F_SIZE * d + F_STREAK_START] >= this.msBeforeDps) {
      this.fallBackToDps(d, now);
      return;
    }
    this.retryLater(d, now, TARGET_HUB);
  }

  private fallBackToDps(d: number, now: number): void {
    const wait = fallbackDelay(this.plan, this.s[F_SIZE * d + F_SAME_HUB_ROUNDS], this.core.rand());
    this.s[F_SIZE * d + F_FALLING_BACK] = 1;
    this.s[F_SIZE * d + F_FAILURES] = 0;
    this.s[F_SIZE * d + F_STREAK_START] = -1;
    if (this.proposed) {
      // Proposed: the spread only defers DPS; the hub keeps being retried meanwhile.
      this.s[F_SIZE * d + F_FALLBACK_AT] = now + wait > MAX_DELAY_MS ? MAX_DELAY_MS : now + wait;
      this.retryHubOrFallBack(d, now);
      return;
    }
    this.s[F_SIZE * d + F_TARGET] = TARGET_DPS;
    this.waitUntil(d, now + wait);
  }

  /** proposed: the next hub retry, or DPS at the fallback time if that comes first. */
  private retryHubOrFallBack(d: number, now: number): void {
    const wait = this.waitFor(d, this.verdict.action, this.verdict.profile, this.verdict.waitMs);
    const at = this.s[F_SIZE * d + F_FALLBACK_AT];
    if (now + wait >= at) {
      this.s[F_SIZE * d + F_TARGET] = TARGET_DPS;
      this.waitUntil(d, at);
    } else {
      this.s[F_SIZE * d + F_TARGET] = TARGET_HUB;
      this.waitUntil(d, now + wait);
    }
  }

  // Scheduling ---------------------------------------------------------------------------

  private retryLater(d: number, now: number, target: number): void {
    this.s[F_SIZE * d + F_TARGET] = target;
    const v = this.verdict;
    this.waitUntil(d, now + this.waitFor(d, v.action, v.profile, v.waitMs));
  }

  /** ConnectionPolicy.waitFor for the exponential retry mode (never exhausted here). */
  private waitFor(d: number, action: number, profile: number, serviceWaitMs: number): number {
    if (action === ACTION_CONFIG_ERROR) profile = PROFILE_SLOW;
    else if (action === ACTION_THROTTLED && serviceWaitMs <= 0) profile = PROFILE_THROTTLED;
    else if (profile !== PROFILE_SERVER && profile !== PROFILE_THROTTLED && profile !== PROFILE_SLOW) profile = PROFILE_NORMAL;
    const b = this.b;
    if (profile !== this.s[F_SIZE * d + F_BO_PROFILE]) {
      backoffProfile(b, profile, this.plan.capMs, this.maxAttempts);
      this.s[F_SIZE * d + F_BO_PROFILE] = profile;
    } else {
      this.load(d);
    }
    const drawn = backoffNext(b, this.core.rand());
    this.store(d);
    if (drawn < 0) throw new Error("retries exhausted (RETRY_FOREVER expected)");
    if (serviceWaitMs > 0) {
      const spread = Math.floor(serviceWaitMs / 5);
      return serviceWaitMs + (spread > 0 ? (this.core.rand() >>> 0) % (spread + 1) : 0);
    }
    return drawn;
  }

  private attemptOrWait(d: number, now: number): void {
    if (this.s[F_SIZE * d + F_TARGET] === TARGET_DPS || this.s[F_SIZE * d + F_HUB] === 0) {
      this.s[F_SIZE * d + F_ST] = ST_DPS_ACTIVE;
      this.core.setTimer(d, -1);
      this.core.registerDps(d, now);
      return;
    }
    this.s[F_SIZE * d + F_ST] = ST_HUB_CONNECTING;
    this.core.setTimer(d, -1);
    this.core.connectHub(d, this.s[F_SIZE * d + F_HUB], now);
  }

  private waitUntil(d: number, at: number): void {
    this.s[F_SIZE * d + F_ST] = ST_WAIT_RETRY;
    this.core.setTimer(d, at);
  }
}

// Baselines ---------------------------------------------------------------------------------

export const BASELINES = ["upstream-c", "node-sdk", "fixed-2s", "fixed-500ms"];

const B_UPSTREAM = 0;
const B_NODE = 1;
const B_FIXED = 2;

/** The Embedded C sample's MAX_HUB_RETRY: hub failures before provisioning again. */
const MAX_HUB_RETRY = 10;
/** Node SDK: one open() retries for at most 240 s; the application then calls open() again. */
const NODE_OPERATION_MS = 240000;
/** Node SDK / IoT C SDK CONNACK wait. */
const BASELINE_CONNECT_TIMEOUT_MS = 30000;

export class BaselineModel implements DeviceModel {
  readonly name: string;
  readonly connectTimeoutMs = BASELINE_CONNECT_TIMEOUT_MS;
  private readonly core: Core;
  private readonly kind: number;
  private readonly fixedMs: number;
  private readonly latencyMs: number;
  private readonly st: Uint8Array;
  private readonly target: Uint8Array;
  private readonly hub: Uint8Array;
  /** Consecutive failures (the retry count), hub failures toward MAX_HUB_RETRY. */
  private readonly count: Int32Array;
  private readonly hubFailures: Int32Array;
  /** Node: ms waited in the current open() operation. */
  private readonly waited: Int32Array;

  constructor(core: Core, name: string, latencyMs: number) {
    const n = core.n;
    this.core = core;
    this.name = name;
    this.latencyMs = latencyMs;
    if (name === "upstream-c") this.kind = B_UPSTREAM;
    else if (name === "node-sdk") this.kind = B_NODE;
    else if (name === "fixed-2s" || name === "fixed-500ms") this.kind = B_FIXED;
    else throw new Error(`unknown baseline ${name}`);
    this.fixedMs = name === "fixed-2s" ? 2000 : 500;
    this.st = new Uint8Array(n);
    this.target = new Uint8Array(n).fill(TARGET_HUB);
    this.hub = new Uint8Array(n);
    this.count = new Int32Array(n);
    this.hubFailures = new Int32Array(n);
    this.waited = new Int32Array(this.kind === B_NODE ? n : 0);
  }

  /** The policy's wait after the count-th consecutive failure (count >= 1). */
  private delay(d: number, operationMs: number): number {
    const c = this.count[d];
    switch (this.kind) {
      case B_UPSTREAM:
        // az_iot_calculate_retry_delay with the recommended min 1 s, max 100 s, jitter 0..5 s.
        return azRetryDelay(operationMs, c - 1, 1000, 100000, (this.core.rand() >>> 0) % 5001);
      case B_NODE: {
        // ExponentialBackOffWithJitter, normal parameters: min(cMin + (2^(x-1) - 1) r, cMax),
        // r uniform in [0, c(1-ju) - c(1-jd)) = [0, 25) ms; x is the retry count from 1.
        const r = ((this.core.rand() >>> 0) / 4294967296) * 25;
        const pow = c - 1 > 40 ? 1099511627776 : 2 ** (c - 1);
        let wait = Math.floor(Math.min(100 + (pow - 1) * r, 10000));
        this.waited[d] += wait;
        if (this.waited[d] > NODE_OPERATION_MS) {
          // open() gave up; the application opens again at once, counting from 1.
          this.waited[d] = 0;
          this.count[d] = 0;
          wait = 0;
        }
        return wait;
      }
      default:
        return this.fixedMs;
    }
  }

  boot(d: number, now: number, cachedHub: number): void {
    this.hub[d] = cachedHub;
    this.target[d] = cachedHub !== 0 ? TARGET_HUB : TARGET_DPS;
    this.attempt(d, now);
  }

  timer(d: number, now: number): void {
    const s = this.st[d];
    if (s === ST_WAIT_RETRY) this.attempt(d, now);
    else if (s === ST_DPS_WAIT_POLL) {
      this.st[d] = ST_DPS_ACTIVE;
      this.core.setTimer(d, -1);
      this.core.pollDps(d, now);
    } else if (s === ST_HUB_CONNECTED) {
      this.target[d] = TARGET_HUB;
      this.attempt(d, now);
    }
  }

  private attempt(d: number, now: number): void {
    this.core.setTimer(d, -1);
    if (this.target[d] === TARGET_DPS || this.hub[d] === 0) {
      this.st[d] = ST_DPS_ACTIVE;
      this.core.registerDps(d, now);
    } else {
      this.st[d] = ST_HUB_CONNECTING;
      this.core.connectHub(d, this.hub[d], now);
    }
  }

  private waitUntil(d: number, at: number): void {
    this.st[d] = ST_WAIT_RETRY;
    this.core.setTimer(d, at);
  }

  hubConnected(d: number, now: number): void {
    if (this.st[d] !== ST_HUB_CONNECTING) return;
    this.st[d] = ST_HUB_CONNECTED;
    this.count[d] = 0;
    this.hubFailures[d] = 0;
    if (this.waited.length > 0) this.waited[d] = 0;
    this.core.setTimer(d, now + RENEW_MS);
  }

  hubFailed(d: number, now: number, _kind: number, _code: number): void {
    const s = this.st[d];
    if (s !== ST_HUB_CONNECTING && s !== ST_HUB_CONNECTED) return;
    this.count[d]++;
    this.hubFailures[d]++;
    // The failed operation's duration: one exchange for a refused attempt, none for a drop.
    const op = s === ST_HUB_CONNECTING ? this.latencyMs : 0;
    const wait = this.delay(d, op);
    if (this.kind === B_UPSTREAM && this.hubFailures[d] >= MAX_HUB_RETRY) {
      // The Embedded C sample: after MAX_HUB_RETRY hub failures, provision again.
      this.hubFailures[d] = 0;
      this.target[d] = TARGET_DPS;
    } else {
      this.target[d] = TARGET_HUB;
    }
    this.waitUntil(d, now + wait);
  }

  dpsReply(d: number, now: number, status: number, opStatus: number, retryAfterS: number, hub: number): void {
    if (this.st[d] !== ST_DPS_ACTIVE) return;
    const code = dpsCode(status, opStatus);
    const action = classify(KIND_DPS_RESPONSE, code, retryAfterS, this.verdict);
    if (action === ACTION_NONE) {
      this.hub[d] = hub;
      this.count[d] = 0;
      this.hubFailures[d] = 0;
      this.target[d] = TARGET_HUB;
      this.attempt(d, now);
      return;
    }
    if (action === ACTION_POLL) {
      // The SDKs poll after retry-after (x 1000), 2 s without it.
      this.st[d] = ST_DPS_WAIT_POLL;
      this.core.setTimer(d, now + (retryAfterS > 0 ? retryAfterS * 1000 : 2000));
      return;
    }
    this.target[d] = TARGET_DPS;
    if (action === ACTION_THROTTLED && retryAfterS > 0) {
      // 429: every SDK honours retry-after as it is.
      this.waitUntil(d, now + retryAfterS * 1000);
      return;
    }
    this.count[d]++;
    this.waitUntil(d, now + this.delay(d, this.latencyMs));
  }

  dpsFailed(d: number, now: number, _kind: number, _code: number): void {
    const s = this.st[d];
    if (s !== ST_DPS_ACTIVE && s !== ST_DPS_WAIT_POLL) return;
    this.count[d]++;
    this.target[d] = TARGET_DPS;
    this.waitUntil(d, now + this.delay(d, this.latencyMs));
  }

  private readonly verdict = createVerdict();
}

export const POLICIES = ["ours", "dps-at-spread", ...BASELINES];

/** Makes the named policy's model for a run. */
export function makeModel(name: string, core: Core, plan: FleetPlan, latencyMs: number): DeviceModel {
  if (name === "ours") return new OursModel(core, plan, true);
  if (name === "dps-at-spread") return new OursModel(core, plan, false);
  return new BaselineModel(core, name, latencyMs);
}

