// The hardware-abstraction layer: everything the device driver (firmware/device/) needs
// from a platform, and nothing more. hal/espruino.ts implements it on the
// interpreter, hal/node.ts on Node. Small and synchronous where the device is.
//
// Contract rules that hold for every implementation:
// - No method throws. Failures are return values or a single callback.
// - Callbacks are never invoked from inside the call that registered them (a socket that
//   fails to connect reports it on a later tick), and must not block.
// - A socket reports its end exactly once, through onClose, whatever ended it.

/** Time. Monotonic milliseconds never go backwards, even when SNTP sets the wall clock. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. Called without its object (the
   *  device keeps the function itself): it must not use `this`. */
  nowMs(this: void): number;
  /** UTC seconds since 1970-01-01; meaningful only while isSynced() is true. */
  utcSeconds(): number;
  /** True once the wall clock has been set (SNTP on the device, always on Node). */
  isSynced(): boolean;
}

/** One-shot timers. Ids are positive integers; clearing an unknown or fired id is harmless. */
export interface Timers {
  setTimer(ms: number, callback: () => void): number;
  clearTimer(id: number): void;
}

export interface SocketOptions {
  /** The server's name: sent in the TLS handshake (SNI) and checked against its certificate,
   *  whatever address a HAL's hosts table maps it to. */
  host: string;
  port: number;
  /** TLS when true, plain TCP otherwise (the Espruino Linux smoke test, local brokers). */
  tls: boolean;
  /** Trusted CA certificates (DER bytes or PEM text). Enforced on Node and on an Espruino
   *  built with interpreter/'s patch (a failure ends the socket with SOCKET_TLS_UNVERIFIED);
   *  stock Espruino parses the first one and enforces nothing. */
  ca?: Array<Uint8Array | string>;
  /** Client certificate and key for X.509 authentication (DER or PEM). */
  cert?: Uint8Array | string;
  key?: Uint8Array | string;
}

export interface SocketEvents {
  /** The connection (and TLS handshake) is up; writes may start. */
  onOpen(): void;
  /** Bytes arrived. The array is only valid during the call. */
  onData(bytes: Uint8Array): void;
  /** The connection ended or never started. Called exactly once. `error` is 0 for a clean
   *  close, otherwise one of the SOCKET_* codes below. `detail` is for logs only. */
  onClose(error: number, detail: string): void;
}

/** Reasons a socket ended, for the failure classifier (defined with the other codes). */
export {
  SOCKET_CLOSED, SOCKET_DNS_FAILED, SOCKET_REFUSED, SOCKET_RESET, SOCKET_TLS_FAILED, SOCKET_TIMEOUT, SOCKET_ERROR,
  SOCKET_TLS_UNVERIFIED,
} from "../firmware/status";

export interface Socket {
  /** Queues bytes. Returns false when the socket is not open (the bytes are dropped):
   *  "link gone", never "try later"; the session's own bounds prevent runaway queues. */
  write(bytes: Uint8Array): boolean;
  /** Closes the socket; onClose follows (once) if it has not been reported yet. */
  close(): void;
}

export interface Net {
  /** Starts a connection. Never throws: a synchronous failure (refused port, unknown host
   *  on Espruino) is reported through events.onClose on a later tick. */
  connect(options: SocketOptions, events: SocketEvents): Socket;
}

/** A tiny named-record store: Storage on the device, a folder on Node. Names <= 28 chars.
 *  Data are byte strings (one char per byte, 0..255), the interpreter's native form. */
export interface Store {
  /** The record, or undefined when absent. */
  read(name: string): string | undefined;
  /** Replaces a record. Returns false on failure (flash full, bad name, empty data). */
  write(name: string, data: string): boolean;
  erase(name: string): void;
  /** Writes one chunk of a record whose total size is fixed when offset is 0 (OTA files):
   *  at 0 a new record of totalSize erased bytes; elsewhere only over bytes still erased
   *  (flash is not rewritten in place), else false. Bytes go to flash as they are. */
  writeChunk(name: string, data: Uint8Array, offset: number, totalSize: number): boolean;
  /** Names starting with prefix. */
  list(prefix: string): string[];
  /** SHA-256 of a whole record, hashed where it lies (flash on the device, no copy in RAM);
   *  undefined when the record is absent. */
  digest(name: string): Uint8Array | undefined;
}

export interface Network {
  /** True while the device has an IP link (Wi-Fi associated with an address; always on Node). */
  isUp(): boolean;
  /** Called on every change, never for the state current at registration time. */
  onChange(callback: (up: boolean) => void): void;
}

export interface MemoryFigures {
  /** Units in use and in all: JsVars on Espruino, bytes of JS heap on Node. */
  used: number;
  total: number;
  unit: "jsvars" | "bytes";
}

export const LOG_ERROR = 0;
export const LOG_WARN = 1;
export const LOG_INFO = 2;
export const LOG_DEBUG = 3;

export interface System {
  reboot(): void;
  /** collect: after a garbage collection, where there is one (slower: for status lines). */
  memory(collect?: boolean): MemoryFigures;
  /** One line, no secrets. Level is one of LOG_*. */
  log(level: number, message: string): void;
}

export interface Hal {
  clock: Clock;
  timers: Timers;
  /** 32 uniformly random bits (hardware RNG on the device), as a signed or an unsigned
   *  integer: callers take the bits they need (`>>> 0`, `& 0x7fffffff`). On Espruino it is
   *  E.hwRand itself, which gives a signed one. */
  random32(): number;
  net: Net;
  store: Store;
  /** SHA-256 of bytes, 32 bytes out. */
  sha256(data: Uint8Array): Uint8Array;
  /** CRC-32 (IEEE 802.3, as zlib) of bytes or a byte string, unsigned: the outbox's record
   *  checksum (native on the device, where a table in JavaScript would cost RAM and time). */
  crc32(data: Uint8Array | string): number;
  network: Network;
  system: System;
  /** An on-demand part of the client by name (provisioning, updates): on the device
   *  evaluated from its region of the application's Storage file, on Node imported.
   *  Undefined when it cannot be had. */
  load?(name: string): unknown;
  /** Give the device `internal` (what tests on a virtual clock look at). Unset on a board, so
   *  those functions take no memory there. */
  testHooks?: boolean;
}
