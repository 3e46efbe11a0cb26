import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  azRetryDelay,
  backoffInit,
  backoffNext,
  backoffProfile,
  backoffReset,
  backoffSpread,
  createBackoff,
  type Backoff,
  MAX_DELAY_MS,
  PROFILE_NONE,
  PROFILE_NORMAL,
  PROFILE_SERVER,
  PROFILE_SLOW,
  PROFILE_THROTTLED,
  RETRY_FOREVER,
  SLOW_CAP_MS,
} from "../../firmware/policy/backoff";
import { ERR_RETRY_EXHAUSTED } from "../../firmware/status";
import { createPrng, type Prng } from "../helpers/prng";
import { measureAllocation } from "../../tools/bench/backoff.bench";

const INT32_MAX = 2147483647;

/** The upstream C code as gcc runs it: the product wraps in int32. */
function upstreamC(op: number, attempt: number, min: number, max: number, jitter: number): number {
  let d = Math.imul(min, attempt <= 30 ? 1 << attempt : INT32_MAX);
  if (d > max) d = max;
  if (d < 0) d = max;
  if (max - d > jitter) d += jitter;
  d -= op;
  return d > 0 ? d : 0;
}

/** The upstream semantics in exact arithmetic (what ours must equal everywhere). */
function exact(op: number, attempt: number, min: number, max: number, jitter: number): number {
  const product = BigInt(min) << BigInt(Math.min(attempt, 64));
  let d = product > BigInt(max) ? max : Number(product);
  if (max - d > jitter) d += jitter;
  d -= op;
  return d > 0 ? d : 0;
}

/** A 32-bit random value as the HAL's random32() would give it. */
const u32 = (prng: Prng): number => prng.int(4294967296);

/** An int in [0, 2^31 - 1], biased towards the edges where overflow lives. */
function edgyInt(prng: Prng): number {
  const pick = prng.int(8);
  if (pick === 0) return prng.int(4);
  if (pick === 1) return INT32_MAX - prng.int(4);
  if (pick === 2) return 1 << prng.int(31);
  if (pick === 3) return prng.int(1001);
  if (pick === 4) return prng.int(200001);
  return prng.int(INT32_MAX + 1);
}

const upstream = suite("azRetryDelay: upstream vectors and sequences");

upstream("the four Embedded C vectors -> 2229, 321, 0, 9995", () => {
  assert.is(azRetryDelay(5, 1, 500, 100000, 1234), 2229);
  assert.is(azRetryDelay(5000, 1, 500, 100000, 4321), 321);
  assert.is(azRetryDelay(10000, 1, 500, 100000, 4321), 0);
  assert.is(azRetryDelay(5, 5, 500, 10000, 4321), 9995);
});

upstream("min 1000, max 100000, jitter 0, attempts 0..8 -> the reference sequence", () => {
  const got: number[] = [];
  for (let a = 0; a <= 8; a++) got.push(azRetryDelay(0, a, 1000, 100000, 0));
  assert.equal(got, [1000, 2000, 4000, 8000, 16000, 32000, 64000, 100000, 100000]);
});

upstream("min 1000, max 100000, jitter 4999, attempts 0..8 -> the reference sequence", () => {
  const got: number[] = [];
  for (let a = 0; a <= 8; a++) got.push(azRetryDelay(0, a, 1000, 100000, 4999));
  assert.equal(got, [5999, 6999, 8999, 12999, 20999, 36999, 68999, 100000, 100000]);
});

upstream("jitter that does not fit strictly under max -> skipped entirely", () => {
  assert.is(azRetryDelay(0, 6, 1000, 100000, 36000), 64000); // 100000 - 64000 > 36000 fails
  assert.is(azRetryDelay(0, 6, 1000, 100000, 35999), 99999);
  assert.is(azRetryDelay(0, 7, 1000, 100000, 1), 100000);
});

