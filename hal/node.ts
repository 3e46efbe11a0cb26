// The HAL on Node: node:tls / node:net sockets with a hosts table (name -> address:port) so
// the device can run against the local simulator or real Azure, a folder as Storage,
// node:crypto SHA-256, and a real, scaled or virtual clock (hal/node-time.ts).
import { loadNodeModule } from "./node-modules";
import net from "node:net";
import tls from "node:tls";
import { createHash, createPrivateKey, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, readdirSync, existsSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  Hal, Socket, SocketEvents, SocketOptions, Store, MemoryFigures,
  SOCKET_CLOSED, SOCKET_DNS_FAILED, SOCKET_REFUSED, SOCKET_RESET, SOCKET_TLS_FAILED, SOCKET_TIMEOUT, SOCKET_ERROR, SOCKET_TLS_UNVERIFIED,
  LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG,
} from "./types";
import { ScaledTime, TimeSource } from "./node-time";

export interface NodeHalOptions {
  /** Host name -> "address:port". Names not listed are resolved normally (real Azure). */
  hosts?: Record<string, string>;
  /** Folder that stands in for the device's Storage. Created if missing. */
  storeDir: string;
  /** A store to use instead of the folder (tests wrap the folder store to cut power). */
  store?: Store;
  /** Defaults to real time. */
  time?: TimeSource;
  /** Seeded randomness for repeatable runs; defaults to node:crypto. */
  random32?: () => number;
  /** Receives every log line; defaults to stdout with a timestamp. */
  log?: (level: number, message: string) => void;
  /** Lowest level that reaches log (LOG_*); default LOG_INFO. */
  logLevel?: number;
  /** Called instead of exiting when the device asks to reboot. */
  onReboot?: () => void;
}

/** The Node HAL plus the handles a test or runner uses to play the outside world. */
export interface NodeHal extends Hal {
  time: TimeSource;
  /** Simulates Wi-Fi loss and return. */
  setNetworkUp(up: boolean): void;
  /** Open sockets (tests check the device holds one TLS socket at a time). */
  openSockets(): number;
  /** Every connect the device made, in order: "host:port". */
  connectLog: string[];
  /** Power loss: sockets die without a word to the device, its timers and network events
   *  never fire, and the store takes no more writes. What is in the store stays. */
  powerOff(): void;
  /** Resolves once no connect is pending and no socket event happened for quietMs (real
   *  time), so a test on virtual time lets handshakes finish before the next timer fires. */
  quiet(quietMs?: number, maxWaitMs?: number): Promise<void>;
}

const LEVEL_NAMES = ["ERROR", "WARN", "INFO", "DEBUG"];

/** DER certificates become PEM for node:tls; PEM text passes through. */
export function toPem(cert: Uint8Array | string): string {
  if (typeof cert === "string" && cert.indexOf("-----BEGIN") >= 0) return cert;
  const der = typeof cert === "string" ? Buffer.from(cert, "latin1") : Buffer.from(cert);
  const lines = der.toString("base64").match(/.{1,64}/g) || [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** A DER key in whichever structure it comes (PKCS#8, or PKCS#1 RSA / SEC1 EC as mbedtls also
 *  takes them) becomes PKCS#8 PEM for node:tls; PEM text passes through. */
function keyPem(key: Uint8Array | string): string | Buffer {
  if (typeof key === "string" && key.indexOf("-----BEGIN") >= 0) return key;
  const der = typeof key === "string" ? Buffer.from(key, "latin1") : Buffer.from(key);
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return createPrivateKey({ key: der, format: "der", type }).export({ type: "pkcs8", format: "pem" });
    } catch {
      /* the next structure */
    }
  }
  const lines = der.toString("base64").match(/.{1,64}/g) || [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

export function socketErrorCode(error: NodeJS.ErrnoException): number {
  const code = error.code || "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL") return SOCKET_DNS_FAILED;
  if (code === "ECONNREFUSED") return SOCKET_REFUSED;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED") return SOCKET_RESET;
  if (code === "ETIMEDOUT") return SOCKET_TIMEOUT;
  // The server is not who it should be (OpenSSL's verify results, Node's name check).
  if (/^(CERT_|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF)|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME)/.test(code)) return SOCKET_TLS_UNVERIFIED;
  if (/SSL|TLS|CERT|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME/.test(code) || /SSL|TLS|certificate/i.test(error.message)) return SOCKET_TLS_FAILED;
  return SOCKET_ERROR;
}

/** A folder as Storage: one file per record, written whole (temp file + rename) or, for
 *  OTA files, chunk by chunk into a pre-sized file of erased bytes, as on the device. */
