// staggerNote: the first boot's wait before DPS says how long and why.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { staggerNote } from "../firmware/stagger-note";
import { planFleet } from "../firmware/policy/fleet";

const note = suite("staggerNote");

note("fleet settings -> seconds, fleet size and the rate it is spread over", () => {
  const fleet = { devices: 100000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 };
  assert.is(staggerNote(66_123, fleet, planFleet(fleet).staggerMaxMs), "DPS in 66 s: fleet stagger for 100,000 devices at 1,000 registrations/min");
});

note("no fleet settings -> the default window and the setting that sizes it", () => {
  const plan = planFleet(undefined);
  assert.is(staggerNote(66_123, undefined, plan.staggerMaxMs), "DPS in 66 s: default stagger, up to " + Math.round(plan.staggerMaxMs / 1000) + " s (no fleet settings); set fleet.devices");
});

note("the slower service and the load set the rate; separators at every power of 1000", () => {
  const slowHub = { devices: 1234567, hubConnectionsPerSecond: 10, dpsRegistrationsPerMinute: 1000, load: 0.5 };
  assert.is(staggerNote(1000, slowHub, 0), "DPS in 1 s: fleet stagger for 1,234,567 devices at 300 registrations/min");
  assert.is(staggerNote(999_499, { devices: 7, hubConnectionsPerSecond: 0, dpsRegistrationsPerMinute: 0, load: 0 }, 0), "DPS in 999 s: fleet stagger for 7 devices at 1,000 registrations/min");
  assert.is(staggerNote(1000, { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 }, 0), "DPS in 1 s: fleet stagger for 1 device at 1,000 registrations/min");
  assert.is(staggerNote(1500, { devices: 1000, hubConnectionsPerSecond: 6000, dpsRegistrationsPerMinute: 12000, load: 1 }, 0), "DPS in 2 s: fleet stagger for 1,000 devices at 12,000 registrations/min");
});

note.run();
