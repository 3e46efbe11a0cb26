// Fleet settings: how long a fleet of N
// devices must spread its first provisioning, its backoff cap and its fallback to DPS so
// the whole fleet stays near the hub's new-connection rate and DPS's registration rate.
// planFleet runs once at setup (floating point is fine there); the draws are integer-only
// and allocation-free, with the random number from the caller.
import { DEFAULT_CAP_MS, DEFAULT_MIN_MS, MAX_DELAY_MS } from "./backoff";

export interface FleetSettings {
  /** N: devices that may fail or boot together. */
  devices: number;
  /** The hub's new-connection throttle (S1: 100/s for up to 8 units, 12/s per unit above). */
  hubConnectionsPerSecond: number;
  /** DPS registrations per minute (1000 per instance by default). */
  dpsRegistrationsPerMinute: number;
  /** Share of those rates the fleet may use, > 0 (1 = right at the limit, 0.5 = half). */
  load: number;
}

export interface FleetPlan {
  /** First provisioning waits uniformly in [staggerMinMs, staggerMaxMs]. */
  staggerMinMs: number;
  staggerMaxMs: number;
  /** The backoff cap for the default policy (backoffProfile's capMs). */
  capMs: number;
  /** Falling back from the hub to DPS waits uniformly in [fallbackMinMs, fallbackSpreadMs],
   *  the upper end doubled per DPS round that returned the same hub. */
  fallbackMinMs: number;
  fallbackSpreadMs: number;
  /** The backoff window of the first hub retry after a connection that held (backoffSpread). */
  spreadMs: number;
  /** A warm boot waits uniformly in [0, warmMs] before its first hub attempt. */
  warmMs: number;
  /** Token renewals are drawn over at least this much of the token's life. */
  renewalSpreadMs: number;
}

export const DEFAULT_HUB_CONNECTIONS_PER_SECOND = 100;
export const DEFAULT_DPS_REGISTRATIONS_PER_MINUTE = 1000;

/** ms as an integer in [DEFAULT_MIN_MS, MAX_DELAY_MS], rounded up. */
function spanMs(ms: number): number {
  if (!(ms > DEFAULT_MIN_MS)) return DEFAULT_MIN_MS;
  return ms < MAX_DELAY_MS ? Math.ceil(ms) : MAX_DELAY_MS;
}

/**
 * The largest mean per minute whose random minutes stay within `perMinute`. N devices that
 * each draw a uniform time arrive like a Poisson stream: a minute with a mean of m holds
 * about m +- sqrt(m), so a spread sized at exactly the quota puts half the minutes above it,
 * and the 429s pile up (the fleet simulator shows millions of them at 1,000,000 devices).
 * Keeping m + 4 sqrt(m) within the quota leaves a minute above it once in ~30,000.
 */
function safePerMinute(perMinute: number): number {
  const root = (Math.sqrt(16 + 4 * perMinute) - 4) / 2;
  return root * root;
}

/** The share of the hub's limit a fleet's attempts may reach in any second. */
export const HUB_BURST = 1.5;
/** The share of the hub's limit a fleet's token renewals may take. */
export const RENEWAL_SHARE = 0.3;
/** A DPS retry after a DPS failure is spread over up to this many times the time the device
 *  has been without a connection (dpsRetrySpread). */
export const DPS_RETRY_FACTOR = 100;
/** The share of the slower rate (DPS's quota, or the hub's) the first-boot stagger is sized
 *  for: the rest is room for retries, so a DPS outage during a first boot does not push a
 *  minute above the quota (the fleet simulator: 1,020 in one minute at the full quota). */
export const STAGGER_SHARE = 0.95;
/** Floor of the first-retry and warm-boot windows: a small fleet is back within seconds. */
export const SMALL_FLEET_WINDOW_MS = 2000;

/**
 * The plan for a fleet, or the defaults without settings (stagger and fallback
 * in [1 s, 100 s], cap 100 s, first-retry and warm-boot windows 2 s). A bad field (missing,
 * zero, negative, NaN) takes its default. T below is N / (load x hub) seconds, the least time
 * the hub needs to take the whole fleet back.
 *
 * - stagger: max = N / safePerMinute(STAGGER_SHARE x load x cpm) minutes, cpm being the
 *   slower of DPS (registrations per minute) and the hub (60 x connections per second): a
 *   first boot goes through both. This is the plain (1 / load) x (N / cps) with room
 *   for randomness and for retries (x 1.20 at 1000 per minute: a mean of 834 a minute).
 * - cap: 2N / (1.5 x load x hub) = 4/3 T, never below the 100 s default. Devices drawing from
 *   [cap/2, cap] offer at most 2N / cap = 1.5x the rate in any second even if they all failed
 *   at once, and N / (0.75 cap) = the hub's rate once their phases are mixed; the last 1 %
 *   of a mixed fleet retries within 0.91 cap = 1.22 T of the hub's return.
 * - spread: the first retry after a connection that held is drawn by backoffSpread over this
 *   window, the cap for a large fleet (4/3 T, so the fleet's phases are mixed from the first
 *   second: N / T per second, whether the hub is up or down), 2 s for a small one.
 * - warm: a warm boot waits uniformly over T (the fleet arrives at the hub's rate), at least
 *   2 s and at most the cap.
 * - fallback: the stagger's sizing against DPS alone.
 * - renewalSpread: N / (0.3 x load x hub): renewals of a fleet that connected together stay
 *   within 0.3x the hub's rate (renewalDelay bounds it by a fifth of the renewal time).
 */
