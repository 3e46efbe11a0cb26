import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fallbackDelay, planFleet, staggerDelay, warmDelay, renewalDelay, dpsRetrySpread, STAGGER_SHARE, type FleetPlan, type FleetSettings } from "../../firmware/policy/fleet";
import { MAX_DELAY_MS } from "../../firmware/policy/backoff";
import { createPrng } from "../helpers/prng";
import { measureAllocation } from "../../tools/bench/backoff.bench";

const fleet = (devices: number, hubConnectionsPerSecond: number, dpsRegistrationsPerMinute: number, load: number): FleetSettings => ({
  devices,
  hubConnectionsPerSecond,
  dpsRegistrationsPerMinute,
  load,
});

const plan = suite("planFleet");

plan("no settings -> reference defaults: stagger and fallback [1 s, 100 s], cap 100 s, 2 s windows", () => {
  assert.equal(planFleet(), { staggerMinMs: 1000, staggerMaxMs: 100000, capMs: 100000, fallbackMinMs: 1000, fallbackSpreadMs: 100000, spreadMs: 2000, warmMs: 2000, renewalSpreadMs: 1000 });
});

plan("10,000 devices, DPS 1000/min, hub 100/s, load 1 -> the 600 s stagger (N / the quota) with room for randomness and retries; T = 100 s", () => {
  // T = 10000 / 16.7 = 600 s. The stagger is sized for 95 % of the quota (950/min, the rest
  // left for retries) at a mean of 834.5/min so that mean + 4 sigma stays within 950:
  // 10000 / 834.45 min = 719.0 s. The fallback, for the whole quota: mean 881.3/min,
  // 680.8 s. N / cps = 100 s: cap and spread 2N / (1.5 cps) = 133.3 s, warm boot over 100 s,
  // renewals over 333.3 s.
  assert.equal(planFleet(fleet(10000, 100, 1000, 1)), { staggerMinMs: 1000, staggerMaxMs: 719035, capMs: 133334, fallbackMinMs: 1000, fallbackSpreadMs: 680847, spreadMs: 133334, warmMs: 100000, renewalSpreadMs: 333334 });
});

plan("same fleet at load 0.5 -> over 25 min of stagger (475/min, mean 395/min), every hub window doubled", () => {
  assert.equal(planFleet(fleet(10000, 100, 1000, 0.5)), { staggerMinMs: 1000, staggerMaxMs: 1517237, capMs: 266667, fallbackMinMs: 1000, fallbackSpreadMs: 1434720, spreadMs: 266667, warmMs: 200000, renewalSpreadMs: 666667 });
});

plan("hub slower than DPS (10/s vs 16.7/s) -> the stagger follows the hub, the fallback DPS", () => {
  const p = planFleet(fleet(10000, 10, 1000, 1));
  assert.is(p.staggerMaxMs, 1244383); // 95 % of 600/min, mean 482.2/min
  assert.is(p.fallbackSpreadMs, 680847);
  assert.is(p.capMs, 1333334);
  assert.is(p.warmMs, 1000000);
});

plan("1,000,000 devices, hub 6000/s -> cap and spread 222.2 s, warm boot over 166.7 s", () => {
  const p = planFleet(fleet(1000000, 6000, 1000, 1));
  assert.is(p.capMs, 222223);
  assert.is(p.spreadMs, 222223);
  assert.is(p.warmMs, 166667);
  assert.is(p.renewalSpreadMs, 555556);
});

plan("small fleet -> never below the defaults' floors (1 s, cap 100 s, 2 s windows)", () => {
  assert.equal(planFleet(fleet(1, 100, 1000, 1)), { staggerMinMs: 1000, staggerMaxMs: 1000, capMs: 100000, fallbackMinMs: 1000, fallbackSpreadMs: 1000, spreadMs: 2000, warmMs: 2000, renewalSpreadMs: 1000 });
  // 1000 devices at 6000/s: N / cps is 167 ms, the windows stay at 2 s.
  const p = planFleet(fleet(1000, 6000, 1000, 1));
  assert.is(p.spreadMs, 2000);
  assert.is(p.warmMs, 2000);
});

plan("bad fields -> their defaults (N 1, hub 100/s, DPS 1000/min, load 1)", () => {
  assert.equal(planFleet(fleet(10000, 0, NaN, -2)), planFleet(fleet(10000, 100, 1000, 1)));
  assert.equal(planFleet(fleet(NaN, 100, 1000, 1)), planFleet(fleet(1, 100, 1000, 1)));
});