upstream("attempts 29 and 30 with min 1000 -> max here, 0 in the wrapping C code", () => {
  for (const attempt of [29, 30]) {
    assert.is(upstreamC(0, attempt, 1000, 100000, 0), 0, `C at ${attempt}`);
    assert.is(azRetryDelay(0, attempt, 1000, 100000, 0), 100000, `ours at ${attempt}`);
    assert.is(upstreamC(0, attempt, 1000, 100000, 4999), 4999, `C with jitter at ${attempt}`);
    assert.is(azRetryDelay(0, attempt, 1000, 100000, 4999), 100000);
  }
  // 28 and 31+ wrap negative in C and are rescued to max: both agree there.
  assert.is(upstreamC(0, 28, 1000, 100000, 0), 100000);
  assert.is(azRetryDelay(0, 28, 1000, 100000, 0), 100000);
});

upstream("operation time longer than the delay -> 0, never negative", () => {
  assert.is(azRetryDelay(INT32_MAX, 0, 1000, 100000, 5000), 0);
  assert.is(azRetryDelay(100001, 20, 1000, 100000, 0), 0);
});

upstream.run();

const props = suite("azRetryDelay: properties");

props("100,000 seeded random inputs -> exact upstream semantics, within [0, max]", () => {
  const prng = createPrng(0xa2);
  let agreedWithC = 0;
  for (let i = 0; i < 100000; i++) {
    const op = prng.int(4) === 0 ? 0 : edgyInt(prng);
    const attempt = prng.int(2) === 0 ? prng.int(40) : prng.int(65536);
    const min = edgyInt(prng);
    const max = edgyInt(prng);
    const jitter = prng.int(3) === 0 ? 0 : edgyInt(prng);
    const got = azRetryDelay(op, attempt, min, max, jitter);
    const want = exact(op, attempt, min, max, jitter);
    if (got !== want) assert.unreachable(`(${op}, ${attempt}, ${min}, ${max}, ${jitter}) -> ${got}, want ${want}`);
    if (!(got >= 0 && got <= max && got === Math.floor(got))) assert.unreachable(`out of range: ${got}`);
    // Where the C product cannot wrap, the C code and ours agree exactly.
    if (attempt <= 30 && min * 2 ** attempt <= INT32_MAX) {
      if (upstreamC(op, attempt, min, max, jitter) !== got) assert.unreachable(`C differs at (${op}, ${attempt}, ${min}, ${max}, ${jitter})`);
      agreedWithC++;
    }
  }
  assert.ok(agreedWithC > 10000, `only ${agreedWithC} non-wrapping cases`);
});

props("100,000 random (min, max, attempt) -> base monotone in attempt and never above max", () => {
  const prng = createPrng(0xb3);
  for (let i = 0; i < 100000; i++) {
    const min = edgyInt(prng);
    const max = edgyInt(prng);
    const attempt = prng.int(2) === 0 ? prng.int(40) : prng.int(65535);
    const here = azRetryDelay(0, attempt, min, max, 0);
    const next = azRetryDelay(0, attempt + 1, min, max, 0);
    if (!(here <= next && next <= max)) assert.unreachable(`(${min}, ${max}) at ${attempt}: ${here} then ${next}`);
  }
});

props("every attempt 0..65535 for edge pairs -> monotone, capped, never 0 once min > 0", () => {
  const pairs: Array<[number, number]> = [
    [1000, 100000],
    [1, INT32_MAX],
    [INT32_MAX, INT32_MAX],
    [3, INT32_MAX - 1],
    [1 << 30, INT32_MAX],
    [500, 10000],
    [7, 7],
  ];
  for (const [min, max] of pairs) {
    let previous = 0;
    for (let attempt = 0; attempt <= 65535; attempt++) {
      const d = azRetryDelay(0, attempt, min, max, 0);
      if (d < previous || d > max || d < Math.min(min, max)) assert.unreachable(`(${min}, ${max}) attempt ${attempt}: ${d} after ${previous}`);
      previous = d;
    }
    assert.is(previous, max);
  }
});

props("hostile inputs (negative, NaN, fractions, beyond int32) -> an integer in [0, clamped max]", () => {
  const prng = createPrng(0xc4);
  const wild = [-1, -2147483648, NaN, Infinity, -Infinity, 0.5, 1e10, 4294967295, 2147483648, 65536, 1.9];
  const pick = () => (prng.int(2) === 0 ? wild[prng.int(wild.length)] : edgyInt(prng));
  for (let i = 0; i < 20000; i++) {
    const max = pick();
    const got = azRetryDelay(pick(), pick(), pick(), max, pick());
    const cap = max >= 0 ? Math.min(Math.floor(max), INT32_MAX) : 0;
    if (!(got >= 0 && got <= cap && got === Math.floor(got))) assert.unreachable(`max ${max} -> ${got}`);
  }
});

