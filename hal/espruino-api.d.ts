// The Espruino 2v29 APIs hal/espruino.ts uses, typed as measured on the 2v29 builds.
// @types/espruino is older and partly wrong for ESP32 (it types Wifi.setSNTP's zone
// as a number, which throws there), so modules are reached through these typed require()
// overloads instead of its module declarations.

interface EspSocket {
  write(data: string): void;
  end(): void;
  on(event: "data", callback: (data: string) => void): void;
  on(event: "close", callback: () => void): void;
  on(event: "error", callback: (error: { code?: number; message?: string }) => void): void;
  on(event: "connect", callback: () => void): void;
  /** The data handler as Espruino keeps it; gone once it was dropped (out of memory in it). */
  readonly "#ondata"?: unknown;
}

interface EspConnectOptions {
  host: string;
  port: number;
  /** SNI and the name checked against the certificate; read only by an interpreter built
   *  with interpreter/'s patch (stock 2v29 ignores it). */
  servername?: string;
  /** One certificate; a list only on a patched interpreter (EspTlsModule.VERIFY). */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
}

interface EspNetModule {
  connect(options: EspConnectOptions, onConnect: () => void): EspSocket;
}

interface EspTlsModule extends EspNetModule {
  /** 1 on an interpreter built with interpreter/'s patch (a given ca is enforced); missing on
   *  stock 2v29. */
  VERIFY?: number;
}

interface EspStorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string): string[];
  getFree(): number;
  /** Bytes and counts of live files and of trash (erased files not yet compacted). */
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number };
}

interface EspCryptoModule {
  SHA256(data: string | Uint8Array | ArrayBuffer): ArrayBuffer;
}

interface EspWifiModule {
  connect(ssid: string, options: { password?: string }, callback: (error: string | null) => void): void;
  disconnect(callback?: () => void): void;
  getIP(): { ip: string };
  getStatus(): { station?: string };
  /** On ESP32 both arguments must be strings; the zone is a POSIX TZ string such as "UTC0". */
  setSNTP(server: string, zone: string): void;
  on(event: "connected" | "disconnected", callback: (details: { ip?: string; reason?: string }) => void): void;
}

declare function require(name: "net"): EspNetModule;
declare function require(name: "tls"): EspTlsModule;
declare function require(name: "net" | "tls"): EspNetModule;
declare function require(name: "Storage"): EspStorageModule;
declare function require(name: "crypto"): EspCryptoModule;
declare function require(name: "Wifi"): EspWifiModule;

declare namespace E {
  function toString(data: Uint8Array | ArrayBuffer | string): string;
  function reboot(): void;
  function enableWatchdog(timeoutSeconds: number, automatic?: boolean): void;
  function getSizeOf(value: unknown): number;
  /** CRC-32 of a string or bytes. */
  function CRC32(data: string | Uint8Array): number;
  /** The interpreter's error flags ("MEMORY", "CALLBACK", ...), cleared by reading them. */
  function getErrorFlags(): string[];
  /** Called with the new flags when the interpreter raises an error flag. */
  function on(event: "errorFlag", callback: (flags: string[]) => void): void;
  function removeListener(event: "errorFlag", callback: (flags: string[]) => void): void;
}

declare var process: {
  version: string;
  memory(runGc?: boolean): { total: number; usage: number; free: number; blocksize: number };
  env: { [key: string]: unknown };
};
