// The fleet simulator's core: a discrete-event simulation on a virtual millisecond clock of N
// devices against a service model with the published limits.
// Devices are numbers; their state lives in typed arrays inside a DeviceModel (devices.ts),
// which makes every decision with the real firmware/policy code. This file holds the
// service (hubs with traffic shaping and refusal, DPS with a per-minute registration quota
// and the per-device poll limit), the scenarios, the event loop and the figures.
import { Wheel, ENTRY_BYTES, USER_BYTE } from "./wheel";
import * as classifyModule from "../../firmware/policy/classify";
import * as statusModule from "../../firmware/status";

// tsx turns every use of an imported binding into a getter call: read them once.
const { KIND_HUB_SOCKET, KIND_HUB_TIMEOUT, KIND_DPS_SOCKET, AWAIT_CONNACK, DPS_ASSIGNED, DPS_ASSIGNING } = classifyModule;
const { SOCKET_CLOSED, SOCKET_REFUSED, SOCKET_RESET, SOCKET_ERROR } = statusModule;

/** Hubs: 1 and 2 ("hub A", "hub B"); 0 = none. */
export const HUB_A = 1;
export const HUB_B = 2;

/** The renewal period every policy uses: 80 % of a 1 h token. */
export const RENEW_MS = 2880000;
/** Warm scenarios boot the fleet uniformly over one renewal period, then disrupt it a minute later. */
export const WARM_MS = RENEW_MS + 60000;
/** DPS answers a register with 202 and this retry-after (seconds). */
export const DPS_POLL_RETRY_AFTER_S = 3;

/** What the device models call. */
export interface Core {
  readonly n: number;
  /** Random 32-bit integer (the HAL's random32). */
  rand(): number;
  /** Arms (t >= 0) or clears (t < 0) the device's one timer (the last one set during an event
   *  counts, once the event's requests are carried out). */
  setTimer(d: number, t: number): void;
  /** Sends a hub CONNECT at time t (>= the current time). */
  connectHub(d: number, hub: number, t: number): void;
  /** Opens DPS and registers at time t. */
  registerDps(d: number, t: number): void;
  /** Polls the DPS operation at time t. */
  pollDps(d: number, t: number): void;
}

/** One device policy over typed arrays; every method is an event for device d at `now`. */
export interface DeviceModel {
  readonly name: string;
  /** The device gives up on a CONNACK after this long. */
  readonly connectTimeoutMs: number;
  boot(d: number, now: number, cachedHub: number): void;
  timer(d: number, now: number): void;
  hubConnected(d: number, now: number): void;
  /** kind KIND_HUB_SOCKET (code SOCKET_*) or KIND_HUB_TIMEOUT. */
  hubFailed(d: number, now: number, kind: number, code: number): void;
  /** A DPS reply: topic status, operation status (DPS_*), retry-after seconds, assigned hub. */
  dpsReply(d: number, now: number, status: number, opStatus: number, retryAfterS: number, hub: number): void;
  /** The DPS connection failed (KIND_DPS_SOCKET). */
  dpsFailed(d: number, now: number, kind: number, code: number): void;
  /** Loads (and changes nothing of) what device d's coming event will need, so that its cache
   *  misses overlap with the work of the events before it; returns any number. A model whose
   *  state hangs off a per-device pointer loads the pointer now and what it points to on a
   *  later call (the two loads depend on each other: in separate calls, they overlap with
   *  other devices' instead of following each other). */
  prefetch?(d: number): number;
}

export interface ServiceLimits {
  /** Hub new connections per second (both hubs). */
  hubCps: number;
  /** DPS registrations per minute. */
  dpsPerMin: number;
  /** Traffic shaping: CONNECTs wait in a queue at most this long, beyond it they are refused. */
  queueMs: number;
  /** One exchange (TCP + TLS + CONNECT/CONNACK, or a DPS request/reply). */
  latencyMs: number;
}

/** IoT Hub new-connection throttle by tier and units. */
export function hubConnectionsPerSecond(tier: string, units: number): number {
  const t = tier.toUpperCase();
  const u = units >= 1 ? Math.floor(units) : 1;
  if (t === "F1" || t === "B1" || t === "S1") return Math.max(100, 12 * u);
  if (t === "B2" || t === "S2") return 120 * u;
  if (t === "B3" || t === "S3") return 6000 * u;
  throw new Error(`unknown tier ${tier} (F1, B1, B2, B3, S1, S2, S3)`);
}

// Scenarios -----------------------------------------------------------------------------

