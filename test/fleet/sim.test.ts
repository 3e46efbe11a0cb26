import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runPolicy, DEFAULTS, type FleetOptions } from "../../tools/fleet/run";
import { POLICIES } from "../../tools/fleet/devices";
import { hubConnectionsPerSecond, boundSeconds, scenario, WARM_MS, type RunFigures } from "../../tools/fleet/sim";

// A small fleet with the 1M-device case's proportions: N / cps = 166.7 s as with 1,000,000
// devices at 6000/s; DPS at its real 1000/min so the fallback spread stays short.
const small = (over: Partial<FleetOptions>): FleetOptions => ({ ...DEFAULTS, devices: 1000, hubCps: 6, dpsPerMin: 1000, ...over });

/** What the service model must never do, whatever the devices do. */
function limitsHeld(f: RunFigures, o: FleetOptions): void {
  const where = `${f.policy} / ${f.scenario}`;
  // The leaky bucket spaces CONNACKs 1000 / cps ms apart (float rounding may fit one more).
  assert.ok(f.hubServedPeakPerS <= Math.ceil(o.hubCps) + 1, `${where}: served ${f.hubServedPeakPerS}/s`);
  assert.ok(f.maxQueueWaitMs <= o.queueS * 1000, `${where}: a CONNACK waited ${f.maxQueueWaitMs} ms`);
  assert.ok(f.dpsAcceptedPeakPerMin <= o.dpsPerMin, `${where}: DPS accepted ${f.dpsAcceptedPeakPerMin} in a minute`);
  assert.is(f.pollViolations, 0, `${where}: polls beyond 5 per 10 s`);
}

/** Every device came back and is connected at the end. */
function allBack(f: RunFigures): void {
  assert.is(f.truncated, false, `${f.policy} / ${f.scenario} truncated`);
  assert.ok(f.back100S !== null, `${f.policy} / ${f.scenario}: not all back`);
  assert.is(f.connectedAtEnd, f.devices, `${f.policy} / ${f.scenario}: connected at the end`);
}

const limits = suite("service model: limits");

limits("30 min outage, every policy -> hub rate, shaping queue, DPS quota and poll limit held; every device back", () => {
  const o = small({ scenario: "outage" });
  for (const p of POLICIES) {
    const f = runPolicy(o, p).figures;
    limitsHeld(f, o);
    allBack(f);
  }
});

limits("same-minute boot with fixed 500 ms -> the hub serves at its rate, refuses beyond the queue, all connect", () => {
  const o = small({ scenario: "same-minute", devices: 2000, hubCps: 12 });
  const f = runPolicy(o, "fixed-500ms").figures;
  limitsHeld(f, o);
  allBack(f);
  assert.ok(f.hubRefused > 0, "refusals");
  assert.ok(f.hubServedPeakPerS >= 12, `served ${f.hubServedPeakPerS}`);
  assert.ok(f.maxQueueWaitMs > 15000, `queue ${f.maxQueueWaitMs}`);
  // 2000 connections at 12/s take at least 166.7 s.
  assert.ok(f.back100S !== null && f.back100S >= 166, `${f.back100S}`);
});

limits("first boot and DPS outage, every policy -> DPS quota held; every device provisioned once", () => {
  for (const sc of ["first-boot", "dps-outage"]) {
    const o = small({ scenario: sc, dpsPerMin: 200 });
    for (const p of POLICIES) {
      const f = runPolicy(o, p).figures;
      limitsHeld(f, o);
      allBack(f);
      assert.is(f.dpsRegistrations, f.devices, `${p} / ${sc}: one registration each`);
    }
  }
});

limits("failover -> policies that go back to DPS end on hub B; the others never connect", () => {
  const o = small({ scenario: "failover", eventsPerDevice: 400 });
  for (const p of ["ours", "upstream-c"]) {
    const f = runPolicy(o, p).figures;
    limitsHeld(f, o);
    allBack(f);
    assert.ok(f.dpsRegPerDevice >= 1, `${p}: ${f.dpsRegPerDevice} registrations per device`);
  }
  const f = runPolicy(o, "fixed-2s").figures;
  assert.is(f.truncated, true);
  assert.is(f.back50S, null);
  assert.is(f.connectedAtEnd, 0);
});

limits.run();

const figures = suite("service model: figures");

figures("tiers and units -> the published new-connection rates", () => {
  assert.is(hubConnectionsPerSecond("S1", 1), 100);
  assert.is(hubConnectionsPerSecond("S1", 9), 108);
  assert.is(hubConnectionsPerSecond("b2", 3), 360);
  assert.is(hubConnectionsPerSecond("S3", 1), 6000);
  assert.is(hubConnectionsPerSecond("S3", 2), 12000);
  assert.throws(() => hubConnectionsPerSecond("S9", 1));
});

figures("quota-bound minimum -> N / cps for the hub, N / DPS rate when the fleet must register", () => {
  const lim = { hubCps: 6000, dpsPerMin: 1000, queueMs: 20000, latencyMs: 300 };
  assert.ok(Math.abs(boundSeconds(scenario("outage", 1800000), 1000000, lim) - 166.67) < 0.01);
  assert.is(boundSeconds(scenario("failover", 1800000), 1000000, lim), 60000);
  assert.is(boundSeconds(scenario("first-boot", 1800000), 1000000, lim), 60000);
});

figures("outage -> attempts counted against the down hub in the outage, against the up hub after", () => {
  const o = small({ scenario: "outage" });
  const r = runPolicy(o, "fixed-2s");
  const d = WARM_MS / 1000;
  const f = r.figures;
  // 1000 devices every 2.3 s for 30 min, all failing.
  assert.ok(f.hubFailedDown > 700000 && f.hubFailedDown < 800000, `${f.hubFailedDown}`);
  assert.ok(f.peakOfferedDownPerS >= 400, `${f.peakOfferedDownPerS}`);
  // A failure takes 300 ms, then 2 s: 1000 devices try 100 / 2.3 times in 100 s.
  const hundred = r.offered.slice(d + 100, d + 200).reduce((x, y) => x + y, 0);
  assert.ok(hundred > 42000 && hundred < 45000, `${hundred} attempts in 100 s of the outage`);
  assert.is(f.hubAttempts, r.offered.reduce((a, b) => a + b, 0));
  assert.ok(f.back99S !== null && f.back99S >= 0.98 * (1000 / 6));
});

figures.run();
