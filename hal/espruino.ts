// The HAL on the Espruino interpreter (ESP32, or the upstream Linux build for smoke tests).
// It absorbs the interpreter's quirks so nothing above it has to know them: sockets
// (espruino-socket.ts), clearTimeout needing a defined id, the wall clock jumping at the
// first SNTP sync.
// It also holds the board itself (Wi-Fi with backoff, SNTP, status LED, watchdog), so
// firmware/main.ts needs no Espruino global either.
import { Hal, Store, MemoryFigures, LOG_ERROR, LOG_WARN, LOG_INFO } from "./types";
import { connectSocket, EspruinoNet } from "./espruino-socket";

/** A wall-clock step larger than this is a clock being set, not time passing. */
const CLOCK_JUMP_MS = 7 * 24 * 3600 * 1000;
/** Any wall time after 2023-11-14 means SNTP (or the RTC) has set the clock. */
const SYNCED_AFTER_SECONDS = 1700000000;
/** Wi-Fi join retries: the first after 5 s, doubling up to 2 min, jittered in [wait/2, wait]. */
const WIFI_FIRST_RETRY_MS = 5000;
const WIFI_MAX_RETRY_MS = 120000;
/** A join that reports nothing for this long is tried again. */
const WIFI_ATTEMPT_TIMEOUT_MS = 30000;
/** The ESP32 takes the zone as a POSIX TZ string; a number throws. */
const SNTP_ZONE = "UTC0";
export interface EspruinoHalOptions {
  /** Lowest level written to the console (LOG_*). */
  logLevel: number;
  /** Host name -> "address:port", as on Node: the Linux smoke test points the DPS and hub
   *  names at the loopback simulator. Names not listed are connected to as given. */
  hosts?: { [host: string]: string };
  /** Status LED: a pin name such as "D2", "off", or "" for LED1 where the board defines one. */
  led?: string;
  /** SNTP server set once Wi-Fi is up (default pool.ntp.org). */
  ntpServer?: string;
  /** The Store to use (main.ts reads the configuration before the HAL exists). */
  store?: Store;
  /** Arms the hardware watchdog as the HAL is made (0 or absent: not armed): the board then
   *  resets unless board.kickWatchdog() runs within this many seconds. Done here, once, so
   *  that no function for it lives on. */
  watchdogSeconds?: number;
}

/** What only firmware/main.ts needs from the board, beyond the HAL contract. */
export interface EspruinoBoard {
  /** True where the interpreter has the Wifi module (ESP32); the Linux build has none and
   *  counts the network as always up. */
  hasWifi: boolean;
  /** Joins this network now and again after every loss, with backoff. Without a call the
   *  board keeps to the Wi-Fi settings it saved (Wifi.save()), if any. */
  joinWifi(ssid: string, password: string): void;
  /** True when a status LED is available. */
  hasLed: boolean;
  setLed(on: boolean): void;
  /** The watchdog options.watchdogSeconds asked for is armed (false where the interpreter
   *  has none: the Linux build). */
  watchdogArmed: boolean;
  kickWatchdog(): void;
  /** Interpreter version, e.g. "2v29". */
  version: string;
  /** True when tls.connect enforces a given ca and checks the host name (an interpreter built
   *  with interpreter/'s patch); stock 2v29 accepts any server. */
  tlsVerifies: boolean;
}

export interface EspruinoHal extends Hal {
  board: EspruinoBoard;
}

/** Storage as the HAL's Store; firmware/main.ts reads the configuration through it before
 *  the HAL exists (and hands it over as options.store). */
export function createEspruinoStore(): Store {
  const storage = require("Storage");
  return {
    // Storage's own (a flash-backed string, undefined when missing); a wrapper would cost a
    // function.
    read: storage.read,
    write: function (name: string, data: string) {
      // Names above 28 characters are silently truncated by Storage: refuse them instead.
      if (name.length > 28 || data.length === 0) return false;
      try {
        return storage.write(name, data) !== false;
      } catch (e) {
        return false;
      }
    },
    erase: function (name: string) {
      try {
        storage.erase(name);
      } catch (e) {
        // erasing a missing record is not an error
      }
    },
    writeChunk: function (name: string, data: Uint8Array, offset: number, totalSize: number) {
      if (name.length > 28 || data.length === 0) return false;
      try {
        return storage.write(name, data, offset, totalSize) !== false;
      } catch (e) {
        return false;
      }
    },
    digest: function (name: string) {
      // Storage.read gives a flash-backed string: crypto hashes it in place.
      const data = storage.read(name);
      return data === undefined ? undefined : new Uint8Array(require("crypto").SHA256(data));
    },
    list: function (prefix: string) {
      const all = storage.list();
      const out: string[] = [];
      for (let i = 0; i < all.length; i++) if (all[i].startsWith(prefix)) out.push(all[i]);
      return out;
    },
  };
}

