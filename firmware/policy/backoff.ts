// Retry delays: the Azure SDK for Embedded C
// calculator with its exact semantics but without its int32 overflow, and the default
// policy, a fixed context that keeps randomness at the cap. Integers only, no Math.pow, no
// allocation per call; the random number always comes in from the caller (HAL random32()).
import { ERR_RETRY_EXHAUSTED } from "../status";

/** The largest delay any function here returns: 2^31 - 1 ms (about 24.8 days). */
export const MAX_DELAY_MS = 2147483647;

/** Defaults for a fleet nobody sized (Embedded C mqtt_state_machine.md): min 1 s, max 100 s,
 *  jitter up to 5 s for azRetryDelay. */
export const DEFAULT_MIN_MS = 1000;
export const DEFAULT_CAP_MS = 100000;
export const DEFAULT_JITTER_MS = 5000;

// Backoff profiles: which first wait a failure deserves.
/** No wait to draw (success, a poll, a reprovision, waiting for an event). */
export const PROFILE_NONE = 0;
/** Hub connection failures: first wait in [1 s, 2 s]. */
export const PROFILE_NORMAL = 1;
/** 5xx, DPS network failures: first wait in [5 s, 10 s] (MS guidance: first retry >= 5 s). */
export const PROFILE_SERVER = 2;
/** 429 without retry-after: first wait in [10 s, 20 s]. */
export const PROFILE_THROTTLED = 3;
/** Configuration errors (bad credential, disabled): first wait in [1 h, 2 h], cap >= 24 h. */
export const PROFILE_SLOW = 4;

export const SERVER_BASE_MS = 5000;
export const THROTTLED_BASE_MS = 10000;
export const SLOW_BASE_MS = 3600000;
export const SLOW_CAP_MS = 86400000;
/** maxAttempts value for "never give up". 0 means "no retry at all". */
export const RETRY_FOREVER = -1;

/** Clamps anything to an integer in [0, 2^31 - 1]; NaN and negatives become 0. */
function clampMs(x: number): number {
  if (!(x >= 0)) return 0;
  return x < MAX_DELAY_MS ? x | 0 : MAX_DELAY_MS;
}

/**
 * The upstream az_iot_calculate_retry_delay: min(min * 2^attempt, max), plus jitter only if
 * it stays strictly below max, minus the time the failed operation already took, floored at
 * 0. Upstream multiplies in int32 and returns 0 at attempts 29 and 30 with min 1000 (the
 * product wraps to exactly 0); here the base is doubled only after comparing it with half
 * the cap, so it is exact, monotone in attempt and never above max. Inputs are clamped to
 * integers in [0, 2^31 - 1]. Returns the delay in ms, in [0, max].
 */
export function azRetryDelay(operationMs: number, attempt: number, minMs: number, maxMs: number, jitterMs: number): number {
  const max = clampMs(maxMs);
  const half = max >> 1;
  let d = clampMs(minMs);
  if (d > max) d = max;
  let n = clampMs(attempt);
  // Once d > max/2 the next doubling passes max; d = 0 stays 0: at most 32 iterations.
  while (n > 0 && d !== 0 && d !== max) {
    d = d > half ? max : d + d;
    n--;
  }
  const jitter = clampMs(jitterMs);
  if (max - d > jitter) d += jitter; // upstream's strict test: jitter that does not fit is skipped
  d -= clampMs(operationMs); // time already spent counts as waited
  return d > 0 ? d : 0;
}

/**
 * The default policy's context, updated in place by backoffNext (five integers, made once).
 * Each wait is drawn uniformly from [window/2, window]; the window starts at 2 x base and
 * doubles up to the cap. Unlike upstream (whose jitter vanishes at the cap, so a capped fleet
 * retries in lockstep) the draw stays random at the cap: [cap/2, cap]. Keeping the lower half
 * out guarantees each profile's first wait (>= base) and that no device retries at once.
 */
export interface Backoff {
  /** Waits handed out since the last init or reset. */
  attempts: number;
  /** Upper bound of the next draw. */
  windowMs: number;
  /** First wait is at least this. */
  baseMs: number;
  /** No wait is above this; at least 2 x base. */
  capMs: number;
  /** Waits allowed before ERR_RETRY_EXHAUSTED; RETRY_FOREVER (negative) = no limit. */
  maxAttempts: number;
}

/** Makes a context (at setup); backoffInit/backoffProfile fill it. */
export function createBackoff(): Backoff {
  return { attempts: 0, windowMs: 2 * DEFAULT_MIN_MS, baseMs: DEFAULT_MIN_MS, capMs: DEFAULT_CAP_MS, maxAttempts: RETRY_FOREVER };
}