plan("a million devices at load 0.001 -> saturates at 2^31 - 1 ms", () => {
  const p = planFleet(fleet(1000000, 100, 1000, 0.001));
  for (const v of [p.staggerMaxMs, p.capMs, p.fallbackSpreadMs, p.spreadMs, p.warmMs, p.renewalSpreadMs]) assert.is(v, MAX_DELAY_MS);
});

plan("10,000 random fleets -> spreads keep mean + 4 sigma per minute within the quota; cap 2N / (1.5 cps) at least; windows within [2 s, cap]", () => {
  const prng = createPrng(0xf1ee7);
  for (let i = 0; i < 10000; i++) {
    const n = 1 + prng.int(2000000);
    const hub = 1 + prng.int(6000);
    const dps = 1 + prng.int(5000);
    const load = 0.05 + prng.next() * 1.5;
    const p = planFleet(fleet(n, hub, dps, load));
    for (const v of [p.staggerMinMs, p.staggerMaxMs, p.capMs, p.fallbackMinMs, p.fallbackSpreadMs, p.spreadMs, p.warmMs, p.renewalSpreadMs]) {
      assert.ok(v >= 1000 && v <= MAX_DELAY_MS && v === Math.floor(v));
    }
    assert.ok(p.staggerMaxMs >= p.staggerMinMs && p.fallbackSpreadMs >= p.fallbackMinMs && p.capMs >= 100000);
    // The stagger spreads N over at least N / (load x slower rate) seconds, and a minute of
    // it (mean m = N / window minutes) keeps m + 4 sqrt(m) within 95 % of the quota.
    const slower = Math.min(hub, dps / 60);
    assert.ok(p.staggerMaxMs === MAX_DELAY_MS || p.staggerMaxMs >= (n / slower / load) * 1000 - 1);
    const perMinute = (window: number) => n / (window / 60000);
    const within = (window: number, quota: number) => {
      const m = perMinute(window);
      return m + 4 * Math.sqrt(m) <= quota * (1 + 1e-9);
    };
    if (p.staggerMaxMs > 1000 && p.staggerMaxMs < MAX_DELAY_MS && !within(p.staggerMaxMs, STAGGER_SHARE * load * slower * 60)) assert.unreachable(`stagger ${p.staggerMaxMs}`);
    if (p.fallbackSpreadMs > 1000 && p.fallbackSpreadMs < MAX_DELAY_MS && !within(p.fallbackSpreadMs, load * dps)) assert.unreachable(`fallback ${p.fallbackSpreadMs}`);
    if (p.staggerMaxMs > 1000 && p.staggerMaxMs < MAX_DELAY_MS && within(p.staggerMaxMs * (1 - 1e-6) - 2, STAGGER_SHARE * load * slower * 60)) assert.unreachable(`stagger ${p.staggerMaxMs} larger than needed`);
    // Draws from [cap/2, cap] by N devices: at most 2N / cap per second, even all at once.
    const t = (n * 1000) / (load * hub);
    if (p.capMs < MAX_DELAY_MS && (2 * n * 1000) / p.capMs > 1.5 * load * hub * (1 + 1e-6)) assert.unreachable(`cap ${p.capMs} for ${n} at ${hub}/s x ${load}`);
    for (const w of [p.spreadMs, p.warmMs]) assert.ok(w >= 2000 && w <= p.capMs, `${w}`);
    if (p.warmMs > 2000 && p.warmMs < p.capMs) assert.ok(Math.abs(p.warmMs - t) <= 1, `warm ${p.warmMs} vs T ${t}`);
  }
});

plan.run();

const draws = suite("staggerDelay and fallbackDelay");

// A plan with round windows (stagger and fallback [1 s, 600 s]): the draws do not depend on
// how planFleet sized them.
const worked: FleetPlan = { staggerMinMs: 1000, staggerMaxMs: 600000, capMs: 133334, fallbackMinMs: 1000, fallbackSpreadMs: 600000, spreadMs: 133334, warmMs: 100000, renewalSpreadMs: 300000 };

draws("stagger, 100,000 seeded draws -> within [1 s, 600 s], uniform to 1 % slices", () => {
  const prng = createPrng(0x57a6);
  const counts = new Array<number>(100).fill(0);
  for (let i = 0; i < 100000; i++) {
    const d = staggerDelay(worked, prng.int(4294967296));
    if (!(d >= 1000 && d <= 600000 && d === Math.floor(d))) assert.unreachable(`${d}`);
    counts[Math.floor(((d - 1000) * 100) / 599001)]++;
  }
  assert.ok(Math.max(...counts) < 1150 && Math.min(...counts) > 850, `${Math.min(...counts)}..${Math.max(...counts)}`);
});