export interface Scenario {
  name: string;
  title: string;
  /** Boot with hub A cached (warm) or without a cache (first provisioning). */
  cached: boolean;
  /** Boot times: uniform in [0, bootSpreadMs). */
  bootSpreadMs: number;
  /** The disruption (devices connected before it do not count as back) and the recovery. */
  disruptAt: number;
  recoverAt: number;
  /** Hub A drops every connection at disruptAt (within a second). */
  dropAtDisrupt: boolean;
  /** The power goes off at disruptAt and comes back at once: every device boots again
   *  (warm, hub cached) at a uniform time in [disruptAt, disruptAt + rebootSpreadMs). */
  powerCycle: boolean;
  rebootSpreadMs: number;
  /** Hub A is down in [from, to); DPS is down in [from, to). -1: never. */
  hubADown: [number, number];
  dpsDown: [number, number];
  /** DPS assigns hub B to registrations from this time on (-1: never). */
  assignBFrom: number;
  /** The rate that bounds the recovery: "hub", "dps" or "both" (the slower). */
  bound: "hub" | "dps" | "both";
  /** Keep simulating at least this long after recovery (to show renewal waves). */
  minAfterMs: number;
  /** The chart shows this long after recovery (at least). */
  chartAfterMs: number;
}

export const SCENARIOS = ["outage", "blip", "power-restore", "failover", "same-minute", "first-boot", "dps-outage"];

/** The blip scenario's outage. */
export const BLIP_MS = 30000;
/** The power-restore scenario: every device boots again within this. */
export const REBOOT_SPREAD_MS = 10000;

export function scenario(name: string, outageMs: number): Scenario {
  const never: [number, number] = [-1, -1];
  const no = { powerCycle: false, rebootSpreadMs: 0 };
  switch (name) {
    case "outage":
      return {
        name, title: `hub outage of ${outageMs / 60000} min, then recovery`, cached: true, bootSpreadMs: RENEW_MS,
        disruptAt: WARM_MS, recoverAt: WARM_MS + outageMs, dropAtDisrupt: true, hubADown: [WARM_MS, WARM_MS + outageMs],
        dpsDown: never, assignBFrom: -1, bound: "hub", minAfterMs: 3600000, chartAfterMs: 900000, ...no,
      };
    case "blip":
      return {
        name, title: `hub drops every device and is down ${BLIP_MS / 1000} s`, cached: true, bootSpreadMs: RENEW_MS,
        disruptAt: WARM_MS, recoverAt: WARM_MS + BLIP_MS, dropAtDisrupt: true, hubADown: [WARM_MS, WARM_MS + BLIP_MS],
        dpsDown: never, assignBFrom: -1, bound: "hub", minAfterMs: 3600000, chartAfterMs: 600000, ...no,
      };
    case "power-restore":
      return {
        name, title: `power restored to a region: the whole fleet warm-boots within ${REBOOT_SPREAD_MS / 1000} s, hub cached`, cached: true,
        bootSpreadMs: RENEW_MS, disruptAt: WARM_MS, recoverAt: WARM_MS, dropAtDisrupt: false, hubADown: never, dpsDown: never,
        assignBFrom: -1, bound: "hub", minAfterMs: 3600000, chartAfterMs: 600000, powerCycle: true, rebootSpreadMs: REBOOT_SPREAD_MS,
      };
    case "failover":
      return {
        name, title: "hub A lost for good, DPS reassigns to hub B", cached: true, bootSpreadMs: RENEW_MS,
        disruptAt: WARM_MS, recoverAt: WARM_MS, dropAtDisrupt: true, hubADown: [WARM_MS, 2147483647],
        dpsDown: never, assignBFrom: WARM_MS, bound: "both", minAfterMs: 600000, chartAfterMs: 7200000, ...no,
      };
    case "same-minute":
      return {
        name, title: "whole fleet boots in the same minute (token renewals in sync)", cached: true, bootSpreadMs: 60000,
        disruptAt: 0, recoverAt: 0, dropAtDisrupt: false, hubADown: never, dpsDown: never, assignBFrom: -1,
        bound: "hub", minAfterMs: 3 * RENEW_MS + 600000, chartAfterMs: 2 * RENEW_MS + 600000, ...no,
      };
    case "first-boot":
      return {
        name, title: "mass first boot (no cached hub), all powered within 10 s", cached: false, bootSpreadMs: 10000,
        disruptAt: 0, recoverAt: 0, dropAtDisrupt: false, hubADown: never, dpsDown: never, assignBFrom: -1,
        bound: "both", minAfterMs: 600000, chartAfterMs: 900000, ...no,
      };
    case "dps-outage":
      return {
        name, title: `mass first boot with DPS down for the first ${outageMs / 60000} min`, cached: false, bootSpreadMs: 10000,
        disruptAt: 0, recoverAt: outageMs, dropAtDisrupt: false, hubADown: never, dpsDown: [0, outageMs], assignBFrom: -1,
        bound: "both", minAfterMs: 600000, chartAfterMs: 900000, ...no,
      };
  }
  throw new Error(`unknown scenario ${name} (${SCENARIOS.join(", ")})`);
}