/** (Re)initialises b: base clamped to [1, 2^30 - 1], cap raised to at least 2 x base. */
export function backoffInit(b: Backoff, baseMs: number, capMs: number, maxAttempts: number): void {
  let base = clampMs(baseMs);
  if (base < 1) base = 1;
  if (base > 1073741823) base = 1073741823;
  let cap = clampMs(capMs);
  if (cap < base + base) cap = base + base;
  b.baseMs = base;
  b.capMs = cap;
  b.maxAttempts = maxAttempts >= 0 ? clampMs(maxAttempts) : RETRY_FOREVER;
  b.attempts = 0;
  b.windowMs = base + base;
}

/** Initialises b for one of the PROFILE_* constants (PROFILE_NONE acts as NORMAL). capMs is
 *  the fleet's cap (fleet.ts); the slow profile uses at least SLOW_CAP_MS. */
export function backoffProfile(b: Backoff, profile: number, capMs: number, maxAttempts: number): void {
  let base = DEFAULT_MIN_MS;
  let cap = capMs;
  if (profile === PROFILE_SERVER) base = SERVER_BASE_MS;
  else if (profile === PROFILE_THROTTLED) base = THROTTLED_BASE_MS;
  else if (profile === PROFILE_SLOW) {
    base = SLOW_BASE_MS;
    if (!(cap >= SLOW_CAP_MS)) cap = SLOW_CAP_MS;
  }
  backoffInit(b, base, cap, maxAttempts);
}

/** After a success: attempts 0, window back to its start; base, cap and limit kept. */
export function backoffReset(b: Backoff): void {
  b.attempts = 0;
  b.windowMs = b.baseMs + b.baseMs;
}

/**
 * The next wait, uniform in [window/2, window] from the caller's random 32-bit integer
 * (its low 31 bits; modulo bias below span / 2^31, e.g. 0.002 % at the 100 s default cap),
 * then the window doubles, saturating at the cap. Returns the wait in ms (>= base, <= cap),
 * or ERR_RETRY_EXHAUSTED with b unchanged once maxAttempts waits were handed out.
 */
export function backoffNext(b: Backoff, random32: number): number {
  if (b.maxAttempts >= 0 && b.attempts >= b.maxAttempts) return ERR_RETRY_EXHAUSTED;
  const w = b.windowMs;
  const lo = w >> 1;
  const delay = lo + ((random32 & 0x7fffffff) % (w - lo + 1));
  if (b.attempts < MAX_DELAY_MS) b.attempts++;
  // Compare with half the cap before doubling: w + w never leaves int32.
  b.windowMs = w < (b.capMs >> 1) ? w + w : b.capMs;
  return delay;
}

/**
 * The first wait after a connection that held, for a fleet that may have lost it together:
 * drawn over [0, w] (w = windowMs clamped to [2, cap]) from the distribution of the time left
 * until the next retry of a device that has been drawing from [w/2, w] for ever: uniform over
 * [0, w/2] with probability 2/3, else w/2 plus the smaller of two uniform draws over [0, w/2]
 * (a density falling to 0 at w). N devices that start so and keep drawing from [w/2, w]
 * offer N / (0.75 w) attempts per second from the first second on, with no burst where the
 * first and second retries overlap (a plain uniform first wait over [0, w] peaks at 2N / w
 * there). Then the window doubles from w as in backoffNext, saturating at the cap. Uses both
 * random numbers' low 31 bits. Returns the wait in ms, or ERR_RETRY_EXHAUSTED with b
 * unchanged once maxAttempts waits were handed out.
 */
export function backoffSpread(b: Backoff, windowMs: number, random32: number, random32b: number): number {
  if (b.maxAttempts >= 0 && b.attempts >= b.maxAttempts) return ERR_RETRY_EXHAUSTED;
  let w = clampMs(windowMs);
  if (w > b.capMs) w = b.capMs;
  if (w < 2) w = 2;
  const half = w >> 1;
  // x uniform over [0, 3 half): its first two thirds give [0, half), the last third the tail.
  const x = (random32 & 0x7fffffff) % (3 * half);
  let delay: number;
  if (x < half + half) delay = x >> 1;
  else {
    const y = (random32b & 0x7fffffff) % half;
    delay = half + (x - half - half < y ? x - half - half : y);
  }
  if (b.attempts < MAX_DELAY_MS) b.attempts++;
  b.windowMs = w < (b.capMs >> 1) ? w + w : b.capMs;
  return delay;
}