export function createFolderStore(dir: string): Store {
  mkdirSync(dir, { recursive: true });
  // Storage names may hold any character; keep file names safe and reversible.
  const file = (name: string) => join(dir, encodeURIComponent(name).replace(/^\./, "%2E"));
  const valid = (name: string) => name.length > 0 && name.length <= 28;
  return {
    read(name) {
      if (!valid(name)) return undefined;
      try {
        return readFileSync(file(name)).toString("latin1");
      } catch {
        return undefined;
      }
    },
    write(name, data) {
      if (!valid(name) || data.length === 0) return false;
      try {
        const tmp = file(name) + ".tmp";
        writeFileSync(tmp, Buffer.from(data, "latin1"));
        renameSync(tmp, file(name));
        return true;
      } catch {
        return false;
      }
    },
    erase(name) {
      if (valid(name)) rmSync(file(name), { force: true });
    },
    writeChunk(name, data, offset, totalSize) {
      if (!valid(name) || data.length === 0 || offset < 0 || offset + data.length > totalSize) return false;
      try {
        const path = file(name);
        if (offset === 0) {
          // Like Storage: a new file of fixed size, unwritten bytes erased (0xFF).
          writeFileSync(path, Buffer.alloc(totalSize, 0xff));
        } else {
          // Like Storage: only a file of this size, and only over bytes still erased.
          if (!existsSync(path)) return false;
          const have = readFileSync(path);
          if (have.length !== totalSize) return false;
          for (let i = 0; i < data.length; i++) if (have[offset + i] !== 0xff) return false;
        }
        const fd = openSync(path, "r+");
        try {
          writeSync(fd, Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0, data.length, offset);
        } finally {
          closeSync(fd);
        }
        return true;
      } catch {
        return false;
      }
    },
    digest(name) {
      if (!valid(name) || !existsSync(file(name))) return undefined;
      return new Uint8Array(createHash("sha256").update(readFileSync(file(name))).digest());
    },
    list(prefix) {
      return readdirSync(dir)
        .filter((f) => !f.endsWith(".tmp"))
        .map((f) => decodeURIComponent(f))
        .filter((n) => n.indexOf(prefix) === 0)
        .sort();
    },
  };
}

/** The store as a powered device sees it: after powerOff nothing more is written. */
function poweredStore(store: Store, powered: () => boolean): Store {
  return {
    read: (name) => store.read(name),
    write: (name, data) => powered() && store.write(name, data),
    erase: (name) => {
      if (powered()) store.erase(name);
    },
    writeChunk: (name, data, offset, totalSize) => powered() && store.writeChunk(name, data, offset, totalSize),
    list: (prefix) => store.list(prefix),
    digest: (name) => store.digest(name),
  };
}