/** The least time after recovery in which the service's quota lets the whole fleet back (s). */
export function boundSeconds(sc: Scenario, n: number, limits: ServiceLimits): number {
  const hub = n / limits.hubCps;
  const dps = (n * 60) / limits.dpsPerMin;
  return sc.bound === "hub" ? hub : sc.bound === "dps" ? dps : Math.max(hub, dps);
}

// Results ---------------------------------------------------------------------------------

export interface RunFigures {
  policy: string;
  scenario: string;
  devices: number;
  hubCps: number;
  dpsPerMin: number;
  seed: number;
  events: number;
  wallMs: number;
  /** The run hit the event budget or the horizon before every device was back. */
  truncated: boolean;
  simulatedS: number;
  /** When the disruption began and when the service recovered (s from the start). */
  disruptAtS: number;
  recoverAtS: number;
  /** Peak CONNECT attempts per second offered to a hub that was up, and its ratio to the limit. */
  peakOfferedPerS: number;
  peakOfferedRatio: number;
  /** The same, from recovery on. */
  peakAfterRecoveryPerS: number;
  /** Peak attempts per second against a hub that was down. */
  peakOfferedDownPerS: number;
  /** Peak attempts per second over all attempts (hub up or down), its ratio to the limit, and
   *  the seconds in which all attempts were above 1.5x the limit. */
  peakAllPerS: number;
  peakAllRatio: number;
  secondsAbove15: number;
  /** Peak token renewals (reconnects of a connected device) per second, and its ratio. */
  renewalPeakPerS: number;
  renewalPeakRatio: number;
  hubAttempts: number;
  /** Refused by traffic shaping (queue full). */
  hubRefused: number;
  /** Failed because the hub was down. */
  hubFailedDown: number;
  /** Seconds after recovery until 50 / 99 / 100 % of the fleet had connected (null: not by the end). */
  back50S: number | null;
  back99S: number | null;
  back100S: number | null;
  /** The quota-bound minimum for the whole fleet, and the back times as multiples of it. */
  boundS: number;
  back50x: number | null;
  back99x: number | null;
  back100x: number | null;
  /** DPS registrations accepted (billed), per device. */
  dpsRegistrations: number;
  dpsRegPerDevice: number;
  /** Registrations offered in the busiest minute, and minutes above the quota. */
  dpsPeakPerMin: number;
  dpsMinutesOverQuota: number;
  dps429: number;
  dpsPolls: number;
  /** Polls beyond 5 per 10 s for one device (the model answers them 429). */
  pollViolations: number;
  /** Service-side checks: CONNECTs a hub served in its busiest second, the longest a CONNACK
   *  waited in the shaping queue, registrations DPS accepted in its busiest minute. */
  hubServedPeakPerS: number;
  maxQueueWaitMs: number;
  dpsAcceptedPeakPerMin: number;
  /** Devices connected when the run ended. */
  connectedAtEnd: number;
}

export interface RunResult {
  figures: RunFigures;
  /** Per second from t = 0: attempts offered to any hub (up or down). */
  offered: Int32Array;
  /** Per second: devices connected at the end of the second. */
  connected: Int32Array;
  /** Per minute: DPS registrations offered. */
  dpsPerMinute: Int32Array;
  scenario: Scenario;
  limits: ServiceLimits;
}

// The core ----------------------------------------------------------------------------------

// Wheel entries: device d's timer is entry 2d, its service event (at most one) 2d + 1, side by
// side in memory.
// Service events.
const SV_NONE = 0;
const SV_HUB_ARRIVE = 1;
const SV_DPS_ARRIVE = 2;
const SV_POLL_ARRIVE = 3;
const SV_CONNACK = 4;
const SV_TIMEOUT = 5;
const SV_DROP = 6;
const SV_BOOT = 7;

/** The run loop loads the data of the event about this many events ahead (Wheel.scout). */
const SCOUT_LEAD = 40;

// A device's bytes, kept in its two wheel entries (Wheel.bytes, beside their times): the hub it
// is connected to (0: none), back since the disruption (1), the hub its DPS operation assigns,
// the service's index into its last 5 poll times (the timer's entry); its pending service
// event (SV_*) and the hub it concerns (the service entry's).
const DEV = 2 * ENTRY_BYTES;
const DEV_CONN = USER_BYTE;
const DEV_BACK = USER_BYTE + 1;
const DEV_OP_HUB = USER_BYTE + 2;
const DEV_POLL_INDEX = USER_BYTE + 3;
const DEV_KIND = ENTRY_BYTES + USER_BYTE;
const DEV_HUB = ENTRY_BYTES + USER_BYTE + 1;

