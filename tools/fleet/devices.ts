// Device policies for the fleet simulator.
//
// PolicyModel is our policy: one firmware/policy/connection.ts ConnectionPolicy per device,
// the very object the device runs, driven through its public API (start, tick, hubConnected,
// hubFailed, dpsResponse, dpsFailed, nextDeadline) with one shared PolicyActions whose calls
// become service requests; quiet (PolicyConfig.quiet): the same decisions, no log line built.
// Nothing of the policy is restated here: a rule changed in firmware/policy/ is what the
// simulator runs.
//
// BaselineModel is the same device life (DPS polling, retry-after, renewal at 80 %) with
// another SDK's retry delay and none of the fleet sizing, over typed arrays.
import type { FleetPlan } from "../../firmware/policy/fleet";
import * as backoffModule from "../../firmware/policy/backoff";
import * as classifyModule from "../../firmware/policy/classify";
import { ConnectionPolicy, defaultPolicyConfig, type Assignment, type PolicyActions, type PolicyConfig } from "../../firmware/policy/connection";
import type { Core, DeviceModel } from "./sim";
import { RENEW_MS } from "./sim";

// tsx turns every use of an imported binding into a getter call: read them once.
const { azRetryDelay } = backoffModule;
const { dpsCode, classify, createVerdict, KIND_DPS_RESPONSE, ACTION_NONE, ACTION_POLL, ACTION_THROTTLED } = classifyModule;

// States (the ConnectionPolicy's numbers), for the baselines.
const ST_WAIT_RETRY = 3;
const ST_DPS_ACTIVE = 4;
const ST_DPS_WAIT_POLL = 5;
const ST_HUB_CONNECTING = 6;
const ST_HUB_CONNECTED = 7;

const TARGET_HUB = 1;
const TARGET_DPS = 2;

/** Hub names by the simulator's hub number (1 = hub A, 2 = hub B). */
const HUB_NAMES = ["", "hub-a.azure-devices.net", "hub-b.azure-devices.net"];
/** Every device has the same id: the policy only compares it with what DPS returns. */
const DEVICE_ID = "device";
const CACHED: Assignment[] = [{ hub: "", deviceId: "" }, { hub: HUB_NAMES[1], deviceId: DEVICE_ID }, { hub: HUB_NAMES[2], deviceId: DEVICE_ID }];

/** Our policies: the default configuration, and variants of it (settings, not code). */
export const OUR_POLICIES: Record<string, (c: PolicyConfig) => void> = {
  ours: () => {},
  // The large-scale guidance to the letter: at least a minute before any hub retry.
  "ours-1min-gap": (c) => {
    c.hubMinGapMs = 60000;
  },
};

/** prefetch() loads a policy object's fields this many calls after its pointer. */
const PREFETCH_DELAY = 2;

export class PolicyModel implements DeviceModel {
  readonly name: string;
  readonly connectTimeoutMs: number;
  private readonly core: Core;
  private readonly config: PolicyConfig;
  private readonly actions: PolicyActions;
  private readonly random32: () => number;
  private readonly policies: ConnectionPolicy[];
  /** Policy objects whose pointers prefetch() loaded, to load their fields later. */
  private readonly ahead: (ConnectionPolicy | undefined)[] = new Array<ConnectionPolicy | undefined>(PREFETCH_DELAY).fill(undefined);
  private aheadIndex = 0;
  /** The device and the time of the policy call in progress: its actions happen then. */
  private dev = 0;
  private at = 0;

  constructor(core: Core, plan: FleetPlan, name: string) {
    const configure = OUR_POLICIES[name];
    if (!configure) throw new Error(`unknown policy ${name}`);
    this.name = name;
    this.core = core;
    const config = defaultPolicyConfig(plan);
    config.renewAfterMs = RENEW_MS;
    // No note lines: a million devices' log would be most of the run's time, and nobody reads it.
    config.quiet = true;
    configure(config);
    this.config = config;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.random32 = () => core.rand();
    const noop = (): void => {};
    this.actions = {
      connectDps: () => core.registerDps(this.dev, this.at),
      pollDps: () => core.pollDps(this.dev, this.at),
      connectHub: (hub: string) => core.connectHub(this.dev, hub === HUB_NAMES[1] ? 1 : 2, this.at),
      close: noop,
      saveAssignment: noop,
      forgetAssignment: noop,
      status: noop,
      note: noop,
    };
    this.policies = new Array<ConnectionPolicy>(core.n);
  }

  /** Loads device d's policy object (its pointer) and the fields of the one loaded
   *  PREFETCH_DELAY calls ago: fields 0, 8, 16, 24 and 32 are 64 bytes apart and, with the
   *  header, touch every cache line of the object (288 bytes on Node, any alignment). */
  prefetch(d: number): number {
    const i = this.aheadIndex;
    const q = this.ahead[i];
    this.ahead[i] = this.policies[d];
    this.aheadIndex = i + 1 === PREFETCH_DELAY ? 0 : i + 1;
    if (q === undefined) return 0;
    return (q.config === this.config ? 1 : 0) ^ (q.fallingBack ? 2 : 0) ^ q.pollIndex ^ q.lastReason ^ (q.assignment === undefined ? 4 : 0);
  }

  /** A (re)boot: a new policy object, as on the device after a power cut. */
  boot(d: number, now: number, cachedHub: number): void {
    const p = new ConnectionPolicy(this.config, this.actions, this.random32);
    this.policies[d] = p;
    this.dev = d;
    this.at = now;
    p.start(now, cachedHub !== 0 ? CACHED[cachedHub] : undefined, true, true);
    this.core.setTimer(d, p.nextDeadline());
  }

  timer(d: number, now: number): void {
    const p = this.policies[d];
    this.dev = d;
    this.at = now;
    p.tick(now);
    this.core.setTimer(d, p.nextDeadline());
  }

  hubConnected(d: number, now: number): void {
    const p = this.policies[d];
    this.dev = d;
    this.at = now;
    p.hubConnected(now);
    this.core.setTimer(d, p.nextDeadline());
  }

  hubFailed(d: number, now: number, kind: number, code: number): void {
    const p = this.policies[d];
    this.dev = d;
    this.at = now;
    p.hubFailed(now, kind, code);
    this.core.setTimer(d, p.nextDeadline());
  }

  dpsReply(d: number, now: number, status: number, opStatus: number, retryAfterS: number, hub: number): void {
    const p = this.policies[d];
    this.dev = d;
    this.at = now;
    p.dpsResponse(now, status, opStatus, retryAfterS, status === 202 ? "op" : "", HUB_NAMES[hub], DEVICE_ID, true);
    this.core.setTimer(d, p.nextDeadline());
  }

  dpsFailed(d: number, now: number, kind: number, code: number): void {
    const p = this.policies[d];
    this.dev = d;
    this.at = now;
    p.dpsFailed(now, kind, code, 0);
    this.core.setTimer(d, p.nextDeadline());
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
    // A (re)boot starts over: no failure counted yet.
    this.count[d] = 0;
    this.hubFailures[d] = 0;
    if (this.waited.length > 0) this.waited[d] = 0;
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

export const POLICIES = [...Object.keys(OUR_POLICIES), ...BASELINES];

/** Makes the named policy's model for a run. */
export function makeModel(name: string, core: Core, plan: FleetPlan, latencyMs: number): DeviceModel {
  if (OUR_POLICIES[name]) return new PolicyModel(core, plan, name);
  return new BaselineModel(core, name, latencyMs);
}

