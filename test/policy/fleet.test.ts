import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fallbackDelay, planFleet, staggerDelay, type FleetPlan, type FleetSettings } from "../../firmware/policy/fleet";
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

plan("no settings -> reference defaults: stagger and fallback [1 s, 100 s], cap 100 s", () => {
  assert.equal(planFleet(), { staggerMinMs: 1000, staggerMaxMs: 100000, capMs: 100000, fallbackMinMs: 1000, fallbackSpreadMs: 100000 });
});

plan("10,000 devices, DPS 1000/min, hub 100/s, load 1 -> the reference's 600 s stagger", () => {
  // T = 10000 / 16.7 = 600 s (reference 7.3); the cap keeps 10000 / (0.75 cap) at 100/s.
  assert.equal(planFleet(fleet(10000, 100, 1000, 1)), { staggerMinMs: 1000, staggerMaxMs: 600000, capMs: 133334, fallbackMinMs: 1000, fallbackSpreadMs: 600000 });
});

plan("same fleet at load 0.5 -> 20 min stagger, everything doubled", () => {
  assert.equal(planFleet(fleet(10000, 100, 1000, 0.5)), { staggerMinMs: 1000, staggerMaxMs: 1200000, capMs: 266667, fallbackMinMs: 1000, fallbackSpreadMs: 1200000 });
});

plan("hub slower than DPS (10/s vs 16.7/s) -> the stagger follows the hub, the fallback DPS", () => {
  const p = planFleet(fleet(10000, 10, 1000, 1));
  assert.is(p.staggerMaxMs, 1000000);
  assert.is(p.fallbackSpreadMs, 600000);
  assert.is(p.capMs, 1333334);
});

plan("small fleet -> never below the defaults' floors (1 s, cap 100 s)", () => {
  assert.equal(planFleet(fleet(1, 100, 1000, 1)), { staggerMinMs: 1000, staggerMaxMs: 1000, capMs: 100000, fallbackMinMs: 1000, fallbackSpreadMs: 1000 });
});

plan("bad fields -> their defaults (N 1, hub 100/s, DPS 1000/min, load 1)", () => {
  assert.equal(planFleet(fleet(10000, 0, NaN, -2)), planFleet(fleet(10000, 100, 1000, 1)));
  assert.equal(planFleet(fleet(NaN, 100, 1000, 1)), planFleet(fleet(1, 100, 1000, 1)));
});

plan("a million devices at load 0.001 -> saturates at 2^31 - 1 ms", () => {
  const p = planFleet(fleet(1000000, 100, 1000, 0.001));
  assert.is(p.staggerMaxMs, MAX_DELAY_MS);
  assert.is(p.capMs, MAX_DELAY_MS);
  assert.is(p.fallbackSpreadMs, MAX_DELAY_MS);
});

plan("10,000 random fleets -> cap keeps N at the cap within load x hub rate, and is the smallest such", () => {
  const prng = createPrng(0xf1ee7);
  for (let i = 0; i < 10000; i++) {
    const n = 1 + prng.int(2000000);
    const hub = 1 + prng.int(6000);
    const dps = 1 + prng.int(5000);
    const load = 0.05 + prng.next() * 1.5;
    const p = planFleet(fleet(n, hub, dps, load));
    for (const v of [p.staggerMinMs, p.staggerMaxMs, p.capMs, p.fallbackMinMs, p.fallbackSpreadMs]) {
      assert.ok(v >= 1000 && v <= MAX_DELAY_MS && v === Math.floor(v));
    }
    assert.ok(p.staggerMaxMs >= p.staggerMinMs && p.fallbackSpreadMs >= p.fallbackMinMs && p.capMs >= 100000);
    // The stagger spreads N over at least N / (load x slower rate) seconds.
    const slower = Math.min(hub, dps / 60);
    assert.ok(p.staggerMaxMs === MAX_DELAY_MS || p.staggerMaxMs >= (n / slower / load) * 1000 - 1);
    if (p.capMs === MAX_DELAY_MS) continue;
    // At the cap a wait is uniform in [cap/2, cap]: mean 0.75 cap.
    const rate = (c: number) => n / ((0.75 * c) / 1000);
    if (rate(p.capMs) > load * hub * (1 + 1e-9)) assert.unreachable(`cap ${p.capMs} too small for ${n} at ${hub}/s x ${load}`);
    if (p.capMs > 100000 && rate(p.capMs - 1) <= load * hub * (1 - 1e-9)) assert.unreachable(`cap ${p.capMs} larger than needed`);
  }
});

plan.run();

const draws = suite("staggerDelay and fallbackDelay");

const worked: FleetPlan = planFleet(fleet(10000, 100, 1000, 1));

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

draws.run();

const memory = suite("fleet draws: allocation");

memory("1,000,000 stagger and fallback draws -> no GC, new space +< 64 KB", async () => {
  const prng = createPrng(0x3);
  const rands = new Int32Array(4096);
  for (let i = 0; i < rands.length; i++) rands[i] = prng.int(4294967296) | 0;
  const a = await measureAllocation((i) => staggerDelay(worked, rands[i & 4095]) + fallbackDelay(worked, i & 7, rands[(i + 1) & 4095]), 1000000);
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory.run();
