// npm start -- --config: the policy's first-boot line, explained with staggerNote.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { explainStagger } from "../../tools/start/stagger-line";
import { planFleet } from "../../firmware/policy/fleet";

const DEFAULT_MAX_S = Math.round(planFleet(undefined).staggerMaxMs / 1000);

const line = suite("explainStagger");

line("the policy's stagger note -> how long, why, and the setting", () => {
  assert.is(explainStagger("first boot without a cached hub: DPS in 66123 ms (fleet stagger)", undefined), "DPS in 66 s: default stagger, up to " + DEFAULT_MAX_S + " s (no fleet settings); set fleet.devices");
  assert.is(
    explainStagger("first boot without a cached hub: DPS in 66123 ms (fleet stagger)", { devices: 100000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 }),
    "DPS in 66 s: fleet stagger for 100,000 devices at 1,000 registrations/min",
  );
});

line("any other line -> unchanged", () => {
  assert.is(explainStagger("status Connected", undefined), "status Connected");
  assert.is(explainStagger("DPS in 66 s: default stagger, up to 100 s (no fleet settings); set fleet.devices", undefined), "DPS in 66 s: default stagger, up to 100 s (no fleet settings); set fleet.devices");
});

line.run();
