// staggerNote on the interpreter (firmware/stagger-note.ts): the same text as on Node.
import { check, probe, done } from "./probe-kit";
import { staggerNote } from "../../firmware/stagger-note";

probe("staggerNote: fleet settings -> separators and the rate", () => {
  const got = staggerNote(66123, { devices: 100000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 }, 100000);
  return got === "DPS in 66 s: fleet stagger for 100,000 devices at 1,000 registrations/min" || got;
});

probe("staggerNote: no fleet settings -> the default window", () => {
  const got = staggerNote(66123, undefined, 100000);
  return got === "DPS in 66 s: default stagger, up to 100 s (no fleet settings); set fleet.devices" || got;
});

check("done", true);
done();
