// The Espruino entry (the bundle the boot stub evaluates from Storage): the configuration
// from Storage, the board (Wi-Fi with backoff, SNTP, status LED, watchdog) through the
// Espruino HAL, the device, a status line on the console, and a tiny demo application that
// sends telemetry every telemetryIntervalSeconds. A missing or invalid configuration is
// reported with the fix and then the board waits: no crash loop, no reboot.
import { createEspruinoHal, createEspruinoStore, loadModule, EspruinoHal } from "../hal/espruino";
import { LOG_ERROR, LOG_WARN, LOG_INFO } from "../hal/types";
import { createDevice, Device } from "./device/index";
import { ResolvedConfig } from "./config";
import { CONFIG_RECORD, RESOLVED_RECORD } from "./storage-names";
import { tlsFromRecords } from "./tls-records";
import { APP_VERSION } from "./version";
import { Store } from "../hal/types";

/** The heartbeat: peak-memory sample, watchdog kick, status line and demo-app countdowns. */
const HEARTBEAT_MS = 1000;
/** How often a board without a usable configuration repeats what is wrong. */
const REMIND_EVERY_S = 60;
const FIX_HINT = "fix: on the computer run npm run make-config -- ... (writes device.json), then npm run flash -- --port <port> --config device.json";

// LED patterns: on/off durations in ms, repeated; a single entry is steady on.
const LED_CONFIG_ERROR = [100, 100];
const LED_NO_NETWORK = [100, 1900];
const LED_CONNECTING = [500, 500];
const LED_FAILING = [100, 200, 100, 1600];
const LED_CONNECTED = [1];

/** The status LED: led(pattern) starts a pattern, and the same function, called by its own
 *  timer with no pattern, takes the next step (one function instead of two: 5 JsVars). */
function startLed(hal: EspruinoHal): (pattern?: number[]) => void {
  let pattern: number[] = [];
  let step = 0;
  let timer = 0;
  const led = function (p?: number[]): void {
    if (p) {
      if (!hal.board.hasLed || p === pattern) return;
      pattern = p;
      step = 0;
      if (timer !== 0) hal.timers.clearTimer(timer);
      timer = 0;
      if (p.length === 1) {
        hal.board.setLed(true);
        return;
      }
    }
    hal.board.setLed(step % 2 === 0);
    const ms = pattern[step];
    step = (step + 1) % pattern.length;
    timer = hal.timers.setTimer(ms, led);
  };
  return led;
}

/**
 * The configuration: the resolved copy when the text is unchanged since it was checked (its
 * CRC-32 matches and this application version made it), otherwise the full check (firmware/config-module.ts, evaluated from
 * Storage only then) and a new resolved copy. Problems come back as a list.
 */
