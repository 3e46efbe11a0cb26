// The fleet headline figures of one run, by the names `npm run fleet -- --json` and the bench
// carry (fleet.<scenario>.<name>).
import type { RunFigures } from "./sim";

export function headline(f: RunFigures): Record<string, number | null> {
  return {
    /** Peak attempts in one second over all attempts (hub up or down) / the hub's limit. */
    peak_all_x_limit: f.peakAllRatio,
    seconds_above_1_5x: f.secondsAbove15,
    dps_peak_per_min: f.dpsPeakPerMin,
    back99_x_bound: f.back99x,
    dps_reg_per_device: f.dpsRegPerDevice,
    renewal_peak_x_limit: f.renewalPeakRatio,
  };
}
