// The log line for a first boot's wait before DPS: how long, and why. Without it a device
// (or `npm start -- --config`) sits silent for up to 100 s and looks hung. With fleet
// settings the wait is the fleet's spread (planFleet: N over the slower of DPS and the hub,
// times load, of which the stagger takes 95 %); the line names that configured rate. Without
// them it is the default window of planFleet, and the line says how to size it. Pure; the
// caller logs it once, where the policy draws the wait.
import { FleetSettings, DEFAULT_DPS_REGISTRATIONS_PER_MINUTE, DEFAULT_HUB_CONNECTIONS_PER_SECOND } from "./policy/fleet";

/** A whole number with thousands separators ("100,000"). */
function grouped(n: number): string {
  const digits = "" + Math.floor(n);
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits.charAt(i);
  }
  return out;
}

/**
 * "DPS in 66 s: fleet stagger for 100,000 devices at 1,000 registrations/min" with fleet
 * settings; "DPS in 66 s: default stagger, up to 100 s (no fleet settings); set fleet.devices"
 * without. waitMs is the drawn wait, maxMs the top of its window (FleetPlan.staggerMaxMs).
 */
export function staggerNote(waitMs: number, fleet: FleetSettings | undefined, maxMs: number): string {
  const head = "DPS in " + Math.round(waitMs / 1000) + " s: ";
  if (!fleet) return head + "default stagger, up to " + Math.round(maxMs / 1000) + " s (no fleet settings); set fleet.devices";
  const dps = fleet.dpsRegistrationsPerMinute > 0 ? fleet.dpsRegistrationsPerMinute : DEFAULT_DPS_REGISTRATIONS_PER_MINUTE;
  const hub = (fleet.hubConnectionsPerSecond > 0 ? fleet.hubConnectionsPerSecond : DEFAULT_HUB_CONNECTIONS_PER_SECOND) * 60;
  const load = fleet.load > 0 ? fleet.load : 1;
  const rate = (dps < hub ? dps : hub) * load;
  const n = fleet.devices >= 1 ? fleet.devices : 1;
  return head + "fleet stagger for " + grouped(n) + (n < 2 ? " device" : " devices") + " at " + grouped(rate) + " registrations/min";
}