props.run();

/** The whole context as a plain object. */
const state = (b: Backoff) => ({ attempts: b.attempts, windowMs: b.windowMs, baseMs: b.baseMs, capMs: b.capMs, maxAttempts: b.maxAttempts });

const context = suite("backoffNext: the context after every step");

context("createBackoff -> the 1 s / 100 s default, retrying forever", () => {
  assert.equal(state(createBackoff()), { attempts: 0, windowMs: 2000, baseMs: 1000, capMs: 100000, maxAttempts: RETRY_FOREVER });
});

context("base 1000, cap 10000, 5 attempts, lowest draws -> window/2 each step, then exhausted", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 10000, 5);
  assert.equal(state(b), { attempts: 0, windowMs: 2000, baseMs: 1000, capMs: 10000, maxAttempts: 5 });
  const steps: Array<[number, number, number]> = [
    // delay, attempts after, window after
    [1000, 1, 4000],
    [2000, 2, 8000],
    [4000, 3, 10000], // 8000 is not below 10000/2: saturate at the cap
    [5000, 4, 10000],
    [5000, 5, 10000],
  ];
  for (const [delay, attempts, windowMs] of steps) {
    assert.is(backoffNext(b, 0), delay);
    assert.equal(state(b), { attempts, windowMs, baseMs: 1000, capMs: 10000, maxAttempts: 5 });
  }
  for (let i = 0; i < 3; i++) {
    assert.is(backoffNext(b, 12345), ERR_RETRY_EXHAUSTED);
    assert.equal(state(b), { attempts: 5, windowMs: 10000, baseMs: 1000, capMs: 10000, maxAttempts: 5 });
  }
});

context("draw equal to the span - 1 -> the top of the window; span -> the bottom again", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 100000, RETRY_FOREVER);
  assert.is(backoffNext(b, 1000), 2000); // window [1000, 2000], span 1001
  assert.equal(state(b), { attempts: 1, windowMs: 4000, baseMs: 1000, capMs: 100000, maxAttempts: RETRY_FOREVER });
  assert.is(backoffNext(b, 2001), 2000); // window [2000, 4000], span 2001: wraps to the bottom
  assert.equal(state(b), { attempts: 2, windowMs: 8000, baseMs: 1000, capMs: 100000, maxAttempts: RETRY_FOREVER });
});

context("random32 with the top bit set (uint32 or negative int32) -> same low 31 bits, same draw", () => {
  const a = createBackoff();
  const c = createBackoff();
  backoffInit(a, 1000, 100000, RETRY_FOREVER);
  backoffInit(c, 1000, 100000, RETRY_FOREVER);
  assert.is(backoffNext(a, 0x80000000 + 777), backoffNext(c, -2147483648 + 777));
  assert.is(backoffNext(a, 4294967295), backoffNext(c, -1));
  assert.equal(state(a), state(c));
});

context("maxAttempts 0 (no retry) -> exhausted at once, context untouched", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 100000, 0);
  assert.is(backoffNext(b, 1), ERR_RETRY_EXHAUSTED);
  assert.equal(state(b), { attempts: 0, windowMs: 2000, baseMs: 1000, capMs: 100000, maxAttempts: 0 });
});

context("retry forever -> attempts saturate at 2^31 - 1, window stays at the cap", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 100000, RETRY_FOREVER);
  for (let i = 0; i < 1000; i++) assert.ok(backoffNext(b, i * 7919) >= 50000 || i < 6);
  assert.equal(state(b), { attempts: 1000, windowMs: 100000, baseMs: 1000, capMs: 100000, maxAttempts: RETRY_FOREVER });
  b.attempts = MAX_DELAY_MS;
  const d = backoffNext(b, 99);
  assert.ok(d >= 50000 && d <= 100000);
  assert.equal(state(b), { attempts: MAX_DELAY_MS, windowMs: 100000, baseMs: 1000, capMs: 100000, maxAttempts: RETRY_FOREVER });
});

