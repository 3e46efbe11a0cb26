// The HAL on the Espruino interpreter (ESP32, or the upstream Linux build for smoke tests).
// It absorbs the interpreter's quirks so nothing above it has to know them
// (../shared/reference/espruino.md): connect throws synchronously, sockets take and give
// strings, clearTimeout needs a defined id, the wall clock jumps at the first SNTP sync.
import {
  Hal, Socket, SocketEvents, SocketOptions, Store, MemoryFigures,
  SOCKET_CLOSED, SOCKET_DNS_FAILED, SOCKET_REFUSED, SOCKET_TLS_FAILED, SOCKET_ERROR,
  LOG_ERROR, LOG_WARN, LOG_INFO,
} from "./types";

/** A wall-clock step larger than this is a clock being set, not time passing. */
const CLOCK_JUMP_MS = 7 * 24 * 3600 * 1000;
/** Any wall time after 2023-11-14 means SNTP (or the RTC) has set the clock. */
const SYNCED_AFTER_SECONDS = 1700000000;

export interface EspruinoHalOptions {
  /** Track Wi-Fi events for network up/down. Off on the Linux build, which has no Wifi. */
  wifi: boolean;
  /** Lowest level written to the console (LOG_*). */
  logLevel: number;
}

function classifyConnectError(message: string, tls: boolean): number {
  if (message.indexOf("locate host") >= 0) return SOCKET_DNS_FAILED;
  if (message.indexOf("create socket") >= 0 || message.indexOf("Connect failed") >= 0) return SOCKET_REFUSED;
  if (tls || message.indexOf("mbedtls") >= 0 || message.indexOf("HTTPS") >= 0) return SOCKET_TLS_FAILED;
  return SOCKET_ERROR;
}

function connectSocket(options: SocketOptions, events: SocketEvents): Socket {
  let raw: EspSocket | undefined;
  let open = false;
  let ended = false;
  let error = SOCKET_CLOSED;
  let detail = "";

  function end(): void {
    if (ended) return;
    ended = true;
    open = false;
    // A close before the connection opened is a failed connect, whatever the event said.
    events.onClose(error, detail);
  }

  function fail(code: number, message: string): void {
    if (error === SOCKET_CLOSED) {
      error = code;
      detail = message;
    }
  }

  const espOptions: EspConnectOptions = { host: options.host, port: options.port };
  if (options.tls) {
    if (options.ca && options.ca.length > 0) espOptions.ca = options.ca[0];
    if (options.cert) espOptions.cert = options.cert;
    if (options.key) espOptions.key = options.key;
  }

  try {
    raw = require(options.tls ? "tls" : "net").connect(espOptions, function () {
      if (ended) return;
      open = true;
      events.onOpen();
    });
  } catch (e) {
    const message = String((e as { message?: string }).message || e);
    fail(classifyConnectError(message, false), message);
    setTimeout(end, 0);
    return { write: function () { return false; }, close: function () { /* already failing */ } };
  }

  raw.on("data", function (data: string) {
    if (!ended) events.onData(E.toUint8Array(data));
  });
  raw.on("error", function (e: { code?: number; message?: string }) {
    const message = (e && e.message) || "socket error " + (e && e.code);
    fail(open ? SOCKET_ERROR : classifyConnectError(message, options.tls), message);
  });
  raw.on("close", function () {
    if (!open && error === SOCKET_CLOSED) fail(options.tls ? SOCKET_TLS_FAILED : SOCKET_REFUSED, "closed before open");
    end();
  });

  return {
    write: function (bytes: Uint8Array): boolean {
      if (!open || !raw) return false;
      // socket.write(Uint8Array) would send its text form ("1,2,3"): convert first.
      raw.write(E.toString(bytes));
      return true;
    },
    close: function (): void {
      if (ended) return;
      if (raw) raw.end();
      // Espruino reports close on a later tick; guarantee the one report even if it never comes.
      setTimeout(end, 0);
    },
  };
}

function createStore(): Store {
  const storage = require("Storage");
  return {
    read: function (name: string) {
      const data = storage.read(name);
      return data === undefined ? undefined : data;
    },
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
    writeChunk: function (name: string, data: string, offset: number, totalSize: number) {
      if (name.length > 28 || data.length === 0) return false;
      try {
        return storage.write(name, data, offset, totalSize) !== false;
      } catch (e) {
        return false;
      }
    },
    list: function (prefix: string) {
      const all = storage.list();
      const out: string[] = [];
      for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
      return out;
    },
  };
}

export function createEspruinoHal(options: EspruinoHalOptions): Hal {
  let lastWall = Date.now();
  let monotonic = 0;
  let networkUp = !options.wifi;
  const networkListeners: Array<(up: boolean) => void> = [];
  const levels = ["E", "W", "I", "D"];

  if (options.wifi) {
    const wifi = require("Wifi");
    const notify = function (up: boolean): void {
      if (up === networkUp) return;
      networkUp = up;
      for (let i = 0; i < networkListeners.length; i++) networkListeners[i](up);
    };
    wifi.on("connected", function () { notify(true); });
    wifi.on("disconnected", function () { notify(false); });
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
    random32: function () {
      return E.hwRand() >>> 0;
    },
    net: { connect: connectSocket },
    store: createStore(),
    sha256: function (data: Uint8Array) {
      return new Uint8Array(require("crypto").SHA256(data));
    },
    network: {
      isUp: function () {
        return networkUp;
      },
      onChange: function (callback: (up: boolean) => void) {
        networkListeners.push(callback);
      },
    },
    system: {
      reboot: function () {
        E.reboot();
      },
      memory: function (): MemoryFigures {
        const m = process.memory(false);
        return { used: m.usage, total: m.total, unit: "jsvars" };
      },
      log: function (level: number, message: string) {
        if (level > options.logLevel) return;
        console.log((levels[level] || "?") + " " + message);
      },
    },
  };
}

export { LOG_ERROR, LOG_WARN, LOG_INFO };
