// Fleet headline figures (tools/fleet, docs/fleet.md): our policy as connection.ts has it, in
// every scenario, at 1,000,000 devices (FLEET_DEVICES to change it; FLEET_SCENARIOS=a,b for
// fewer scenarios), a hub allowing 6000 new connections/s, DPS allowing 1000
// registrations/min. Rows are fleet.<scenario>.<figure>. Each run is timed: the target is a
// million devices in at most 60 s per scenario. One more row: 100 devices after a 30 s blip.
import type { BenchRow } from "./main";
import { DEFAULTS } from "../fleet/run";
import { loadRun } from "../fleet/bundled";
import { SCENARIOS } from "../fleet/sim";
import { headline } from "../fleet/figures";

/** 99 % back within this many times the quota-bound minimum (the targets). */
const BACK99_TARGET: Record<string, number> = { outage: 1.25, blip: 1.3, "power-restore": 1.3 };
/** Fewer DPS registrations per device than this where the hub comes back. */
const REG_TARGET: Record<string, number> = { outage: 0.05, blip: 0.05 };

export default async function (): Promise<BenchRow[]> {
  const { runPolicy } = await loadRun();
  const devices = Number(process.env.FLEET_DEVICES ?? 1000000);
  const scenarios = process.env.FLEET_SCENARIOS ? process.env.FLEET_SCENARIOS.split(",") : SCENARIOS;
  const scale = devices / 1000000;
  const rows: BenchRow[] = [];
  for (const sc of scenarios) {
    // Smaller fleets keep the million-device proportions (N / cps and N / DPS rate).
    const o = { ...DEFAULTS, devices, scenario: sc, hubCps: 6000 * scale, dpsPerMin: 1000 * scale };
    const f = runPolicy(o, "ours").figures;
    const h = headline(f);
    const p = `${sc}.`;
    const setup = `${devices.toLocaleString("en-US")} devices, ${sc}, hub ${o.hubCps}/s, DPS ${o.dpsPerMin}/min`;
    rows.push({ name: p + "run_ms", value: f.wallMs, unit: "ms", target: devices >= 1000000 ? "<= 60000" : undefined, note: `${setup}; ${(f.events / 1e6).toFixed(1)}M events` });
    rows.push({ name: p + "peak_all_x_limit", value: h.peak_all_x_limit as number, unit: "x", target: "<= 1.5", note: `${f.peakAllPerS}/s at most, hub up or down` });
    rows.push({ name: p + "seconds_above_1_5x", value: h.seconds_above_1_5x as number, unit: "s", target: "<= 0" });
    rows.push({ name: p + "dps_peak_per_min", value: h.dps_peak_per_min as number, unit: "req/min", target: `<= ${o.dpsPerMin}`, note: `${f.dpsMinutesOverQuota} minutes above the quota` });
    // Not back by the end of the run: report the run's length after recovery, a lower bound.
    const after = Math.round(((f.simulatedS - f.recoverAtS) / f.boundS) * 1000) / 1000;
    const b99 = f.back99x;
    const t99 = BACK99_TARGET[sc];
    rows.push({
      name: p + "back99_x_bound", value: b99 === null ? after : b99, unit: "x bound", target: t99 ? `<= ${t99}` : undefined,
      note: b99 === null ? "not reached by the end of the run (lower bound)" : `${f.back99S} s; bound ${f.boundS} s`,
    });
    rows.push({ name: p + "dps_reg_per_device", value: h.dps_reg_per_device as number, unit: "reg/dev", target: REG_TARGET[sc] ? `< ${REG_TARGET[sc]}` : undefined });
    rows.push({ name: p + "renewal_peak_x_limit", value: h.renewal_peak_x_limit as number, unit: "x", target: "<= 0.5" });
  }
  // A small fleet is no slower than before: 100 devices, 99 % back within 30 s of the hub's return.
  const small = runPolicy({ ...DEFAULTS, devices: 100, scenario: "blip", hubCps: 6000, dpsPerMin: 1000 }, "ours").figures;
  rows.push({ name: "small.blip_back99_s", value: small.back99S ?? -1, unit: "s", target: "<= 30", note: "100 devices, hub 6000/s, 30 s blip" });
  return rows;
}