export interface RunOptions {
  n: number;
  seed: number;
  limits: ServiceLimits;
  scenario: Scenario;
  /** Stop after this many events (the figures say truncated). */
  budget: number;
  /** Simulate at most this long after recovery (ms). */
  maxAfterMs: number;
  /** Progress on stderr every this many events (0: quiet). */
  progressEvery?: number;
}

export type ModelFactory = (core: Core) => DeviceModel;

export class Sim implements Core {
  readonly n: number;
  private seedState: number;
  private readonly wheel: Wheel;
  private model!: DeviceModel;
  private readonly o: RunOptions;
  private readonly sc: Scenario;
  private readonly lim: ServiceLimits;
  private readonly spacing: number;

  // Per device (service side). The small fields are bytes of its wheel entries (DEV_* offsets):
  // a million devices do not fit any cache, and each separate array is one more miss.
  private readonly dev: Uint8Array;
  private readonly opAt: Int32Array; // accepted registration time, -1 none
  private readonly svcPolls: Int32Array; // service's view: last 5 poll times

  // Service state.
  private readonly nextFree = new Float64Array(3);
  private regMinute = -1;
  private regCount = 0;
  private connected = 0;
  private backCount = 0;

  // Figures.
  private readonly secs: number;
  private readonly offeredUp: Int32Array;
  private readonly offeredDown: Int32Array;
  private readonly offeredRenewal: Int32Array;
  /** Per second: connections begun minus connections ended (at their own times). */
  private readonly connectedDelta: Int32Array;
  private readonly dpsOffered: Int32Array;
  private readonly served: Int32Array;
  private readonly dpsAcceptedPerSec: Int32Array;
  private maxQueueWait = 0;
  private readonly backHist: Int32Array;
  private hubAttempts = 0;
  private hubRefused = 0;
  private hubFailedDown = 0;
  private dpsAccepted = 0;
  private dps429 = 0;
  private dpsPolls = 0;
  private pollViolations = 0;
  events = 0;
  /** What the look-ahead read (kept so that the reads are not optimised away). */
  sink = 0;

  // Deferred requests from the current model call: device, kind, time. The time is an event's
  // (a wheel time, < 2^31): an Int32Array gives it back as a small integer, where a Float64Array
  // would give a heap number, and one heap number stored in a policy field turns that field into
  // a boxed double for every device (one more cache miss per read).
  private reqD = new Int32Array(8);
  private reqK = new Uint8Array(8);
  private reqT = new Int32Array(8);
  private reqHub = new Uint8Array(8);
  private reqLen = 0;
  // Timers set during the current event: device, time (-1: none).
  private timerD = new Int32Array(8);
  private timerT = new Float64Array(8);
  private timerLen = 0;

  constructor(o: RunOptions) {
    this.o = o;
    this.n = o.n;
    this.sc = o.scenario;
    this.lim = o.limits;
    this.spacing = 1000 / o.limits.hubCps;
    this.seedState = o.seed | 0;
    const n = o.n;
    this.wheel = new Wheel(2 * n);
    this.dev = this.wheel.bytes;
    this.opAt = new Int32Array(n).fill(-1);
    this.svcPolls = new Int32Array(5 * n).fill(-1);
    this.secs = Math.ceil((this.sc.recoverAt + o.maxAfterMs) / 1000) + 2;
    this.offeredUp = new Int32Array(this.secs);
    this.offeredDown = new Int32Array(this.secs);
    this.offeredRenewal = new Int32Array(this.secs);
    this.connectedDelta = new Int32Array(this.secs);
    this.dpsOffered = new Int32Array(this.secs);
    this.served = new Int32Array(2 * this.secs);
    this.dpsAcceptedPerSec = new Int32Array(this.secs);
    this.backHist = new Int32Array(this.secs);
  }