/** The Wifi module, or undefined where the interpreter has none (the Linux build throws
 *  "Module Wifi not found"; a probe may stand in a fake with Modules.addCached). */
function wifiModule(): EspWifiModule | undefined {
  try {
    return require("Wifi");
  } catch (e) {
    return undefined;
  }
}

/** Letters then digits ("D2", "LED1"): the only globals findLed reads. Not a RegExp: the
 *  first one a program uses makes RegExp.prototype, which stays (5 JsVars). */
function pinName(name: string): boolean {
  let i = 0;
  while (i < name.length && name.charCodeAt(i) >= 65 && name.charCodeAt(i) <= 90) i++;
  const letters = i;
  while (i < name.length && name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) i++;
  return letters > 0 && i > letters && i === name.length;
}

/** The LED pin: a configured name ("D2"), or LED1 where the board defines it. Reading an
 *  unknown global name gives undefined, never an error. */
function findLed(name: string | undefined): Pin | undefined {
  if (name === "off") return undefined;
  const wanted = name ? name : "LED1";
  if (!pinName(wanted)) return undefined;
  const pin = (global as unknown as { [name: string]: unknown })[wanted];
  return typeof pin === "number" || (typeof pin === "object" && pin !== null) ? (pin as Pin) : undefined;
}

/** The boot stub's loader of on-demand modules (firmware/boot.ts); absent when the bundle
 *  was started some other way. */
declare const AZLOAD: ((name: string) => unknown) | undefined;

/** An on-demand part's factory from the running slot file, or undefined. */
export function loadModule(name: string): unknown {
  return typeof AZLOAD === "function" ? AZLOAD(name) : undefined;
}

