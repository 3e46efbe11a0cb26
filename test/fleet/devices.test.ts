import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runPolicy, DEFAULTS, type FleetOptions } from "../../tools/fleet/run";
import { SCENARIOS, WARM_MS, type RunResult } from "../../tools/fleet/sim";

const small = (over: Partial<FleetOptions>): FleetOptions => ({ ...DEFAULTS, devices: 1000, hubCps: 6, dpsPerMin: 1000, ...over });

/** Every figure but the name and the wall time, and the attempts per second. */
function same(a: RunResult, b: RunResult): void {
  const strip = (r: RunResult) => ({ ...r.figures, policy: "", wallMs: 0 });
  assert.equal(strip(a), strip(b));
  assert.equal(Array.from(a.offered), Array.from(b.offered));
  assert.equal(Array.from(a.connected), Array.from(b.connected));
}

const fidelity = suite("fleet model: our policy");

fidelity("every scenario -> the typed-array model and 1000 ConnectionPolicy objects make identical runs", () => {
  for (const sc of SCENARIOS) {
    const o = small({ scenario: sc, dpsPerMin: sc === "outage" || sc === "failover" ? 1000 : 300 });
    same(runPolicy(o, "ours"), runPolicy(o, "reference"));
  }
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

spread("outage -> ours keeps most devices off DPS; the earlier wait-for-DPS rule sent every device there", () => {
  // 20,000 devices: DPS's 1000/min spreads their fallback over 22.7 min, longer than what
  // is left of the outage when the 15-minute rule fires.
  const o = small({ scenario: "outage", devices: 20000, hubCps: 120 });
  const today = runPolicy(o, "dps-at-spread").figures;
  const proposed = runPolicy(o, "ours").figures;
  assert.is(today.dpsRegPerDevice, 1);
  assert.ok(proposed.dpsRegPerDevice < 0.8, `${proposed.dpsRegPerDevice}`);
  assert.ok(proposed.back99S !== null && today.back99S !== null && proposed.back99S < today.back99S);
});

spread.run();