context("reset after a success -> attempts 0 and the first window, settings kept", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 100000, 3);
  backoffNext(b, 5);
  backoffNext(b, 5);
  backoffReset(b);
  assert.equal(state(b), { attempts: 0, windowMs: 2000, baseMs: 1000, capMs: 100000, maxAttempts: 3 });
});

context("cap below 2 x base, base 0, huge base -> cap raised, base clamped to [1, 2^30 - 1]", () => {
  const b = createBackoff();
  backoffInit(b, 10000, 5000, RETRY_FOREVER);
  assert.equal(state(b), { attempts: 0, windowMs: 20000, baseMs: 10000, capMs: 20000, maxAttempts: RETRY_FOREVER });
  backoffInit(b, 0, 0, NaN);
  assert.equal(state(b), { attempts: 0, windowMs: 2, baseMs: 1, capMs: 2, maxAttempts: RETRY_FOREVER });
  backoffInit(b, 4e9, 4e9, 1e12);
  assert.equal(state(b), { attempts: 0, windowMs: 2147483646, baseMs: 1073741823, capMs: MAX_DELAY_MS, maxAttempts: MAX_DELAY_MS });
  assert.ok(backoffNext(b, -1) <= MAX_DELAY_MS);
  assert.equal(state(b), { attempts: 1, windowMs: MAX_DELAY_MS, baseMs: 1073741823, capMs: MAX_DELAY_MS, maxAttempts: MAX_DELAY_MS });
});

context.run();

const profiles = suite("backoffProfile: first waits");

profiles("each profile, 20,000 random draws -> first wait within its [base, 2 x base]", () => {
  const prng = createPrng(0xd5);
  const b = createBackoff();
  const cases: Array<[number, number, number, number]> = [
    // profile, lowest first wait, highest first wait, cap
    [PROFILE_NONE, 1000, 2000, 100000],
    [PROFILE_NORMAL, 1000, 2000, 100000],
    [PROFILE_SERVER, 5000, 10000, 100000],
    [PROFILE_THROTTLED, 10000, 20000, 100000],
    [PROFILE_SLOW, 3600000, 7200000, SLOW_CAP_MS],
  ];
  for (const [profile, lo, hi, cap] of cases) {
    let seenLow = MAX_DELAY_MS;
    let seenHigh = 0;
    for (let i = 0; i < 20000; i++) {
      backoffProfile(b, profile, 100000, RETRY_FOREVER);
      assert.is(b.capMs, cap);
      const d = backoffNext(b, u32(prng));
      if (d < lo || d > hi) assert.unreachable(`profile ${profile}: ${d}`);
      seenLow = Math.min(seenLow, d);
      seenHigh = Math.max(seenHigh, d);
    }
    assert.ok(seenHigh - seenLow > (hi - lo) * 0.9, `profile ${profile} spread ${seenLow}..${seenHigh}`);
  }
});

profiles("throttled >= 10 s and server >= 5 s on the first wait -> also with a fleet cap", () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_THROTTLED, 133334, 10);
  assert.equal(state(b), { attempts: 0, windowMs: 20000, baseMs: 10000, capMs: 133334, maxAttempts: 10 });
  assert.is(backoffNext(b, 0), 10000);
  backoffProfile(b, PROFILE_SERVER, 133334, 10);
  assert.is(backoffNext(b, 0), 5000);
  backoffProfile(b, PROFILE_SLOW, 100 * 86400000, RETRY_FOREVER);
  assert.is(b.capMs, 100 * 86400000 > MAX_DELAY_MS ? MAX_DELAY_MS : 100 * 86400000);
});

profiles.run();

const policyProps = suite("backoffNext: properties");