  /** mulberry32: a 32-bit integer; one shared stream for the whole fleet. */
  rand(): number {
    const s = (this.seedState = (this.seedState + 0x6d2b79f5) | 0);
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) | 0;
  }

  setTimer(d: number, t: number): void {
    // Kept until the event's requests are carried out (applyTimers): a hub attempt sets the
    // connect timeout, and its refusal, handled at once, replaces it with the retry; only the
    // last time reaches the wheel (a time pushed and then moved costs a dead node).
    if (this.timerLen === this.timerD.length) {
      const d2 = new Int32Array(2 * this.timerLen);
      const t2 = new Float64Array(2 * this.timerLen);
      d2.set(this.timerD);
      t2.set(this.timerT);
      this.timerD = d2;
      this.timerT = t2;
    }
    this.timerD[this.timerLen] = d;
    this.timerT[this.timerLen++] = t;
  }

  /** Puts the timers set during this event into the wheel, the last one per device. */
  private applyTimers(): void {
    const len = this.timerLen;
    this.timerLen = 0;
    for (let i = 0; i < len; i++) {
      const d = this.timerD[i];
      let later = false;
      for (let j = i + 1; j < len; j++) if (this.timerD[j] === d) later = true;
      if (later) continue;
      const t = this.timerT[i];
      if (t < 0) this.wheel.remove(2 * d);
      else {
        const at = t > 2147483647 ? 2147483647 : t;
        if (this.wheel.dueAt(2 * d) !== at) this.wheel.push(2 * d, at);
      }
    }
  }

  connectHub(d: number, hub: number, t: number): void {
    this.request(d, SV_HUB_ARRIVE, t, hub);
  }

  registerDps(d: number, t: number): void {
    this.request(d, SV_DPS_ARRIVE, t, 0);
  }

  pollDps(d: number, t: number): void {
    this.request(d, SV_POLL_ARRIVE, t, 0);
  }

  private request(d: number, kind: number, t: number, hub: number): void {
    if (this.reqLen === this.reqD.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.reqD = grow(this.reqD, (k) => new Int32Array(k));
      this.reqK = grow(this.reqK, (k) => new Uint8Array(k));
      this.reqT = grow(this.reqT, (k) => new Int32Array(k));
      this.reqHub = grow(this.reqHub, (k) => new Uint8Array(k));
    }
    const i = this.reqLen++;
    this.reqD[i] = d;
    this.reqK[i] = kind;
    this.reqT[i] = t;
    this.reqHub[i] = hub;
  }

  /** Carries out the requests of the model call that just returned (FIFO; each may add more). */
  private flush(): void {
    let i = 0;
    while (i < this.reqLen) {
      const d = this.reqD[i];
      const kind = this.reqK[i];
      const t = this.reqT[i];
      const hub = this.reqHub[i];
      i++;
      if (t > this.wheel.now) {
        // Issued while handling a reply that lands later than now: an arrival event then.
        this.dev[DEV * d + DEV_KIND] = kind;
        this.dev[DEV * d + DEV_HUB] = hub;
        this.wheel.push(2 * d + 1, t);
      } else {
        this.arrive(d, kind, hub, t);
      }
      if (i === this.reqLen) {
        this.reqLen = 0;
        i = 0;
      }
    }
    this.reqLen = 0;
  }

  private arrive(d: number, kind: number, hub: number, t: number): void {
    if (kind === SV_HUB_ARRIVE) this.hubArrive(d, hub, t);
    else if (kind === SV_DPS_ARRIVE) this.dpsArrive(d, t);
    else this.pollArrive(d, t);
  }

  private hubDown(hub: number, t: number): boolean {
    if (hub !== HUB_A) return false;
    const w = this.sc.hubADown;
    return t >= w[0] && t < w[1];
  }

  private dpsDown(t: number): boolean {
    const w = this.sc.dpsDown;
    return t >= w[0] && t < w[1];
  }

  /** Device d's connection (if any) ends at t. */
  private disconnect(d: number, t: number): void {
    if (this.dev[DEV * d + DEV_CONN] !== 0) {
      this.dev[DEV * d + DEV_CONN] = 0;
      this.connected--;
      this.connectedDelta[this.second(t)]--;
    }
  }

  /** Device d is connected to hub from t on (its CONNACK's time). */
  private connect(d: number, hub: number, t: number): void {
    this.dev[DEV * d + DEV_CONN] = hub;
    this.connected++;
    this.connectedDelta[this.second(t)]++;
    if (this.dev[DEV * d + DEV_BACK] === 0 && t >= this.sc.disruptAt) {
      this.dev[DEV * d + DEV_BACK] = 1;
      this.backCount++;
      const rel = t - this.sc.recoverAt;
      this.backHist[rel > 0 ? Math.ceil(rel / 1000) : 0]++;
    }
  }

  /** The second of t, within the figures' arrays. */
  private second(t: number): number {
    const sec = (t / 1000) | 0;
    return sec < this.secs ? sec : this.secs - 1;
  }

  /** A CONNECT reaches the hub at t: down -> refused at once; else the shaping queue. */
  private hubArrive(d: number, hub: number, t: number): void {
    const lat = this.lim.latencyMs;
    const sec = (t / 1000) | 0;
    if (this.dev[DEV * d + DEV_CONN] !== 0) {
      // A renewal: it closes the old connection first.
      this.offeredRenewal[sec]++;
      this.disconnect(d, t);
    }
    this.hubAttempts++;
    if (this.hubDown(hub, t)) {
      this.offeredDown[sec]++;
      this.hubFailedDown++;
      this.model.hubFailed(d, t + lat, KIND_HUB_SOCKET, SOCKET_REFUSED);
      return;
    }
    this.offeredUp[sec]++;
    const free = this.nextFree[hub];
    const start = free > t ? free : t;
    const wait = start - t;
    if (wait > this.lim.queueMs) {
      // Traffic shaping's queue is full: the hub drops the connection.
      this.hubRefused++;
      this.model.hubFailed(d, t + lat, KIND_HUB_SOCKET, SOCKET_CLOSED);
      return;
    }
    this.nextFree[hub] = start + this.spacing;
    this.served[2 * ((start / 1000) | 0) + hub - 1]++;
    if (wait > this.maxQueueWait) this.maxQueueWait = wait;
    this.dev[DEV * d + DEV_HUB] = hub;
    if (lat + wait > this.model.connectTimeoutMs) {
      this.dev[DEV * d + DEV_KIND] = SV_TIMEOUT;
      this.wheel.push(2 * d + 1, t + this.model.connectTimeoutMs);
      return;
    }
    const at = Math.ceil(t + lat + wait);
    if (t < this.sc.disruptAt && at >= this.sc.disruptAt) {
      // The disruption comes first (a power cut loses this CONNACK): an event at its time.
      this.dev[DEV * d + DEV_KIND] = SV_CONNACK;
      this.wheel.push(2 * d + 1, at);
      return;
    }
    // Nothing else can reach the device before its CONNACK (its timer is the connect
    // timeout, later; the hub's down times are known): the CONNACK now, at its own time, one
    // event fewer per connection.
    this.connack(d, at);
  }

  private connack(d: number, now: number): void {
    const hub = this.dev[DEV * d + DEV_HUB];
    if (this.hubDown(hub, now)) {
      // The hub went down while this CONNECT sat in its queue.
      this.model.hubFailed(d, now, KIND_HUB_SOCKET, SOCKET_RESET);
      return;
    }
    this.connect(d, hub, now);
    this.model.hubConnected(d, now);
  }

  private dpsArrive(d: number, t: number): void {
    const lat = this.lim.latencyMs;
    const sec = (t / 1000) | 0;
    this.dpsOffered[sec]++;
    if (this.dpsDown(t)) {
      this.model.dpsFailed(d, t + lat, KIND_DPS_SOCKET, SOCKET_ERROR);
      return;
    }
    const minute = Math.floor(t / 60000);
    if (minute !== this.regMinute) {
      this.regMinute = minute;
      this.regCount = 0;
    }
    if (this.regCount >= this.lim.dpsPerMin) {
      // Over the quota: 429 with retry-after = seconds until the quota's minute ends.
      this.dps429++;
      const ra = Math.max(1, Math.ceil(((minute + 1) * 60000 - t) / 1000));
      this.model.dpsReply(d, t + lat, 429, 0, ra, 0);
      return;
    }
    this.regCount++;
    this.dpsAccepted++;
    this.dpsAcceptedPerSec[sec]++;
    this.opAt[d] = t;
    this.dev[DEV * d + DEV_OP_HUB] = this.sc.assignBFrom >= 0 && t >= this.sc.assignBFrom ? HUB_B : HUB_A;
    this.model.dpsReply(d, t + lat, 202, DPS_ASSIGNING, DPS_POLL_RETRY_AFTER_S, 0);
  }

  private pollArrive(d: number, t: number): void {
    const lat = this.lim.latencyMs;
    this.dpsPolls++;
    if (this.dpsDown(t)) {
      this.model.dpsFailed(d, t + lat, KIND_DPS_SOCKET, SOCKET_ERROR);
      return;
    }
    // 5 polls per 10 s per device: the sixth within 10 s is answered 429.
    const k = 5 * d + this.dev[DEV * d + DEV_POLL_INDEX];
    const oldest = this.svcPolls[k];
    if (oldest >= 0 && t - oldest < 10000) {
      this.pollViolations++;
      this.model.dpsReply(d, t + lat, 429, 0, Math.ceil((oldest + 10000 - t) / 1000), 0);
      return;
    }
    this.svcPolls[k] = t;
    this.dev[DEV * d + DEV_POLL_INDEX] = (this.dev[DEV * d + DEV_POLL_INDEX] + 1) % 5;
    const at = this.opAt[d];
    // Assignment takes 1..7 s after the registration (a per-device, per-round hash).
    const takes = 1000 + ((Math.imul(d ^ at, 0x9e3779b1) >>> 0) % 6001);
    if (at >= 0 && t - at >= takes) {
      this.opAt[d] = -1;
      this.model.dpsReply(d, t + lat, 200, DPS_ASSIGNED, 0, this.dev[DEV * d + DEV_OP_HUB]);
    } else {
      this.model.dpsReply(d, t + lat, 202, DPS_ASSIGNING, DPS_POLL_RETRY_AFTER_S, 0);
    }
  }

  private service(d: number, now: number): void {
    const kind = this.dev[DEV * d + DEV_KIND];
    this.dev[DEV * d + DEV_KIND] = SV_NONE;
    switch (kind) {
      case SV_HUB_ARRIVE:
      case SV_DPS_ARRIVE:
      case SV_POLL_ARRIVE:
        this.arrive(d, kind, this.dev[DEV * d + DEV_HUB], now);
        break;
      case SV_CONNACK:
        this.connack(d, now);
        break;
      case SV_TIMEOUT:
        this.model.hubFailed(d, now, KIND_HUB_TIMEOUT, AWAIT_CONNACK);
        break;
      case SV_BOOT:
        this.model.boot(d, now, this.sc.cached ? HUB_A : 0);
        break;
      case SV_DROP:
        if (this.dev[DEV * d + DEV_CONN] !== 0) {
          this.disconnect(d, now);
          this.model.hubFailed(d, now, KIND_HUB_SOCKET, SOCKET_CLOSED);
        }
        break;
    }
  }

  run(factory: ModelFactory): RunResult {
    const started = performance.now();
    const n = this.n;
    const sc = this.sc;
    this.model = factory(this);
    const model = this.model;
    const wheel = this.wheel;
    // Each device's first event is its boot, at a uniform time in the scenario's boot spread.
    for (let d = 0; d < n; d++) {
      this.dev[DEV * d + DEV_KIND] = SV_BOOT;
      wheel.push(2 * d + 1, (this.rand() >>> 0) % sc.bootSpreadMs);
    }
    let end = sc.recoverAt + this.o.maxAfterMs;
    const hardEnd = end;
    let disrupted = !sc.dropAtDisrupt && !sc.powerCycle;
    let allBack = false;
    let truncated = false;
    const every = this.o.progressEvery ?? 0;
    /** The entry the scout found last (its later stages come on the next event). */
    let scouted = -1;
    for (;;) {
      const until = disrupted ? end : Math.min(end, sc.disruptAt - 1);
      const id = wheel.pop(until);
      if (id < 0) {
        if (!disrupted && wheel.now >= sc.disruptAt) {
          disrupted = true;
          if (sc.powerCycle) {
            // Power off and on: every device loses its connection, its timer and whatever
            // it had in flight, and boots again.
            for (let d = 0; d < n; d++) {
              this.disconnect(d, sc.disruptAt);
              wheel.remove(2 * d);
              this.opAt[d] = -1;
              this.dev[DEV * d + DEV_KIND] = SV_BOOT;
              wheel.push(2 * d + 1, sc.disruptAt + ((this.rand() >>> 0) % sc.rebootSpreadMs));
            }
            continue;
          }
          // Hub A fails: every open connection drops within a second.
          for (let d = 0; d < n; d++) {
            if (this.dev[DEV * d + DEV_CONN] === HUB_A) {
              this.dev[DEV * d + DEV_KIND] = SV_DROP;
              wheel.push(2 * d + 1, sc.disruptAt + ((this.rand() >>> 0) % 1000));
            }
          }
          if (sc.hubADown[0] === sc.disruptAt) this.nextFree[HUB_A] = sc.hubADown[1];
          continue;
        }
        break;
      }
      const now = wheel.now;
      // Keep the wheel's scout SCOUT_LEAD events ahead, and load what the coming events need
      // in stages, each on a later event than the one before (a load that misses the cache
      // stalls the processor; the loads of one event's stages are independent, so they
      // overlap): the scout reads the slot and node of an event ahead, then the device's wheel
      // entries and its model's first load (DeviceModel.prefetch), then the rest.
      for (let c = 0; c < 2 && wheel.scoutLead < SCOUT_LEAD; c++) {
        const found = wheel.scout();
        const prev = scouted;
        scouted = found;
        if (prev >= 0) {
          this.sink ^= this.dev[DEV * (prev >> 1)];
          if (model.prefetch) this.sink ^= model.prefetch(prev >> 1);
        }
        if (found < 0) break;
      }
      this.events++;
      if ((id & 1) === 0) model.timer(id >> 1, now);
      else this.service(id >> 1, now);
      if (this.reqLen > 0) this.flush();
      if (this.timerLen > 0) this.applyTimers();
      if (!allBack && this.backCount === n) {
        allBack = true;
        end = Math.max(now, Math.min(hardEnd, sc.recoverAt + sc.minAfterMs));
      }
      if (this.events >= this.o.budget) {
        truncated = !allBack;
        break;
      }
      if (every > 0 && this.events % every === 0) {
        process.stderr.write(`  ${model.name}: ${(this.events / 1e6).toFixed(0)}M events, t = ${(now / 1000).toFixed(0)} s, back ${this.backCount}/${n}\n`);
      }
    }
    if (!allBack) truncated = true;
    const stopAt = Math.min(wheel.now, end);
    return this.figures(started, stopAt, truncated);
  }

  private figures(started: number, stopAt: number, truncated: boolean): RunResult {
    const n = this.n;
    const sc = this.sc;
    const lim = this.lim;
    const secs = Math.min(this.secs, Math.ceil(stopAt / 1000) + 1);
    const offered = new Int32Array(secs);
    let peak = 0;
    let peakAfter = 0;
    let peakDown = 0;
    let peakAll = 0;
    let above = 0;
    let renewalPeak = 0;
    const recSec = Math.floor(sc.recoverAt / 1000);
    for (let s = 0; s < secs; s++) {
      const up = this.offeredUp[s];
      offered[s] = up + this.offeredDown[s];
      if (offered[s] > peakAll) peakAll = offered[s];
      if (offered[s] > 1.5 * lim.hubCps) above++;
      if (this.offeredRenewal[s] > renewalPeak) renewalPeak = this.offeredRenewal[s];
      if (up > peak) peak = up;
      if (s >= recSec && up > peakAfter) peakAfter = up;
      if (this.offeredDown[s] > peakDown) peakDown = this.offeredDown[s];
    }
    const minutes = Math.ceil(secs / 60);
    const perMinute = new Int32Array(minutes);
    const acceptedPerMinute = new Int32Array(minutes);
    let servedPeak = 0;
    for (let s = 0; s < secs; s++) {
      perMinute[(s / 60) | 0] += this.dpsOffered[s];
      acceptedPerMinute[(s / 60) | 0] += this.dpsAcceptedPerSec[s];
      servedPeak = Math.max(servedPeak, this.served[2 * s], this.served[2 * s + 1]);
    }
    let dpsPeak = 0;
    let over = 0;
    for (let m = 0; m < minutes; m++) {
      if (perMinute[m] > dpsPeak) dpsPeak = perMinute[m];
      if (perMinute[m] > lim.dpsPerMin) over++;
    }
    const pct = (q: number): number | null => {
      const need = Math.ceil(q * n - 1e-9);
      let acc = 0;
      for (let s = 0; s < this.backHist.length; s++) {
        acc += this.backHist[s];
        if (acc >= need) return s;
      }
      return null;
    };
    const bound = boundSeconds(sc, n, lim);
    const x = (v: number | null): number | null => (v === null ? null : Math.round((v / bound) * 1000) / 1000);
    const b50 = pct(0.5);
    const b99 = pct(0.99);
    const b100 = pct(1);
    const figures: RunFigures = {
      policy: this.model.name,
      scenario: sc.name,
      devices: n,
      hubCps: lim.hubCps,
      dpsPerMin: lim.dpsPerMin,
      seed: this.o.seed,
      events: this.events,
      wallMs: Math.round(performance.now() - started),
      truncated,
      simulatedS: Math.round(stopAt / 1000),
      disruptAtS: sc.disruptAt / 1000,
      recoverAtS: sc.recoverAt / 1000,
      peakOfferedPerS: peak,
      peakOfferedRatio: Math.round((peak / lim.hubCps) * 1000) / 1000,
      peakAfterRecoveryPerS: peakAfter,
      peakOfferedDownPerS: peakDown,
      peakAllPerS: peakAll,
      peakAllRatio: Math.round((peakAll / lim.hubCps) * 1000) / 1000,
      secondsAbove15: above,
      renewalPeakPerS: renewalPeak,
      renewalPeakRatio: Math.round((renewalPeak / lim.hubCps) * 1000) / 1000,
      hubAttempts: this.hubAttempts,
      hubRefused: this.hubRefused,
      hubFailedDown: this.hubFailedDown,
      back50S: b50,
      back99S: b99,
      back100S: b100,
      boundS: Math.round(bound * 10) / 10,
      back50x: x(b50),
      back99x: x(b99),
      back100x: x(b100),
      dpsRegistrations: this.dpsAccepted,
      dpsRegPerDevice: Math.round((this.dpsAccepted / n) * 10000) / 10000,
      dpsPeakPerMin: dpsPeak,
      dpsMinutesOverQuota: over,
      dps429: this.dps429,
      dpsPolls: this.dpsPolls,
      pollViolations: this.pollViolations,
      hubServedPeakPerS: servedPeak,
      maxQueueWaitMs: Math.round(this.maxQueueWait),
      dpsAcceptedPeakPerMin: Math.max(0, ...acceptedPerMinute),
      connectedAtEnd: this.connected,
    };
    // Devices connected at the end of each second.
    const connected = new Int32Array(secs);
    let sum = 0;
    for (let s = 0; s < secs; s++) connected[s] = sum += this.connectedDelta[s];
    return { figures, offered, connected, dpsPerMinute: perMinute, scenario: sc, limits: lim };
  }
}
