// A thermostat built on the client: the application half of examples/thermostat. It runs
// its control loop every 5 s and sends the temperature every `intervalSeconds` (telemetry), answers the direct method `boost`
// (heat for N minutes whatever the target), and applies the writable properties
// `targetTemperature` and `telemetryIntervalSeconds` from the desired twin, acknowledging
// each in the reported twin as IoT Plug and Play expects ({value, ac, av, ad}). Sensor and
// heater are functions the caller passes in, so the same code runs on the board
// (main.ts) and on Node against the simulator (its test). Espruino-safe like firmware/.
import type { Device } from "../../firmware/device/index";
import type { Hal } from "../../hal/types";
import { LOG_INFO } from "../../hal/types";

export interface ThermostatOptions {
  /** The room temperature in degrees Celsius. */
  readTemperature: () => number;
  /** Switches the heater. */
  setHeater: (on: boolean) => void;
  /** Telemetry period until the twin sets telemetryIntervalSeconds. */
  intervalSeconds: number;
  /** Target until the twin sets targetTemperature. */
  targetCelsius: number;
}

export interface ThermostatState {
  temperature: number;
  target: number;
  heater: boolean;
  intervalSeconds: number;
  /** Clock (ms) until which `boost` keeps the heater on; 0 when not boosting. */
  boostUntilMs: number;
}

export interface Thermostat {
  state(): ThermostatState;
  stop(): void;
}

/** Accepted ranges of the writable properties and the boost method. */
export const TARGET_MIN = 5;
export const TARGET_MAX = 35;
export const INTERVAL_MIN = 5;
export const INTERVAL_MAX = 3600;
export const BOOST_MAX_MINUTES = 120;
/** The heater switches at target - 0.5 and target + 0.5 (no chatter around the target). */
const HYSTERESIS = 0.5;
/** The control loop runs this often; telemetry goes out every intervalSeconds of it. */
const CONTROL_SECONDS = 5;

function inRange(v: unknown, lo: number, hi: number): boolean {
  return typeof v === "number" && v >= lo && v <= hi;
}

export function startThermostat(device: Device, hal: Hal, options: ThermostatOptions): Thermostat {
  const log = hal.system.log;
  const s: ThermostatState = {
    temperature: options.readTemperature(),
    target: options.targetCelsius,
    heater: false,
    intervalSeconds: options.intervalSeconds,
    boostUntilMs: 0,
  };
  let timer = 0;
  let sinceReport = 0;

  /** Reads the sensor and switches the heater (boost first, then the hysteresis band). */
  function control(): void {
    s.temperature = options.readTemperature();
    let on = s.heater;
    if (s.boostUntilMs !== 0 && hal.clock.nowMs() < s.boostUntilMs) on = true;
    else {
      s.boostUntilMs = 0;
      if (s.temperature < s.target - HYSTERESIS) on = true;
      else if (s.temperature > s.target + HYSTERESIS) on = false;
    }
    if (on !== s.heater) {
      s.heater = on;
      options.setHeater(on);
    }
  }

  function tick(): void {
    timer = hal.timers.setTimer(CONTROL_SECONDS * 1000, tick);
    control();
    sinceReport += CONTROL_SECONDS;
    if (sinceReport < s.intervalSeconds) return;
    sinceReport = 0;
    const body = JSON.stringify({ temperature: Math.round(s.temperature * 10) / 10, targetTemperature: s.target, heater: s.heater });
    device.sendTelemetry(body, { "$.ct": "application/json", "$.ce": "utf-8" });
  }


  /** One writable property: applied when valid, acknowledged either way. */
  function ack(name: string, value: unknown, ok: boolean, version: number, about: string): void {
    const patch: { [k: string]: unknown } = {};
    patch[name] = { value: value, ac: ok ? 200 : 400, av: version, ad: about };
    device.reportProperties(patch);
  }

  device.onDesired(function (desired: { [k: string]: unknown }, version: number) {
    const target = desired.targetTemperature;
    if (target !== undefined) {
      const ok = inRange(target, TARGET_MIN, TARGET_MAX);
      if (ok) {
        s.target = target as number;
        control();
      }
      ack("targetTemperature", ok ? target : s.target, ok, version, ok ? "applied" : "must be " + TARGET_MIN + "-" + TARGET_MAX);
    }
    const interval = desired.telemetryIntervalSeconds;
    if (interval !== undefined) {
      const ok = inRange(interval, INTERVAL_MIN, INTERVAL_MAX);
      if (ok) {
        s.intervalSeconds = Math.floor(interval as number);
      }
      ack("telemetryIntervalSeconds", s.intervalSeconds, ok, version, ok ? "applied" : "must be " + INTERVAL_MIN + "-" + INTERVAL_MAX);
    }
  });

  device.onMethod("boost", function (payload: string, respond: (status: number, body?: unknown) => void) {
    let minutes: unknown;
    try {
      minutes = (JSON.parse(payload) as { minutes?: unknown }).minutes;
    } catch (e) {
      minutes = undefined;
    }
    if (!inRange(minutes, 1, BOOST_MAX_MINUTES)) {
      respond(400, { error: "payload must be {\"minutes\": 1-" + BOOST_MAX_MINUTES + "}" });
      return;
    }
    s.boostUntilMs = hal.clock.nowMs() + (minutes as number) * 60000;
    control();
    log(LOG_INFO, "thermostat: boost for " + minutes + " min");
    respond(200, { heater: s.heater, minutes: minutes });
  });

  device.onStatus(function (status: string) {
    // The twin has no reported state until the first connection; say what runs.
    if (status === "Connected") device.reportProperties({ thermostat: { intervalSeconds: s.intervalSeconds, target: s.target } });
  });

  timer = hal.timers.setTimer(CONTROL_SECONDS * 1000, tick);
  return {
    state: function () {
      return { temperature: s.temperature, target: s.target, heater: s.heater, intervalSeconds: s.intervalSeconds, boostUntilMs: s.boostUntilMs };
    },
    stop: function () {
      if (timer !== 0) hal.timers.clearTimer(timer);
      timer = 0;
    },
  };
}
