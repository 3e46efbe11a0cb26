// `npm start -- --config`: the first boot's silent wait before DPS, explained. The policy
// logs "first boot without a cached hub: DPS in N ms (fleet stagger)"; this turns that line
// into staggerNote's (firmware/stagger-note.ts): how long, for what fleet, and which setting
// sizes it. Any other line, including one the device already words that way, passes as is.
import { staggerNote } from "../../firmware/stagger-note";
import { planFleet, type FleetSettings } from "../../firmware/policy/fleet";

const POLICY_NOTE = /^first boot without a cached hub: DPS in (\d+) ms \(fleet stagger\)$/;

export function explainStagger(message: string, fleet: FleetSettings | undefined): string {
  const m = POLICY_NOTE.exec(message);
  return m ? staggerNote(Number(m[1]), fleet, planFleet(fleet).staggerMaxMs) : message;
}