export function planFleet(settings?: FleetSettings): FleetPlan {
  if (settings === undefined || settings === null) {
    return {
      staggerMinMs: DEFAULT_MIN_MS, staggerMaxMs: DEFAULT_CAP_MS, capMs: DEFAULT_CAP_MS, fallbackMinMs: DEFAULT_MIN_MS, fallbackSpreadMs: DEFAULT_CAP_MS,
      spreadMs: SMALL_FLEET_WINDOW_MS, warmMs: SMALL_FLEET_WINDOW_MS, renewalSpreadMs: DEFAULT_MIN_MS,
    };
  }
  const n = settings.devices >= 1 ? settings.devices : 1;
  const hub = settings.hubConnectionsPerSecond > 0 ? settings.hubConnectionsPerSecond : DEFAULT_HUB_CONNECTIONS_PER_SECOND;
  const dps = (settings.dpsRegistrationsPerMinute > 0 ? settings.dpsRegistrationsPerMinute : DEFAULT_DPS_REGISTRATIONS_PER_MINUTE) / 60;
  const load = settings.load > 0 ? settings.load : 1;
  const slowest = dps < hub ? dps : hub;
  const tMs = (n * 1000) / (load * hub);
  const fleetCap = spanMs((2 * tMs) / HUB_BURST);
  const cap = fleetCap > DEFAULT_CAP_MS ? fleetCap : DEFAULT_CAP_MS;
  return {
    staggerMinMs: DEFAULT_MIN_MS,
    staggerMaxMs: spanMs((n / safePerMinute(STAGGER_SHARE * load * slowest * 60)) * 60000),
    capMs: cap,
    fallbackMinMs: DEFAULT_MIN_MS,
    fallbackSpreadMs: spanMs((n / safePerMinute(load * dps * 60)) * 60000),
    spreadMs: windowMs(fleetCap, cap),
    warmMs: windowMs(tMs, cap),
    renewalSpreadMs: spanMs(tMs / RENEWAL_SHARE),
  };
}

/** A window of ms in [SMALL_FLEET_WINDOW_MS, cap]. */
function windowMs(ms: number, cap: number): number {
  if (!(ms > SMALL_FLEET_WINDOW_MS)) return SMALL_FLEET_WINDOW_MS;
  return ms < cap ? Math.ceil(ms) : cap;
}

/** Uniform in [lo, hi] from the low 31 bits of random32 (lo <= hi, both int32). */
function uniform(lo: number, hi: number, random32: number): number {
  return lo + ((random32 & 0x7fffffff) % (hi - lo + 1));
}

/** A warm boot's wait before its first hub attempt: uniform in [0, warmMs]. */
export function warmDelay(plan: FleetPlan, random32: number): number {
  return uniform(0, plan.warmMs, random32);
}

/**
 * The renewal point of a token the device renews from renewAfterMs on (80 % of its life):
 * uniform in [renewAfterMs, renewAfterMs + spread], spread being the fleet's renewalSpreadMs
 * but at most a fifth of renewAfterMs (so at the latest at 96 % of the life), so a fleet that
 * connected together does not renew together. Never earlier than renewAfterMs.
 */
export function renewalDelay(plan: FleetPlan, renewAfterMs: number, random32: number): number {
  let spread = plan.renewalSpreadMs;
  if (spread > renewAfterMs / 5) spread = Math.floor(renewAfterMs / 5);
  return uniform(renewAfterMs, renewAfterMs + spread, random32);
}

/**
 * The least wait before the next DPS attempt after a DPS failure, for a device without a
 * connection for `failingMs`: uniform in [0, min(DPS_RETRY_FACTOR x failingMs,
 * fallbackSpreadMs)]. A fleet whose DPS requests failed together (a DPS outage during a first
 * boot) then drains at a small share of the quota instead of retrying at the backoff cap, and
 * a small fleet (a 1 s spread) keeps its backoff.
 */
export function dpsRetrySpread(plan: FleetPlan, failingMs: number, random32: number): number {
  let hi = plan.fallbackSpreadMs;
  if (failingMs >= 0 && failingMs < hi / DPS_RETRY_FACTOR) hi = Math.floor(failingMs * DPS_RETRY_FACTOR);
  if (!(hi > 0)) return 0;
  return uniform(0, hi, random32);
}

/** The first-provisioning wait (boot without a cached hub): uniform in the stagger window. */
export function staggerDelay(plan: FleetPlan, random32: number): number {
  return uniform(plan.staggerMinMs, plan.staggerMaxMs, random32);
}

/**
 * The wait before falling back from the hub to DPS: uniform in [fallbackMinMs, spread x
 * 2^rounds], where rounds counts DPS rounds since the last hub success that returned the same
 * hub. The window is doubled only after comparing it with half of 2^31 - 1, so it saturates.
 */
export function fallbackDelay(plan: FleetPlan, rounds: number, random32: number): number {
  let hi = plan.fallbackSpreadMs;
  let n = rounds >= 0 ? rounds : 0;
  while (n > 0 && hi !== MAX_DELAY_MS) {
    hi = hi > (MAX_DELAY_MS >> 1) ? MAX_DELAY_MS : hi + hi;
    n--;
  }
  return uniform(plan.fallbackMinMs, hi, random32);
}
