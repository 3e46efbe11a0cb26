// One fleet run per policy, from plain options: used by the CLI (main.ts), the bench and the
// tests. The fleet settings given to our policy are the run's own: N, the hub's rate, DPS's
// rate and the load factor.
import { planFleet, type FleetPlan } from "../../firmware/policy/fleet";
import { Sim, scenario, boundSeconds, type RunResult, type ServiceLimits } from "./sim";
import { makeModel } from "./devices";

export interface FleetOptions {
  devices: number;
  scenario: string;
  seed: number;
  hubCps: number;
  dpsPerMin: number;
  /** Fleet settings' load factor for our policy (1 = right at the limits). */
  load: number;
  /** Traffic shaping queue, in seconds of the hub's rate. */
  queueS: number;
  latencyMs: number;
  /** Outage length (outage and dps-outage scenarios; blip is 30 s unless this is shorter). */
  outageS: number;
  /** Events allowed per device before a run stops (truncated). */
  eventsPerDevice: number;
  /** Simulate at most this long after recovery; default: 2 x the quota bound + 24 h. */
  horizonS?: number;
  progress?: boolean;
  /** Replaces fields of our policy's fleet plan (experiments only). */
  planOverride?: Partial<FleetPlan>;
}

export const DEFAULTS: FleetOptions = {
  devices: 100000,
  scenario: "outage",
  seed: 1,
  hubCps: 6000,
  dpsPerMin: 1000,
  load: 1,
  queueS: 20,
  latencyMs: 300,
  outageS: 1800,
  eventsPerDevice: 3000,
};

export function limitsOf(o: FleetOptions): ServiceLimits {
  return { hubCps: o.hubCps, dpsPerMin: o.dpsPerMin, queueMs: o.queueS * 1000, latencyMs: o.latencyMs };
}

export function planOf(o: FleetOptions): FleetPlan {
  const plan = planFleet({ devices: o.devices, hubConnectionsPerSecond: o.hubCps, dpsRegistrationsPerMinute: o.dpsPerMin, load: o.load });
  return o.planOverride ? { ...plan, ...o.planOverride } : plan;
}

/** Runs one policy (POLICIES in devices.ts). */
export function runPolicy(o: FleetOptions, policy: string): RunResult {
  const sc = scenario(o.scenario, o.outageS * 1000);
  const limits = limitsOf(o);
  const bound = boundSeconds(sc, o.devices, limits);
  const maxAfterMs = Math.round((o.horizonS ?? 2 * bound + 86400) * 1000);
  const sim = new Sim({
    n: o.devices,
    seed: o.seed,
    limits,
    scenario: sc,
    budget: o.eventsPerDevice * o.devices,
    maxAfterMs,
    progressEvery: o.progress ? 100000000 : 0,
  });
  const plan = planOf(o);
  return sim.run((core) => makeModel(policy, core, plan, o.latencyMs));
}
