// A socket on the Espruino interpreter, as the HAL's Socket: Espruino's connect throws
// synchronously, takes and gives strings, and reports a close on a later tick; this absorbs
// all three. The "hosts" map (Linux smoke tests) points names at loopback addresses.
import {
  Socket, SocketEvents, SocketOptions,
  SOCKET_CLOSED, SOCKET_DNS_FAILED, SOCKET_REFUSED, SOCKET_TLS_FAILED, SOCKET_ERROR, SOCKET_TLS_UNVERIFIED,
} from "./types";
import { findText } from "../firmware/text";

/** The socket error codes of a server that failed verification on a patched interpreter
 *  (interpreter/): -16 not trusted, -17 expired or not yet valid, -18 another name. */
const ESP_CERT_ERROR_FIRST = -18;
const ESP_CERT_ERROR_LAST = -16;

function classifyConnectError(message: string, tls: boolean): number {
  if (findText(message, "locate host") >= 0) return SOCKET_DNS_FAILED;
  if (findText(message, "create socket") >= 0 || findText(message, "Connect failed") >= 0) return SOCKET_REFUSED;
  if (tls || findText(message, "mbedtls") >= 0 || findText(message, "HTTPS") >= 0) return SOCKET_TLS_FAILED;
  return SOCKET_ERROR;
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Espruino's connect options for ours: the hosts map applied, SNI and the certificates. */
function espConnectOptions(options: SocketOptions, hosts: { [host: string]: string } | undefined, verifies: boolean): EspConnectOptions {
  let host = options.host;
  let port = options.port;
  if (hosts && hasOwn(hosts, host)) {
    const mapped = hosts[host];
    const colon = mapped.lastIndexOf(":");
    host = mapped.substring(0, colon);
    port = parseInt(mapped.substring(colon + 1), 10);
  }
  const espOptions: EspConnectOptions = { host: host, port: port };
  if (options.tls) {
    // The real name for SNI and the certificate check, whatever address hosts gave.
    espOptions.servername = options.host;
    // Stock 2v29 takes one certificate (and enforces none); a patched interpreter the set.
    if (options.ca && options.ca.length > 0) espOptions.ca = verifies ? options.ca : options.ca[0];
    if (options.cert) espOptions.cert = options.cert;
    if (options.key) espOptions.key = options.key;
  }
  return espOptions;
}

/** The HAL's net object: connectSocket is its connect, called as a method. */
export interface EspruinoNet {
  connect(options: SocketOptions, events: SocketEvents): Socket;
  /** EspruinoHalOptions.hosts. */
  hosts: { [host: string]: string } | undefined;
  /** The interpreter enforces a given ca (EspruinoBoard.tlsVerifies). */
  verifies: boolean;
}

/** net.connect itself (a top-level function, not a wrapper in the HAL: its handlers then
 *  carry no copy of the HAL's scope chain, and no wrapper function lives on); the hosts map
 *  and the verification flag are read from the net object it is called on. */
export function connectSocket(this: EspruinoNet, options: SocketOptions, events: SocketEvents): Socket {
  const tls = options.tls;
  let raw: EspSocket | undefined;
  let open = false;
  let ended = false;
  let error = SOCKET_CLOSED;
  let detail = "";
  /** Watches for the data handler Espruino drops when it runs out of memory in it. */
  let lost: (() => void) | undefined;

  function end(): void {
    if (ended) return;
    ended = true;
    open = false;
    if (lost) E.removeListener("errorFlag", lost);
    const report = events;
    // After a close() the report comes first and Espruino drops the raw socket on a later
    // idle loop; its handlers share this scope. Let go of the device's callbacks (and the
    // session and parts they hold, about 600 JsVars after provisioning) now: every handler
    // checks `ended` before using them.
    events = undefined as unknown as SocketEvents;
    // A close before the connection opened is a failed connect, whatever the event said.
    report.onClose(error, detail);
  }

  function fail(code: number, message: string): void {
    if (error === SOCKET_CLOSED) {
      error = code;
      detail = message;
    }
  }

  try {
    // Made in a call, not kept here: the handlers share this scope for the connection's life,
    // and the options hold the certificates (a DER CA is about 45 JsVars).
    raw = require(tls ? "tls" : "net").connect(espConnectOptions(options, this.hosts, this.verifies), function () {
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
  options = undefined as unknown as SocketOptions;

  raw.on("data", function (data: string) {
    if (!ended) events.onData(E.toUint8Array(data));
  });
  raw.on("error", function (e: { code?: number; message?: string }) {
    if (ended) return;
    const message = (e && e.message) || "socket error " + (e && e.code);
    const code = e && e.code;
    if (typeof code === "number" && code >= ESP_CERT_ERROR_FIRST && code <= ESP_CERT_ERROR_LAST) fail(SOCKET_TLS_UNVERIFIED, message);
    else fail(open ? SOCKET_ERROR : classifyConnectError(message, tls), message);
  });
  raw.on("close", function () {
    if (ended) return;
    if (!open && error === SOCKET_CLOSED) fail(tls ? SOCKET_TLS_FAILED : SOCKET_REFUSED, "closed before open");
    end();
  });
  // Running out of memory inside the data handler makes Espruino drop the handler with the
  // bytes it was given: the stream is broken, and nothing more would be heard until
  // keep-alive gave up, over a minute later. Espruino raises an error flag at once: then the
  // socket ends with an error and the device reconnects by its policy. The flags are read
  // (which clears them) so that the next error raises the event again.
  lost = function (): void {
    E.getErrorFlags();
    if (ended || !raw || raw["#ondata"] !== undefined) return;
    fail(SOCKET_ERROR, "data handler lost (out of memory)");
    raw.end();
    end();
  };
  E.on("errorFlag", lost);

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
