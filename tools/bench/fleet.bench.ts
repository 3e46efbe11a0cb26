// Fleet headline figures (tools/fleet): 1,000,000 devices (FLEET_DEVICES to change it), a
// 30-minute outage of a hub allowing 6000 new connections/s, DPS allowing 1000
// registrations/min, for our policy as connection.ts has it ("ours"). Each run is timed: the
// target is a million devices in at most 60 s.
import type { BenchRow } from "./main";
import { runPolicy, DEFAULTS } from "../fleet/run";

export default async function (): Promise<BenchRow[]> {
  const devices = Number(process.env.FLEET_DEVICES ?? 1000000);
  const scale = devices / 1000000;
  // Smaller fleets keep the million-device proportions (N / cps and N / DPS rate).
  const o = { ...DEFAULTS, devices, scenario: "outage", hubCps: 6000 * scale, dpsPerMin: 1000 * scale };
  const rows: BenchRow[] = [];
  const setup = `${devices.toLocaleString("en-US")} devices, 30 min hub outage, hub ${o.hubCps}/s, DPS ${o.dpsPerMin}/min`;
  for (const policy of ["ours"]) {
    const f = runPolicy(o, policy).figures;
    const p = `${policy}.`;
    // Not back by the end of the run: report the run's length after recovery, a lower bound.
    const after = (f.simulatedS - f.recoverAtS) / f.boundS;
    const back = (x: number | null, s: number | null) => (x === null ? { value: Math.round(after * 1000) / 1000, note: "not reached by the end of the run (lower bound)" } : { value: x, note: `${s} s; N/cps = ${f.boundS} s` });
    rows.push({ name: p + "run_ms", value: f.wallMs, unit: "ms", target: devices >= 1000000 ? "<= 60000" : undefined, note: `${setup}; ${(f.events / 1e6).toFixed(1)}M events` });
    rows.push({ name: p + "peak_offered_x_limit", value: f.peakOfferedRatio, unit: "x", target: "<= 1.5", note: `${f.peakOfferedPerS}/s at most, to an up hub` });
    rows.push({ name: p + "refused", value: f.hubRefused, unit: "attempts" });
    rows.push({ name: p + "back50_x_bound", unit: "x N/cps", ...back(f.back50x, f.back50S) });
    rows.push({ name: p + "back99_x_bound", unit: "x N/cps", target: "<= 1.2", ...back(f.back99x, f.back99S) });
    rows.push({ name: p + "back100_x_bound", unit: "x N/cps", ...back(f.back100x, f.back100S) });
    rows.push({ name: p + "dps_peak_per_min", value: f.dpsPeakPerMin, unit: "req/min", target: `<= ${o.dpsPerMin}`, note: `${f.dpsMinutesOverQuota} minutes above the quota` });
    rows.push({ name: p + "dps_reg_per_device", value: f.dpsRegPerDevice, unit: "reg/dev", target: "< 0.05" });
  }
  return rows;
}
