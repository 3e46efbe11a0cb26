// examples/thermostat on the Node HAL against the simulator (real TLS on loopback, virtual
// clock): telemetry at the interval, the boost method, both writable properties applied and
// acknowledged, out-of-range values refused with ac 400.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createWorld, dpsConfig, type World } from "../device/harness";
import { startThermostat, type Thermostat } from "../../examples/thermostat/thermostat";
import { createRoom } from "../../examples/thermostat/room";
import type { Device } from "../../firmware/device/index";

const MINUTE = 60_000;

interface Rig {
  w: World;
  device: Device;
  app: Thermostat;
  heater: boolean[];
}

async function withThermostat(fn: (r: Rig) => Promise<void>): Promise<void> {
  const w = await createWorld();
  try {
    const enrollment = w.sim.enrollIndividual("thermo1");
    const { device, hal } = w.boot(dpsConfig(w.sim, "thermo1", enrollment.key, { fleet: { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 } }), { start: false });
    const room = createRoom(hal.clock, 19);
    const heater: boolean[] = [];
    const app = startThermostat(device, hal, {
      readTemperature: room.read,
      setHeater: (on) => {
        heater.push(on);
        room.heat(on);
      },
      intervalSeconds: 30,
      targetCelsius: 21,
    });
    device.start();
    await w.advanceUntil(() => device.stats().status === "Connected", 5 * MINUTE, 1000);
    await fn({ w, device, app, heater });
    app.stop();
  } finally {
    await w.stop();
  }
}

const reported = (w: World): Record<string, unknown> => w.sim.twin("thermo1").reported as Record<string, unknown>;
const readings = (w: World): Array<{ temperature: number; targetTemperature: number; heater: boolean }> =>
  w.sim.telemetry("thermo1").map((m) => JSON.parse(m.payload.toString("utf8")));

const app = suite("examples/thermostat against the simulator");

app("telemetry every 30 s with temperature, target and heater; the heater warms the room to the target", () =>
  withThermostat(async ({ w, heater }) => {
    const before = readings(w).length;
    await w.advance(10 * MINUTE);
    const got = readings(w);
    assert.ok(got.length - before >= 19 && got.length - before <= 21, "20 messages in 10 minutes, got " + (got.length - before));
    assert.equal(Object.keys(got[0]), ["temperature", "targetTemperature", "heater"]);
    assert.is(got[0].targetTemperature, 21);
    assert.is(heater[0], true, "19 degC is below the target: heating");
    assert.ok(got[got.length - 1].temperature >= 20.4 && got[got.length - 1].temperature <= 21.6, "held near 21: " + got[got.length - 1].temperature);
    assert.equal(w.sim.telemetry("thermo1")[0].properties, { "$.ct": "application/json", "$.ce": "utf-8", "$.mid": w.sim.telemetry("thermo1")[0].properties["$.mid"] });
  }));

app("desired targetTemperature and telemetryIntervalSeconds -> applied and acknowledged (ac 200, av = the desired version)", () =>
  withThermostat(async ({ w, device, app: t }) => {
    const version = (await w.delivered(device, () => w.sim.updateDesired("thermo1", { targetTemperature: 23.5, telemetryIntervalSeconds: 60 }))).result;
    await w.advanceUntil(() => (reported(w).telemetryIntervalSeconds as { av?: number } | undefined)?.av === version, MINUTE, 100);
    assert.equal(reported(w).targetTemperature, { value: 23.5, ac: 200, av: version, ad: "applied" });
    assert.equal(reported(w).telemetryIntervalSeconds, { value: 60, ac: 200, av: version, ad: "applied" });
    assert.equal([t.state().target, t.state().intervalSeconds], [23.5, 60]);
    const before = readings(w).length;
    await w.advance(10 * MINUTE);
    const after = readings(w).length - before;
    assert.ok(after >= 9 && after <= 11, "one message a minute now, got " + after);
    assert.is(readings(w)[readings(w).length - 1].targetTemperature, 23.5);
  }));

app("out-of-range desired values -> refused with ac 400, the old value kept and reported", () =>
  withThermostat(async ({ w, device, app: t }) => {
    const version = (await w.delivered(device, () => w.sim.updateDesired("thermo1", { targetTemperature: 80, telemetryIntervalSeconds: 1 }))).result;
    await w.advanceUntil(() => (reported(w).telemetryIntervalSeconds as { av?: number } | undefined)?.av === version, MINUTE, 100);
    assert.equal(reported(w).targetTemperature, { value: 21, ac: 400, av: version, ad: "must be 5-35" });
    assert.equal(reported(w).telemetryIntervalSeconds, { value: 30, ac: 400, av: version, ad: "must be 5-3600" });
    assert.equal([t.state().target, t.state().intervalSeconds], [21, 30]);
  }));

app("direct method boost -> 200, heater on for the minutes asked even above the target; bad payload -> 400", () =>
  withThermostat(async ({ w, device, app: t }) => {
    await w.delivered(device, () => w.sim.updateDesired("thermo1", { targetTemperature: 10 }));
    await w.advance(MINUTE);
    assert.is(t.state().heater, false, "19 degC is above a 10 degC target");
    const r = await (await w.delivered(device, () => w.sim.invokeMethod("thermo1", "boost", { minutes: 5 }))).result;
    assert.equal([r.status, r.payload], [200, { heater: true, minutes: 5 }]);
    await w.advance(2 * MINUTE);
    assert.is(t.state().heater, true, "still boosting after 2 minutes");
    await w.advance(4 * MINUTE);
    assert.is(t.state().heater, false, "back to the target's rule after 5 minutes");
    const bad = await (await w.delivered(device, () => w.sim.invokeMethod("thermo1", "boost", { minutes: 0 }))).result;
    assert.is(bad.status, 400);
    assert.match(JSON.stringify(bad.payload), /minutes/);
  }));

app.run();
