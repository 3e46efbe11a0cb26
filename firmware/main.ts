// The Espruino entry (the bundle the boot stub evaluates from Storage): the configuration
// from Storage, the board (Wi-Fi with backoff, SNTP, status LED, watchdog) through the
// Espruino HAL, the device, a status line on the console, and a tiny demo application that
// sends telemetry every telemetryIntervalSeconds. A missing or invalid configuration is
// reported with the fix and then the board waits: no crash loop, no reboot.
import { createEspruinoHal, createEspruinoStore, EspruinoHal } from "../hal/espruino";
import { LOG_ERROR, LOG_WARN, LOG_INFO } from "../hal/types";
import { createDevice, Device } from "./device/index";
import { resolveConfig, ResolvedConfig } from "./config";
import { CONFIG_RECORD } from "./storage-names";

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

function startLed(hal: EspruinoHal): (pattern: number[]) => void {
  let pattern: number[] = [];
  let step = 0;
  let timer = 0;
  function next(): void {
    timer = 0;
    const on = step % 2 === 0;
    hal.board.setLed(on);
    const ms = pattern[step];
    step = (step + 1) % pattern.length;
    timer = hal.timers.setTimer(ms, next);
  }
  return function (p: number[]): void {
    if (!hal.board.hasLed || p === pattern) return;
    pattern = p;
    step = 0;
    if (timer !== 0) hal.timers.clearTimer(timer);
    timer = 0;
    if (p.length === 1) hal.board.setLed(true);
    else next();
  };
}

function readConfig(text: string | undefined): ResolvedConfig | string[] {
  if (text === undefined) return ["no configuration in Storage (" + CONFIG_RECORD + " is missing)"];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return [CONFIG_RECORD + " is not valid JSON"];
  }
  return resolveConfig(raw);
}

function waitForConfig(hal: EspruinoHal, problems: string[]): void {
  const log = hal.system.log;
  const tell = function (): void {
    log(LOG_ERROR, "azure-iot: cannot start, the configuration in Storage (" + CONFIG_RECORD + ") is unusable:");
    for (let i = 0; i < problems.length; i++) log(LOG_ERROR, "  - " + problems[i]);
    log(LOG_ERROR, "  " + FIX_HINT);
    log(LOG_ERROR, "  waiting; nothing runs until a valid configuration is flashed");
  };
  tell();
  startLed(hal)(LED_CONFIG_ERROR);
  const remind = function (): void {
    log(LOG_ERROR, "azure-iot: waiting for a valid configuration (" + problems.length + " problem(s)); " + FIX_HINT);
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

  function sample(): number {
    const used = hal.system.memory().used;
    if (used > peak) peak = used;
    return used;
  }

  if (config.watchdogSeconds > 0 && hal.board.enableWatchdog(config.watchdogSeconds)) {
    log(LOG_INFO, "watchdog armed: " + config.watchdogSeconds + " s");
  }

  const device = createDevice(config, hal);
  device.onStatus(function (s: string, reason: string) {
    status = s + (reason !== "None" ? " (" + reason + ")" : "");
    sample();
    if (s === "Connected") led(LED_CONNECTED);
    else if (reason === "NoNetwork") led(LED_NO_NETWORK);
    else if (s === "Stopped" || reason === "BadCredential" || reason === "DeviceDisabled" || reason === "RetryExpired") led(LED_FAILING);
    else led(LED_CONNECTING);
  });
  // Measured before start(): a start with a cached hub connects at once, and on the Linux
  // build the TLS buffers come out of the same pool.
  const booted = hal.board.collectMemory();
  peak = booted.used;
  log(LOG_INFO, "azure-iot on Espruino " + hal.board.version + ": memory after boot " + booted.used + "/" + booted.total + " jsvars");
  led(hal.network.isUp() ? LED_CONNECTING : LED_NO_NETWORK);
  device.start();
  // Wi-Fi events arrive on later ticks and reach the started device as network up/down.
  if (hal.board.hasWifi) {
    if (config.wifiSsid !== "") hal.board.joinWifi(config.wifiSsid, config.wifiPassword);
    else if (!hal.network.isUp()) log(LOG_WARN, "Wi-Fi: no wifi in the configuration and no saved network up; add one with npm run make-config -- --wifi-ssid ...");
  }

  function statusLine(): void {
    const m = hal.board.collectMemory();
    const st = device.stats();
    const up = Math.floor((hal.clock.nowMs() - bootMs) / 1000);
    log(LOG_INFO, "status " + status + "; up " + up + " s; memory " + m.used + "/" + m.total + " jsvars, peak " + peak +
      "; telemetry sent " + st.telemetryAcknowledged + "/" + st.telemetryAccepted + ", queued " + st.outboxSize +
      "; network " + (hal.network.isUp() ? "up" : "down") + ", clock " + (hal.clock.isSynced() ? "set" : "not set"));
  }

  /** The demo application: a counter, the uptime and the memory in use. */
  function sendDemoTelemetry(): void {
    sent++;
    const body = JSON.stringify({ n: sent, uptimeS: Math.floor((hal.clock.nowMs() - bootMs) / 1000), jsvars: sample() });
    const seq = device.sendTelemetry(body, { "$.ct": "application/json", "$.ce": "utf-8" });
    if (seq < 0) log(LOG_WARN, "telemetry not queued (" + seq + ")");
  }

  function heartbeat(): void {
    // Re-armed first: a throwing step must not end the heartbeat (and starve the watchdog).
    hal.timers.setTimer(HEARTBEAT_MS, heartbeat);
    if (config.watchdogSeconds > 0) hal.board.kickWatchdog();
    beats++;
    sample();
    if (beats % config.statusIntervalSeconds === 0) statusLine();
    if (config.telemetryIntervalSeconds > 0 && beats % config.telemetryIntervalSeconds === 0) sendDemoTelemetry();
  }
  hal.timers.setTimer(HEARTBEAT_MS, heartbeat);
  return device;
}

function main(): void {
  const store = createEspruinoStore();
  const config = readConfig(store.read(CONFIG_RECORD));
  if (Array.isArray(config)) {
    waitForConfig(createEspruinoHal({ logLevel: LOG_INFO, store: store }), config);
    return;
  }
  const hal = createEspruinoHal({
    logLevel: LOG_INFO, store: store, hosts: config.hosts, led: config.led,
  });
  run(hal, config);
}

main();