draws("stagger ends -> reachable: random 0 gives min, span - 1 gives max", () => {
  assert.is(staggerDelay(worked, 0), 1000);
  assert.is(staggerDelay(worked, 599000), 600000);
  assert.is(staggerDelay(worked, 599001), 1000);
  assert.is(staggerDelay(planFleet(), -1), 1000 + (0x7fffffff % 99001));
});

draws("fallback rounds 0, 1, 2 -> windows 600 s, 1200 s, 2400 s", () => {
  for (const [rounds, hi] of [
    [0, 600000],
    [1, 1200000],
    [2, 2400000],
  ]) {
    assert.is(fallbackDelay(worked, rounds, 0), 1000);
    assert.is(fallbackDelay(worked, rounds, hi - 1000), hi);
  }
});

draws("100,000 random rounds 0..65535 and draws -> within [1 s, min(spread x 2^rounds, 2^31 - 1)]", () => {
  const prng = createPrng(0xfa11);
  for (let i = 0; i < 100000; i++) {
    const rounds = prng.int(2) === 0 ? prng.int(40) : prng.int(65536);
    const p = i % 2 === 0 ? worked : planFleet(fleet(1 + prng.int(1000000), 100, 1000, 1));
    const d = fallbackDelay(p, rounds, prng.int(4294967296));
    const wide = BigInt(p.fallbackSpreadMs) << BigInt(Math.min(rounds, 64));
    const hi = wide > BigInt(MAX_DELAY_MS) ? MAX_DELAY_MS : Number(wide);
    if (!(d >= p.fallbackMinMs && d <= hi && d === Math.floor(d))) assert.unreachable(`rounds ${rounds}: ${d} > ${hi}`);
  }
});

draws("fallback with negative or NaN rounds -> as round 0", () => {
  assert.is(fallbackDelay(worked, -3, 599000), 600000);
  assert.is(fallbackDelay(worked, NaN, 599000), 600000);
});

draws("warm boot, renewal and DPS retry draws -> their windows, ends reachable", () => {
  assert.is(warmDelay(worked, 0), 0);
  assert.is(warmDelay(worked, 100000), 100000);
  // Renewal: [renewAfter, renewAfter + min(spread, renewAfter / 5)].
  assert.is(renewalDelay(worked, 2880000, 0), 2880000);
  assert.is(renewalDelay(worked, 2880000, 300000), 3180000);
  assert.is(renewalDelay(worked, 480000, 96000), 576000);
  assert.is(renewalDelay(worked, 480000, 96001), 480000);
  // DPS: [0, min(100 x failing, fallbackSpreadMs)].
  assert.is(dpsRetrySpread(worked, 1000, 100000), 100000);
  assert.is(dpsRetrySpread(worked, 1000, 100001), 0);
  assert.is(dpsRetrySpread(worked, 3600000, 600000), 600000);
  assert.is(dpsRetrySpread(worked, 0, 12345), 0);
  const prng = createPrng(0xd5);
  for (let i = 0; i < 100000; i++) {
    const failing = prng.int(100000000);
    const d = dpsRetrySpread(worked, failing, prng.int(4294967296));
    if (!(d >= 0 && d <= Math.min(100 * failing, 600000) && d === Math.floor(d))) assert.unreachable(`${failing}: ${d}`);
  }
});

draws.run();

const memory = suite("fleet draws: allocation");

memory("1,000,000 stagger, fallback, warm-boot, renewal and DPS retry draws -> no GC, new space +< 64 KB", async () => {
  const prng = createPrng(0x3);
  const rands = new Int32Array(4096);
  for (let i = 0; i < rands.length; i++) rands[i] = prng.int(4294967296) | 0;
  const a = await measureAllocation(
    (i) => staggerDelay(worked, rands[i & 4095]) + fallbackDelay(worked, i & 7, rands[(i + 1) & 4095]) + warmDelay(worked, rands[(i + 2) & 4095]) +
      renewalDelay(worked, 2880000, rands[(i + 3) & 4095]) + dpsRetrySpread(worked, i * 17, rands[(i + 4) & 4095]),
    1000000,
  );
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory.run();
