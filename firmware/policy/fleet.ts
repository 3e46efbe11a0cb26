// Fleet settings (reference sections 7.1-7.3, DESIGN section 4): how long a fleet of N
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
}

export const DEFAULT_HUB_CONNECTIONS_PER_SECOND = 100;
export const DEFAULT_DPS_REGISTRATIONS_PER_MINUTE = 1000;

/** ms as an integer in [DEFAULT_MIN_MS, MAX_DELAY_MS], rounded up. */
function spanMs(ms: number): number {
  if (!(ms > DEFAULT_MIN_MS)) return DEFAULT_MIN_MS;
  return ms < MAX_DELAY_MS ? Math.ceil(ms) : MAX_DELAY_MS;
}

/** How much of its traffic-shaping queue (reference 7.1: bursts queue, overflow is refused)
 *  the fleet may fill when it comes back from the cap: this many seconds of the hub's rate. */
export const SHAPING_ALLOWANCE_MS = 5000;

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

/**
 * The plan for a fleet, or the reference defaults without settings (stagger and fallback
 * in [1 s, 100 s], cap 100 s). A bad field (missing, zero, negative, NaN) takes its default.
 *
 * - stagger: max = N / safePerMinute(load x cpm) minutes, cpm being the slower of DPS
 *   (registrations per minute) and the hub (60 x connections per second): a first boot goes
 *   through both. This is the reference's (1 / load) x (N / cps) with room for randomness
 *   (x 1.13 at 1000 per minute).
 * - cap: the default policy draws a wait at the cap from [cap/2, cap], so after an outage the
 *   fleet's next attempts arrive at N / (0.75 cap) per second for cap/2, then fewer, and every
 *   device has tried within cap. Sizing that rate at exactly load x hub (cap = 4/3 N / (load
 *   x hub)) leaves the hub half idle in the second half: 99 % are back only after 1.22 N / cps.
 *   So the cap is the smallest that keeps the excess over load x hub in that first half within
 *   SHAPING_ALLOWANCE_MS of the hub's rate, which traffic shaping queues: 4/3 N / (load x hub)
 *   - 2 x SHAPING_ALLOWANCE_MS. At 1,000,000 devices and 6000/s it is 212 s (5 % above the
 *   rate; 99 % back in 1.16 N / cps). Never below the 100 s default.
 * - fallback: the stagger's sizing against DPS alone.
 */
export function planFleet(settings?: FleetSettings): FleetPlan {
  if (settings === undefined || settings === null) {
    return { staggerMinMs: DEFAULT_MIN_MS, staggerMaxMs: DEFAULT_CAP_MS, capMs: DEFAULT_CAP_MS, fallbackMinMs: DEFAULT_MIN_MS, fallbackSpreadMs: DEFAULT_CAP_MS };
  }
  const n = settings.devices >= 1 ? settings.devices : 1;
  const hub = settings.hubConnectionsPerSecond > 0 ? settings.hubConnectionsPerSecond : DEFAULT_HUB_CONNECTIONS_PER_SECOND;
  const dps = (settings.dpsRegistrationsPerMinute > 0 ? settings.dpsRegistrationsPerMinute : DEFAULT_DPS_REGISTRATIONS_PER_MINUTE) / 60;
  const load = settings.load > 0 ? settings.load : 1;
  const slowest = dps < hub ? dps : hub;
  const cap = spanMs((4 * n * 1000) / (3 * load * hub) - 2 * SHAPING_ALLOWANCE_MS);
  return {
    staggerMinMs: DEFAULT_MIN_MS,
    staggerMaxMs: spanMs((n / safePerMinute(load * slowest * 60)) * 60000),
    capMs: cap > DEFAULT_CAP_MS ? cap : DEFAULT_CAP_MS,
    fallbackMinMs: DEFAULT_MIN_MS,
    fallbackSpreadMs: spanMs((n / safePerMinute(load * dps * 60)) * 60000),
  };
}

/** Uniform in [lo, hi] from the low 31 bits of random32 (lo <= hi, both int32). */
function uniform(lo: number, hi: number, random32: number): number {
  return lo + ((random32 & 0x7fffffff) % (hi - lo + 1));
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