export function createEspruinoHal(options: EspruinoHalOptions): EspruinoHal {
  let lastWall = Date.now();
  let monotonic = 0;
  const networkListeners: Array<(up: boolean) => void> = [];
  const levels = ["E", "W", "I", "D"];
  const wifi = wifiModule();
  const hasWifi = wifi !== undefined;
  let networkUp = !hasWifi;
  let sntpSet = false;
  let joinSsid = "";
  let joinPassword = "";
  let joinAttempts = 0;
  let joinTimer = 0;
  let joinGuard = 0;
  const led = findLed(options.led);
  // The interpreter's server checking (interpreter/): require("tls").VERIFY is 1 on a patched
  // build, missing on stock 2v29; require throws where TLS is compiled out.
  let verifies = false;
  try {
    const level = require("tls").VERIFY;
    verifies = typeof level === "number" && level >= 1;
  } catch (e) {
    verifies = false;
  }

  function log(level: number, message: string): void {
    if (level > options.logLevel) return;
    console.log((levels[level] || "?") + " " + message);
  }

  function notify(up: boolean): void {
    if (up === networkUp) return;
    networkUp = up;
    for (let i = 0; i < networkListeners.length; i++) networkListeners[i](up);
  }

  function startSntp(): void {
    if (sntpSet || !wifi) return;
    sntpSet = true;
    try {
      wifi.setSNTP(options.ntpServer || "pool.ntp.org", SNTP_ZONE);
    } catch (e) {
      log(LOG_WARN, "SNTP: " + String((e as { message?: string }).message || e));
    }
  }

  function clearJoinTimers(): void {
    if (joinTimer !== 0) clearTimeout(joinTimer);
    if (joinGuard !== 0) clearTimeout(joinGuard);
    joinTimer = 0;
    joinGuard = 0;
  }

  function scheduleJoin(): void {
    if (joinSsid === "" || networkUp || joinTimer !== 0) return;
    if (joinGuard !== 0) clearTimeout(joinGuard);
    joinGuard = 0;
    let wait = WIFI_FIRST_RETRY_MS;
    for (let i = 1; i < joinAttempts && wait < WIFI_MAX_RETRY_MS; i++) wait = wait * 2;
    if (wait > WIFI_MAX_RETRY_MS) wait = WIFI_MAX_RETRY_MS;
    const half = Math.floor(wait / 2);
    joinTimer = setTimeout(attemptJoin, half + ((E.hwRand() >>> 0) % (half + 1)));
  }

  function attemptJoin(): void {
    joinTimer = 0;
    if (networkUp || !wifi) return;
    joinAttempts++;
    log(LOG_INFO, "Wi-Fi: joining \"" + joinSsid + "\" (attempt " + joinAttempts + ")");
    // A join that never reports back is tried again.
    joinGuard = setTimeout(function () {
      joinGuard = 0;
      scheduleJoin();
    }, WIFI_ATTEMPT_TIMEOUT_MS);
    try {
      wifi.connect(joinSsid, joinPassword ? { password: joinPassword } : {}, function (error: string | null) {
        if (error) {
          log(LOG_WARN, "Wi-Fi: " + error);
          scheduleJoin();
        }
      });
    } catch (e) {
      log(LOG_WARN, "Wi-Fi: " + String((e as { message?: string }).message || e));
      scheduleJoin();
    }
  }

  if (wifi) {
    const ip = wifi.getIP();
    networkUp = !!ip && typeof ip.ip === "string" && ip.ip !== "" && ip.ip !== "0.0.0.0";
    if (networkUp) startSntp();
    wifi.on("connected", function (details: { ip?: string }) {
      log(LOG_INFO, "Wi-Fi: connected" + (details && details.ip ? ", address " + details.ip : ""));
      joinAttempts = 0;
      clearJoinTimers();
      startSntp();
      notify(true);
    });
    wifi.on("disconnected", function (details: { reason?: string }) {
      if (networkUp) log(LOG_WARN, "Wi-Fi: disconnected" + (details && details.reason ? " (" + details.reason + ")" : ""));
      notify(false);
      scheduleJoin();
    });
  }

  const store = options.store || createEspruinoStore();
  let watchdogArmed = false;
  if (options.watchdogSeconds && options.watchdogSeconds > 0) {
    try {
      E.enableWatchdog(options.watchdogSeconds, false);
      watchdogArmed = true;
    } catch (e) {
      log(LOG_WARN, "watchdog: " + String((e as { message?: string }).message || e));
    }
  }

  return {
    clock: {
      nowMs: function () {
        const wall = Date.now();
        const step = wall - lastWall;
        lastWall = wall;
        if (step > 0 && step < CLOCK_JUMP_MS) monotonic += step;
        return Math.floor(monotonic);
      },
      utcSeconds: function () {
        return Math.floor(Date.now() / 1000);
      },
      isSynced: function () {
        return Date.now() / 1000 > SYNCED_AFTER_SECONDS;
      },
    },
    timers: {
      setTimer: function (ms: number, callback: () => void) {
        return setTimeout(callback, ms < 0 ? 0 : ms);
      },
      clearTimer: function (id: number) {
        // clearTimeout() without an id clears every timer on Espruino.
        if (id > 0) clearTimeout(id);
      },
    },
    // Espruino's own (signed: the HAL allows it); a wrapper would cost a function.
    random32: E.hwRand,
    net: { connect: connectSocket, hosts: options.hosts, verifies: verifies } as EspruinoNet,
    store: store,
    sha256: function (data: Uint8Array) {
      return new Uint8Array(require("crypto").SHA256(data));
    },
    // Espruino's own: reads a flash-backed string in place and returns the CRC unsigned.
    crc32: E.CRC32,
    network: {
      isUp: function () {
        return networkUp;
      },
      onChange: function (callback: (up: boolean) => void) {
        networkListeners.push(callback);
      },
    },
    system: {
      // Espruino's own functions, not wrappers: a native function value costs about 2 JsVars, a wrapper 5.
      reboot: E.reboot,
      memory: function (collect?: boolean): MemoryFigures {
        const m = process.memory(collect === true);
        return { used: m.usage, total: m.total, unit: "jsvars" };
      },
      log: log,
    },
    board: {
      hasWifi: hasWifi,
      joinWifi: function (ssid: string, password: string) {
        joinSsid = ssid;
        joinPassword = password;
        joinAttempts = 0;
        clearJoinTimers();
        if (!networkUp) attemptJoin();
      },
      hasLed: led !== undefined,
      setLed: function (on: boolean) {
        if (led !== undefined) digitalWrite(led, on ? 1 : 0);
      },
      watchdogArmed: watchdogArmed,
      kickWatchdog: E.kickWatchdog,
      version: String(process.version),
      tlsVerifies: verifies,
    },
    load: loadModule,
  };
}

export { LOG_ERROR, LOG_WARN, LOG_INFO };