policyProps("100,000 seeded random steps -> wait in [window/2, window], >= base, <= cap; context exact", () => {
  const prng = createPrng(0xe6);
  const b = createBackoff();
  let steps = 0;
  while (steps < 100000) {
    const base = prng.int(3) === 0 ? edgyInt(prng) : 1 + prng.int(20000);
    const cap = prng.int(3) === 0 ? edgyInt(prng) : prng.int(2000000);
    const maxAttempts = prng.int(2) === 0 ? RETRY_FOREVER : prng.int(40);
    backoffInit(b, base, cap, maxAttempts);
    const b0 = b.baseMs;
    const c0 = b.capMs;
    assert.ok(b0 >= 1 && c0 >= 2 * b0 && c0 <= MAX_DELAY_MS);
    const run = 1 + prng.int(40);
    for (let k = 0; k < run; k++, steps++) {
      const before = state(b);
      const d = backoffNext(b, u32(prng));
      if (before.maxAttempts >= 0 && before.attempts >= before.maxAttempts) {
        if (d !== ERR_RETRY_EXHAUSTED) assert.unreachable("not exhausted");
        assert.equal(state(b), before);
        continue;
      }
      if (!(d >= Math.floor(before.windowMs / 2) && d <= before.windowMs && d >= b0 && d <= c0 && d === Math.floor(d))) {
        assert.unreachable(`base ${b0} cap ${c0} window ${before.windowMs}: ${d}`);
      }
      // The window after n waits is min(cap, 2 base 2^n), computed exactly.
      const n = before.attempts + 1;
      const wide = BigInt(2 * b0) << BigInt(Math.min(n, 64));
      const want = wide > BigInt(c0) ? c0 : Number(wide);
      if (b.windowMs !== want || b.attempts !== n || b.baseMs !== b0 || b.capMs !== c0 || b.maxAttempts !== before.maxAttempts) {
        assert.unreachable(`after ${n}: ${JSON.stringify(state(b))}, window want ${want}`);
      }
    }
  }
});

policyProps.run();

const spread = suite("spread: 10,000 devices at the cap, one retry each");

/** Retries per 1 % slice of [lo, hi]. */
function slices(delays: number[], lo: number, hi: number): number[] {
  const counts = new Array<number>(100).fill(0);
  for (const d of delays) counts[Math.min(99, Math.floor(((d - lo) * 100) / (hi - lo + 1)))]++;
  return counts;
}

spread("default policy -> no 1 % slice of [cap/2, cap] holds more than 3 %", () => {
  for (const cap of [100000, 133334]) {
    const prng = createPrng(0xf7 + cap);
    const delays: number[] = [];
    const b = createBackoff();
    for (let device = 0; device < 10000; device++) {
      backoffProfile(b, PROFILE_NORMAL, cap, RETRY_FOREVER);
      while (b.windowMs < b.capMs) backoffNext(b, u32(prng)); // ride up to the cap
      delays.push(backoffNext(b, u32(prng)));
    }
    const lo = cap >> 1;
    for (const d of delays) assert.ok(d >= lo && d <= cap);
    const counts = slices(delays, lo, cap);
    const busiest = Math.max(...counts);
    assert.ok(busiest <= 300, `busiest slice ${busiest} of 10000`);
    assert.ok(Math.min(...counts) > 0, "every slice used");
    assert.ok(new Set(delays).size > 9000, "mostly distinct instants");
  }
});

spread("upstream semantics with jitter up to 5 s -> all 10,000 on one instant (the cap)", () => {
  const prng = createPrng(0x1f);
  const delays: number[] = [];
  for (let device = 0; device < 10000; device++) delays.push(azRetryDelay(0, 7 + prng.int(20), 1000, 100000, prng.int(5001)));
  assert.equal([...new Set(delays)], [100000]);
  const busiest = Math.max(...slices(delays, 50000, 100000));
  assert.is(busiest, 10000, "one slice holds 100 %");
});

spread.run();

const memory = suite("allocation: 1,000,000 calls on Node");

const rands = new Int32Array(4096);
{
  const prng = createPrng(0x2a);
  for (let i = 0; i < rands.length; i++) rands[i] = u32(prng) | 0;
}

memory("control: 16 bytes per call -> the detector sees GCs and growth", async () => {
  const keep: unknown[] = [null];
  const a = await measureAllocation((i) => {
    keep[0] = { i };
    return 1;
  }, 1000000);
  assert.ok(a.gcs > 0 || a.newSpaceBytes > 4000000, JSON.stringify(a));
});

