// examples/thermostat's application code on the interpreter (a syntax error in a function
// body shows only when it runs): a stand-in device and HAL drive every path (the control
// loop, telemetry, both writable properties valid and refused, boost valid and refused).
import { check, probe, done } from "./probe-kit";
import { startThermostat } from "../../examples/thermostat/thermostat";
import type { Device } from "../../firmware/device/index";
import type { Hal } from "../../hal/types";

let now = 0;
const timers: Array<{ at: number; fn: () => void; id: number }> = [];
let nextId = 1;
const sent: string[] = [];
const reports: string[] = [];
let desiredCb: (d: { [k: string]: unknown }, v: number) => void = function () {};
let boost: (payload: string, respond: (status: number, body?: unknown) => void) => void = function () {};

const hal = {
  clock: { nowMs: function () { return now; }, utcSeconds: function () { return 0; }, isSynced: function () { return true; } },
  timers: {
    setTimer: function (ms: number, fn: () => void) { timers.push({ at: now + ms, fn: fn, id: nextId }); return nextId++; },
    clearTimer: function (id: number) { for (let i = 0; i < timers.length; i++) if (timers[i].id === id) timers.splice(i, 1); },
  },
  system: { log: function () {}, reboot: function () {}, memory: function () { return { used: 0, total: 0, unit: "jsvars" }; } },
} as unknown as Hal;

const device = {
  sendTelemetry: function (body: string) { sent.push(body); return sent.length; },
  reportProperties: function (patch: { [k: string]: unknown }) { reports.push(JSON.stringify(patch)); return 0; },
  onDesired: function (cb: (d: { [k: string]: unknown }, v: number) => void) { desiredCb = cb; },
  onMethod: function (name: string, h: (payload: string, respond: (status: number, body?: unknown) => void) => void) { if (name === "boost") boost = h; },
  onStatus: function () {},
} as unknown as Device;

function advance(ms: number): void {
  const end = now + ms;
  for (;;) {
    let next = -1;
    for (let i = 0; i < timers.length; i++) if (timers[i].at <= end && (next < 0 || timers[i].at < timers[next].at)) next = i;
    if (next < 0) break;
    const t = timers.splice(next, 1)[0];
    now = t.at;
    t.fn();
  }
  now = end;
}

let temperature = 19;
let heater = false;
const app = startThermostat(device, hal, {
  readTemperature: function () { return temperature; },
  setHeater: function (on: boolean) { heater = on; },
  intervalSeconds: 10,
  targetCelsius: 21,
});

probe("telemetry every 10 s with temperature, target and heater; heating below the target", function () {
  advance(60000);
  return (sent.length === 6 && sent[0] === "{\"temperature\":19,\"targetTemperature\":21,\"heater\":true}" && heater) || sent.length + " " + sent[0];
});

probe("desired targetTemperature and interval applied and acknowledged (ac 200, av)", function () {
  desiredCb({ targetTemperature: 15, telemetryIntervalSeconds: 30 }, 7);
  const ok = reports[0] === "{\"targetTemperature\":{\"value\":15,\"ac\":200,\"av\":7,\"ad\":\"applied\"}}" &&
    reports[1] === "{\"telemetryIntervalSeconds\":{\"value\":30,\"ac\":200,\"av\":7,\"ad\":\"applied\"}}";
  return (ok && !heater && app.state().intervalSeconds === 30) || reports.join(" ");
});

probe("out-of-range desired values refused with ac 400, old values kept", function () {
  desiredCb({ targetTemperature: 99, telemetryIntervalSeconds: 1 }, 8);
  const ok = reports[2] === "{\"targetTemperature\":{\"value\":15,\"ac\":400,\"av\":8,\"ad\":\"must be 5-35\"}}" && app.state().target === 15;
  return ok || reports[2];
});

probe("boost: 200 and the heater on above the target; bad payload 400", function () {
  let status = 0;
  let body = "";
  boost("{\"minutes\":2}", function (s: number, b?: unknown) { status = s; body = JSON.stringify(b); });
  const first = status === 200 && body === "{\"heater\":true,\"minutes\":2}" && heater;
  advance(180000);
  const after = !heater;
  boost("nonsense", function (s: number) { status = s; });
  return (first && after && status === 400) || [first, after, status].join(",");
});

app.stop();
check("done", true);
done();