function loadConfig(store: Store): ResolvedConfig | string[] {
  const text = store.read(CONFIG_RECORD);
  if (text === undefined) return ["no configuration in Storage (" + CONFIG_RECORD + " is missing)"];
  const crc = E.CRC32(text);
  const saved = store.read(RESOLVED_RECORD);
  if (saved !== undefined) {
    try {
      const s = JSON.parse(saved) as { crc: number; version: string; config: ResolvedConfig };
      // Resolved by this very application: an update may resolve the same text differently.
      if (s.crc === crc && s.version === APP_VERSION && s.config && tlsFromRecords(store, s.config)) return s.config;
    } catch (e) {
      // unreadable: checked again below
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return [CONFIG_RECORD + " is not valid JSON"];
  }
  const resolve = loadModule("config") as ((raw: unknown, store: Store) => ResolvedConfig | string[]) | undefined;
  if (!resolve) return ["the configuration checker is missing from the application file: flash it again"];
  // The checker also moves the TLS material to its records and names them in config.
  const config = resolve(raw, store);
  if (!Array.isArray(config)) {
    store.write(RESOLVED_RECORD, JSON.stringify({ crc: crc, version: APP_VERSION, config: config }));
    tlsFromRecords(store, config);
  }
  return config;
}

/** Says what stops the client (once, then a reminder a minute) and waits: no crash loop. */
function waitForFix(hal: EspruinoHal, why: string, problems: string[], hint: string): void {
  const log = hal.system.log;
  const tell = function (): void {
    log(LOG_ERROR, "azure-iot: cannot start, " + why + ":");
    for (let i = 0; i < problems.length; i++) log(LOG_ERROR, "  - " + problems[i]);
    log(LOG_ERROR, "  " + hint);
    log(LOG_ERROR, "  waiting; nothing runs until this is fixed");
  };
  tell();
  startLed(hal)(LED_CONFIG_ERROR);
  const remind = function (): void {
    log(LOG_ERROR, "azure-iot: waiting (" + problems.length + " problem(s)); " + hint);
    hal.timers.setTimer(REMIND_EVERY_S * 1000, remind);
  };
  hal.timers.setTimer(REMIND_EVERY_S * 1000, remind);
}

function run(hal: EspruinoHal, config: ResolvedConfig): Device {
  const log = hal.system.log;
  const led = startLed(hal);
  const bootMs = hal.clock.nowMs();
  let peak = 0;
  let beats = 0;
  let sent = 0;
  let status = "Disconnected";

  if (hal.board.watchdogArmed) log(LOG_INFO, "watchdog armed: " + config.watchdogSeconds + " s");

  const device = createDevice(config, hal);
  device.onStatus(function (s: string, reason: string) {
    status = s + (reason !== "None" ? " (" + reason + ")" : "");
    // The peak is sampled here and every heartbeat (inline: a helper would be a function).
    const used = hal.system.memory().used;
    if (used > peak) peak = used;
    if (s === "Connected") led(LED_CONNECTED);
    else if (reason === "NoNetwork") led(LED_NO_NETWORK);
    else if (s === "Stopped" || reason === "BadCredential" || reason === "DeviceDisabled" || reason === "RetryExpired") led(LED_FAILING);
    else led(LED_CONNECTING);
  });
  // Started on the next tick, once the warm code has run to its end, where the minified build
  // drops the functions only the boot calls (the factories): the figure is what the client
  // keeps. Measured before start(): a start with a cached hub connects at once, and on the
  // Linux build the TLS buffers come out of the same pool.
  hal.timers.setTimer(0, function () {
    const booted = hal.system.memory(true);
    peak = booted.used;
    log(LOG_INFO, "azure-iot on Espruino " + hal.board.version + ": memory after boot " + booted.used + "/" + booted.total + " jsvars");
    if (config.tls) log(hal.board.tlsVerifies ? LOG_INFO : LOG_WARN, "TLS: " + (hal.board.tlsVerifies ? "the server is verified against " + config.ca.length + " CA certificate(s) and its name" : "this interpreter does not verify the server (stock Espruino)"));
    led(hal.network.isUp() ? LED_CONNECTING : LED_NO_NETWORK);
    device.start();
    // Wi-Fi events arrive on later ticks and reach the started device as network up/down.
    if (hal.board.hasWifi) {
      if (config.wifiSsid !== "") hal.board.joinWifi(config.wifiSsid, config.wifiPassword);
      else if (!hal.network.isUp()) log(LOG_WARN, "Wi-Fi: no wifi in the configuration and no saved network up; add one with npm run make-config -- --wifi-ssid ...");
    }
  });

  /** The heartbeat, the status line and the demo application (a counter, the uptime and the
   *  memory in use) in one function: each function the application keeps costs about 5 JsVars. */
  function heartbeat(): void {
    // Re-armed first: a throwing step must not end the heartbeat (and starve the watchdog).
    hal.timers.setTimer(HEARTBEAT_MS, heartbeat);
    if (hal.board.watchdogArmed) hal.board.kickWatchdog();
    beats++;
    const used = hal.system.memory().used;
    if (used > peak) peak = used;
    const up = Math.floor((hal.clock.nowMs() - bootMs) / 1000);
    if (beats % config.statusIntervalSeconds === 0) {
      const m = hal.system.memory(true);
      const st = device.stats();
      log(LOG_INFO, "status " + status + "; up " + up + " s; memory " + m.used + "/" + m.total + " jsvars, peak " + peak +
        "; telemetry sent " + st.telemetryAcknowledged + "/" + st.telemetryAccepted + ", queued " + st.outboxSize +
        "; network " + (hal.network.isUp() ? "up" : "down") + ", clock " + (hal.clock.isSynced() ? "set" : "not set"));
    }
    if (config.telemetryIntervalSeconds > 0 && beats % config.telemetryIntervalSeconds === 0) {
      sent++;
      const body = JSON.stringify({ n: sent, uptimeS: up, jsvars: used });
      const seq = device.sendTelemetry(body, { "$.ct": "application/json", "$.ce": "utf-8" });
      if (seq < 0) log(LOG_WARN, "telemetry not queued (" + seq + ")");
    }
  }
  hal.timers.setTimer(HEARTBEAT_MS, heartbeat);
  return device;
}

function main(): void {
  const store = createEspruinoStore();
  const config = loadConfig(store);
  if (Array.isArray(config)) {
    waitForFix(createEspruinoHal({ logLevel: LOG_INFO, store: store }), "the configuration in Storage (" + CONFIG_RECORD + ") is unusable", config, FIX_HINT);
    return;
  }
  const hal = createEspruinoHal({
    logLevel: LOG_INFO, store: store, hosts: config.hosts, led: config.led, watchdogSeconds: config.watchdogSeconds,
  });
  // Checked at boot, before any network: the interpreter says whether tls.connect enforces ca.
  if (config.tls && config.tlsRequireVerified && !hal.board.tlsVerifies) {
    waitForFix(hal, "tls.requireVerified is set and this interpreter (Espruino " + hal.board.version + ") cannot verify the server",
      ["its tls.connect accepts any server certificate (require(\"tls\").VERIFY is missing)"],
      "fix: flash an Espruino image built with this project's interpreter/ patch, or drop tls.requireVerified from the configuration");
    return;
  }
  run(hal, config);
}

main();