memory("azRetryDelay x 1e6 -> no GC, new space +< 64 KB, nothing retained", async () => {
  const a = await measureAllocation((i) => azRetryDelay(i & 255, i & 63, 1000, 100000, rands[i & 4095] & 8191), 1000000);
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory("backoffNext x 1e6 -> no GC, new space +< 64 KB, nothing retained", async () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 100000, RETRY_FOREVER);
  const a = await measureAllocation((i) => backoffNext(b, rands[i & 4095]), 1000000);
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory("backoffSpread x 1e6 -> no GC, new space +< 64 KB, nothing retained", async () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 222223, RETRY_FOREVER);
  const a = await measureAllocation((i) => {
    backoffReset(b);
    return backoffSpread(b, 222223, rands[i & 4095], rands[(i + 7) & 4095]);
  }, 1000000);
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory.run();

const firstRetry = suite("backoffSpread: the first retry after a connection ended");

firstRetry("400,000 draws over w = 120 s -> the stationary residual: flat on [0, w/2] (2/3), falling to 0 at w", () => {
  const prng = createPrng(0x5b);
  const b = createBackoff();
  const bins = new Array<number>(12).fill(0);
  const total = 400000;
  for (let i = 0; i < total; i++) {
    backoffProfile(b, PROFILE_NORMAL, 240000, RETRY_FOREVER);
    const d = backoffSpread(b, 120000, u32(prng), u32(prng));
    if (!(d >= 0 && d <= 120000 && d === Math.floor(d))) assert.unreachable(`${d}`);
    bins[Math.min(11, Math.floor(d / 10000))]++;
  }
  // Density P(X > r) / E[X] for X uniform in [60, 120] s: 1/90 per s below 60 s, then
  // (120 - r) / 60 / 90: a bin of 10 s holds 11.1 % below 60 s, then 10.2 %, 8.3 %, ... 0.9 %.
  for (let k = 0; k < 12; k++) {
    const mid = 10 * k + 5;
    const expect = mid < 60 ? 10 / 90 : ((120 - mid) / 60) * (10 / 90);
    assert.ok(Math.abs(bins[k] / total - expect) < 0.004, `bin ${k}: ${bins[k] / total} vs ${expect}`);
  }
});

firstRetry("N devices starting with it and drawing from [w/2, w] after -> a flat rate N / (0.75 w), no burst where the draws overlap", () => {
  const prng = createPrng(0x77);
  const w = 100000;
  const perSecond = new Array<number>(400).fill(0);
  const n = 20000;
  const b = createBackoff();
  for (let i = 0; i < n; i++) {
    backoffProfile(b, PROFILE_NORMAL, w, RETRY_FOREVER);
    let t = backoffSpread(b, w, u32(prng), u32(prng));
    while (t < 400000) {
      perSecond[Math.floor(t / 1000)]++;
      t += backoffNext(b, u32(prng));
    }
  }
  // 20,000 / 75 s = 266.7 per second; a Poisson second is within +-5 sigma (82).
  for (let s = 0; s < 400; s++) assert.ok(Math.abs(perSecond[s] - 266.7) < 82, `second ${s}: ${perSecond[s]}`);
});

firstRetry("window: clamped to [2, cap]; the next window doubles from it, saturating at the cap", () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 100000, RETRY_FOREVER);
  assert.ok(backoffSpread(b, 2000, 12345, 678) <= 2000);
  assert.is(b.windowMs, 4000);
  assert.is(b.attempts, 1);
  assert.ok(backoffNext(b, 99) >= 2000);
  backoffReset(b);
  assert.ok(backoffSpread(b, 500000, -1, -1) <= 100000);
  assert.is(b.windowMs, 100000);
  backoffReset(b);
  assert.ok(backoffSpread(b, 0, 7, 7) <= 2);
});

firstRetry("maxAttempts reached -> ERR_RETRY_EXHAUSTED, context unchanged", () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 100000, 1);
  backoffSpread(b, 2000, 1, 1);
  const before = { ...b };
  assert.is(backoffSpread(b, 2000, 1, 1), ERR_RETRY_EXHAUSTED);
  assert.equal({ ...b }, before);
});

firstRetry.run();
