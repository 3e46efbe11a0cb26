import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runPolicy, DEFAULTS, type FleetOptions } from "../../tools/fleet/run";
import { SCENARIOS, WARM_MS, type RunResult } from "../../tools/fleet/sim";
import { ConnectionPolicy } from "../../firmware/policy/connection";

const small = (over: Partial<FleetOptions>): FleetOptions => ({ ...DEFAULTS, devices: 1000, hubCps: 6, dpsPerMin: 1000, ...over });

/** Every figure but the name and the wall time, and the attempts per second. */
function same(a: RunResult, b: RunResult): void {
  const strip = (r: RunResult) => ({ ...r.figures, policy: "", wallMs: 0 });
  assert.equal(strip(a), strip(b));
  assert.equal(Array.from(a.offered), Array.from(b.offered));
  assert.equal(Array.from(a.connected), Array.from(b.connected));
}

const fidelity = suite("fleet model: our policy is the device's code");

fidelity("every scenario -> every device decision goes through ConnectionPolicy (one call per service event)", () => {
  const counts: Record<string, number> = {};
  const proto = ConnectionPolicy.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ["start", "tick", "hubConnected", "hubFailed", "dpsResponse", "dpsFailed"];
  const originals = names.map((k) => proto[k]);
  names.forEach((k, i) => {
    proto[k] = function (this: unknown, ...a: unknown[]) {
      counts[k] = (counts[k] ?? 0) + 1;
      return originals[i].apply(this, a);
    };
  });
  try {
    for (const sc of SCENARIOS) {
      for (const k of names) counts[k] = 0;
      const o = small({ scenario: sc, dpsPerMin: sc === "outage" || sc === "failover" || sc === "blip" ? 1000 : 300 });
      const f = runPolicy(o, "ours").figures;
      assert.ok(counts.start >= f.devices, `${sc}: ${counts.start} boots`);
      // Every CONNACK is a hubConnected, every refusal or failure a hubFailed.
      assert.ok(counts.hubConnected >= f.devices, `${sc}: ${counts.hubConnected} connections`);
      assert.ok(counts.hubFailed >= f.hubRefused + f.hubFailedDown, `${sc}: ${counts.hubFailed} failures`);
      assert.ok(counts.tick > 0);
      if (f.dpsRegistrations > 0) assert.ok(counts.dpsResponse >= f.dpsRegistrations, `${sc}: DPS replies`);
    }
  } finally {
    names.forEach((k, i) => (proto[k] = originals[i]));
  }
});

fidelity("a setting of the policy (hubMinGapMs) -> the simulated fleet follows it: no hub retry within a minute", () => {
  const o = small({ scenario: "blip", devices: 100, hubCps: 6000 });
  const quick = runPolicy(o, "ours");
  const gap = runPolicy(o, "ours-1min-gap");
  const d = WARM_MS / 1000;
  // The 30 s blip: ours retries within seconds, the minute gap not before a minute.
  const first = (r: RunResult) => r.offered.slice(d + 2).findIndex((v) => v > 0) + 2;
  assert.ok(first(quick) < 10, `ours: ${first(quick)}`);
  assert.ok(first(gap) >= 60, `gap: ${first(gap)}`);
  assert.ok(gap.figures.back99S !== null && gap.figures.back99S >= 30, `${gap.figures.back99S}`);
});

fidelity("same seed -> identical runs; another seed -> another run", () => {
  const o = small({ scenario: "outage", seed: 7 });
  const a = runPolicy(o, "ours");
  same(a, runPolicy(o, "ours"));
  const c = runPolicy({ ...o, seed: 8 }, "ours");
  assert.not.equal(Array.from(a.offered), Array.from(c.offered));
});

fidelity.run();

const spread = suite("fleet model: spread vs lockstep");

/** The share of all attempts in minutes 5..15 of the outage that fall in its busiest 10 s. */
function busiestTenSeconds(r: RunResult): number {
  const d = WARM_MS / 1000;
  const w = r.offered.slice(d + 300, d + 900);
  let total = 0;
  let best = 0;
  for (let i = 0; i < w.length; i++) total += w[i];
  for (let i = 0; i + 10 <= w.length; i++) {
    let s = 0;
    for (let k = i; k < i + 10; k++) s += w[k];
    if (s > best) best = s;
  }
  return best / total;
}

spread("outage, devices at the cap -> ours spreads its retries (uniform: 1.7 % per 10 s); upstream's land in lockstep", () => {
  const o = small({ scenario: "outage" });
  const ours = busiestTenSeconds(runPolicy(o, "ours"));
  const upstream = busiestTenSeconds(runPolicy(o, "upstream-c"));
  assert.ok(ours < 0.05, `ours: ${ours}`);
  assert.ok(upstream > 0.1, `upstream: ${upstream}`);
});

spread("outage -> the hub is retried until the DPS round comes due: few devices register again", () => {
  // 20,000 devices: DPS's 1000/min spreads their fallback over 22.7 min, longer than what
  // is left of the outage when the 15-minute rule fires.
  const o = small({ scenario: "outage", devices: 20000, hubCps: 120 });
  const f = runPolicy(o, "ours").figures;
  assert.ok(f.dpsRegPerDevice < 0.8, `${f.dpsRegPerDevice}`);
  assert.ok(f.back99x !== null && f.back99x < 1.3, `${f.back99x}`);
});

spread.run();