export function createNodeHal(options: NodeHalOptions): NodeHal {
  const time = options.time || new ScaledTime(1);
  const hosts = options.hosts || {};
  const logLevel = options.logLevel === undefined ? LOG_INFO : options.logLevel;
  const log = options.log || ((level: number, message: string) => {
    console.log(`${new Date(time.epochMs()).toISOString()} ${LEVEL_NAMES[level] || level} ${message}`);
  });
  let networkUp = true;
  let powered = true;
  const timerIds = new Set<number>();
  const networkListeners: Array<(up: boolean) => void> = [];
  const open = new Set<net.Socket>();
  const connectLog: string[] = [];
  let pendingConnects = 0;
  let lastActivity = performance.now();
  const touch = () => {
    lastActivity = performance.now();
  };

  function connect(o: SocketOptions, deviceEvents: SocketEvents): Socket {
    // After a power loss nothing reaches the (dead) device.
    const events: SocketEvents = {
      onOpen: () => powered && deviceEvents.onOpen(),
      onData: (bytes) => powered && deviceEvents.onData(bytes),
      onClose: (error, detail) => powered && deviceEvents.onClose(error, detail),
    };
    let ended = false;
    let opened = false;
    let error = SOCKET_CLOSED;
    let detail = "";
    const mapped = hosts[o.host];
    const [address, portText] = mapped ? [mapped.slice(0, mapped.lastIndexOf(":")), mapped.slice(mapped.lastIndexOf(":") + 1)] : [o.host, String(o.port)];
    const port = Number(portText);
    connectLog.push(`${o.host}:${o.port}`);

    let pending = true;
    pendingConnects++;
    touch();
    const settled = () => {
      if (pending) {
        pending = false;
        pendingConnects--;
      }
      touch();
    };
    const end = () => {
      if (ended) return;
      ended = true;
      settled();
      if (!opened && error === SOCKET_CLOSED) {
        error = o.tls ? SOCKET_TLS_FAILED : SOCKET_REFUSED;
        detail = "closed before open";
      }
      events.onClose(error, detail);
    };

    if (!networkUp) {
      error = SOCKET_DNS_FAILED;
      detail = "network down";
      setImmediate(end);
      return { write: () => false, close: () => undefined };
    }

    let socket: net.Socket;
    if (o.tls) {
      const tlsOptions: tls.ConnectionOptions = {
        host: address,
        port,
        // SNI and certificate checks use the real host name, whatever address it maps to.
        servername: net.isIP(o.host) ? undefined : o.host,
        minVersion: "TLSv1.2",
      };
      if (o.ca && o.ca.length) tlsOptions.ca = o.ca.map(toPem);
      if (o.cert) tlsOptions.cert = toPem(o.cert);
      if (o.key) tlsOptions.key = keyPem(o.key);
      try {
        socket = tls.connect(tlsOptions);
      } catch (e) {
        // A certificate or key node:tls cannot use throws here: a TLS failure, reported like any.
        error = SOCKET_TLS_FAILED;
        detail = (e as Error).message;
        setImmediate(end);
        return { write: () => false, close: () => undefined };
      }
      socket.once("secureConnect", () => {
        settled();
        if (ended) return;
        opened = true;
        events.onOpen();
      });
    } else {
      socket = net.connect({ host: address, port });
      socket.once("connect", () => {
        settled();
        if (ended) return;
        opened = true;
        events.onOpen();
      });
    }
    open.add(socket);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      touch();
      if (!ended) events.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (error === SOCKET_CLOSED) {
        error = opened && socketErrorCode(e) === SOCKET_TLS_FAILED ? SOCKET_ERROR : socketErrorCode(e);
        detail = e.code ? `${e.code} ${e.message}` : e.message;
      }
    });
    socket.on("close", () => {
      open.delete(socket);
      end();
    });
    return {
      write(bytes) {
        if (!opened || ended || socket.destroyed) return false;
        touch();
        socket.write(Buffer.from(bytes));
        return true;
      },
      close() {
        if (ended) return;
        socket.end();
        // A peer that never answers the FIN must not keep the socket (or the device) waiting.
        setTimeout(() => socket.destroy(), 1000).unref();
      },
    };
  }

  return {
    time,
    clock: {
      nowMs: () => time.nowMs(),
      utcSeconds: () => Math.floor(time.epochMs() / 1000),
      isSynced: () => time.isSynced(),
    },
    timers: {
      setTimer: (ms, callback) => {
        const id = time.setTimer(ms, () => {
          timerIds.delete(id);
          if (powered) callback();
        });
        timerIds.add(id);
        return id;
      },
      clearTimer: (id) => {
        timerIds.delete(id);
        time.clearTimer(id);
      },
    },
    random32: options.random32 || (() => randomBytes(4).readUInt32BE(0)),
    load: loadNodeModule,
    testHooks: true,
    net: { connect },
    store: poweredStore(options.store || createFolderStore(options.storeDir), () => powered),
    sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
    crc32: (data) => crc32(typeof data === "string" ? Buffer.from(data, "latin1") : data) >>> 0,
    network: {
      isUp: () => networkUp,
      onChange: (callback) => {
        networkListeners.push(callback);
      },
    },
    system: {
      reboot: () => {
        if (options.onReboot) options.onReboot();
        else process.exit(0);
      },
      memory: (): MemoryFigures => {
        const m = process.memoryUsage();
        return { used: m.heapUsed, total: m.heapTotal, unit: "bytes" };
      },
      log: (level, message) => {
        if (level <= logLevel) log(level, message);
      },
    },
    setNetworkUp(up: boolean) {
      if (up === networkUp) return;
      networkUp = up;
      if (!up) for (const s of open) s.destroy();
      for (const listener of networkListeners.slice()) if (powered) listener(up);
    },
    powerOff() {
      powered = false;
      for (const id of timerIds) time.clearTimer(id);
      timerIds.clear();
      for (const s of open) s.destroy();
    },
    openSockets: () => open.size,
    connectLog,
    async quiet(quietMs = 15, maxWaitMs = 5000) {
      const start = performance.now();
      for (;;) {
        await new Promise((r) => setImmediate(r));
        const t = performance.now();
        if (pendingConnects === 0 && t - lastActivity >= quietMs) return;
        if (t - start >= maxWaitMs) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

export { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
