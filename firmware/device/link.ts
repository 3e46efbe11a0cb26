// The link: the one socket the device has (an ESP32 has TLS memory for one). DPS, the hub
// and an update download take turns on it; a new connection waits until the previous socket
// has reported its close, because its TLS memory is freed only then.
//
// MQTT links: the session's callbacks only record what happened (the inbound queue,
// closeLater); the device acts on it in Core.settle once the session call has returned, so
// application handlers and the policy never run inside the MQTT session.
import { Socket, SocketOptions, LOG_INFO } from "../../hal/types";
import { Session, SessionEvents, MESSAGE_ACK, MESSAGE_PAUSE } from "../mqtt/session-api";
import { ConnectOptions } from "../mqtt/encode";
import { AUTH_CERT } from "../config";
import { base64DecodeLenient } from "../azure/base64";
import { KIND_HUB_SOCKET, KIND_DPS_SOCKET } from "../policy/classify";
import { PAUSED } from "../status";
import { Core, Inbound, LINK_HUB } from "./core";

/** Inbound messages held until the session call returns. When a chunk brings more, the
 *  session pauses once the queue is full and goes on after the device has drained it, so
 *  nothing is dropped and the queue stays bounded. */
export const MAX_INBOUND = 8;
const EMPTY = new Uint8Array(0);

/** What the owner of a connection hears. */
export interface LinkUser {
  opened(): void;
  data(bytes: Uint8Array): void;
  /** The socket ended while it was the current link (not after close()). */
  closed(error: number, detail: string): void;
}

export interface Link {
  /** LINK_* of the current connection, 0 for none. */
  kind: number;
  /** The current socket is open. */
  open: boolean;
  /** The MQTT session of the current link, if it is one. */
  session: Session | undefined;
  /** A connection waits for the previous socket's close. */
  waiting: boolean;
  inbound: Inbound[];
  /** LINK_* whose session gave up (0: none) and the code it gave. */
  closeLater: number;
  closeCode: number;
  /** The last CONNACK return code on the current link, -1 before one. */
  connackCode: number;
  connect(kind: number, options: SocketOptions, session: Session | undefined, user: LinkUser): void;
  /** Ends the current connection; clean: DISCONNECT first when it is up. */
  close(clean: boolean): void;
  write(bytes: Uint8Array): void;
  /** Session events for a session used on links of `kind`. */
  events(kind: number, connack: () => void, suback: () => void, puback: (id: number) => void): SessionEvents;
}

/** Certificates in the config are PEM text or base64 DER; TLS takes PEM text or DER bytes.
 *  DER already (a record read from flash, firmware/tls-records.ts) goes as it is: it begins
 *  with an ASN.1 SEQUENCE byte, 0x30, where base64 DER begins with "M" and PEM with "-". */
export function certificate(text: string): string | Uint8Array {
  if (text.charCodeAt(0) === 0x30 || text.indexOf("-----BEGIN") >= 0) return text;
  const der = base64DecodeLenient(text);
  return typeof der === "number" ? text : der;
}

/** The CA list for one connection: decoded when connecting, not kept (the DER copy of one CA
 *  is about 45 JsVars, and the configuration holds the text anyway). */
export function certificates(texts: string[]): Array<string | Uint8Array> {
  const out: Array<string | Uint8Array> = [];
  for (let i = 0; i < texts.length; i++) out.push(certificate(texts[i]));
  return out;
}

export function createLink(core: Core): Link {
  let socket: Socket | undefined;
  /** A socket closed by us whose close report has not come yet, and the connect waiting for it. */
  let closing: Socket | undefined;
  let pending: (() => void) | undefined;

  const link: Link = {
    kind: 0,
    open: false,
    session: undefined,
    waiting: false,
    inbound: [],
    closeLater: 0,
    closeCode: 0,
    connackCode: -1,

    connect: function (kind: number, options: SocketOptions, session: Session | undefined, user: LinkUser): void {
      link.close(false);
      if (closing) {
        pending = function () {
          link.connect(kind, options, session, user);
        };
        link.waiting = true;
        return;
      }
      link.kind = kind;
      link.open = false;
      link.session = session;
      link.connackCode = -1;
      // Whether this socket is still the link's: tested inline in each handler (a helper
      // function would live as long as the connection, about 6 JsVars).
      let mine: Socket | undefined = undefined;
      mine = socket = core.hal.net.connect(options, {
        onOpen: function () {
          if (socket !== mine || mine === undefined) return;
          link.open = true;
          user.opened();
        },
        onData: function (bytes: Uint8Array) {
          if (socket === mine && mine !== undefined) user.data(bytes);
        },
        onClose: function (error: number, detail: string) {
          const was = socket === mine && mine !== undefined;
          closed(mine as Socket);
          if (!was) return;
          socket = undefined;
          link.kind = 0;
          link.open = false;
          link.session = undefined;
          link.inbound = [];
          user.closed(error, detail);
        },
      });
      // The handlers above share this call's scope for the connection's life: let go of the
      // options, which hold the certificates (a DER one is about 45 JsVars).
      options = undefined as unknown as SocketOptions;
    },

    close: function (clean: boolean): void {
      pending = undefined;
      link.waiting = false;
      const old = socket;
      if (!old) return;
      // DISCONNECT goes out while the link is still current (the session writes through it).
      if (clean && link.open && link.session) link.session.disconnect(core.now());
      if (link.session) link.session.lost();
      socket = undefined;
      link.kind = 0;
      link.open = false;
      link.session = undefined;
      link.inbound = [];
      closing = old;
      old.close();
    },

    write: function (bytes: Uint8Array): void {
      if (socket && link.open) socket.write(bytes);
    },

    events: function (kind: number, connack: () => void, suback: () => void, puback: (id: number) => void): SessionEvents {
      return sessionEvents(link, core, kind, connack, suback, puback);
    },
  };

  /** A socket we closed reported its end: the connection waiting for it may open now. */
  function closed(s: Socket): void {
    if (closing !== s) return;
    closing = undefined;
    const next = pending;
    pending = undefined;
    link.waiting = false;
    if (next) {
      next();
      core.settle();
    }
  }

  return link;
}

/** The events of a session used on links of `kind` (Link.events). A top-level function: the
 *  closures of a function declared inside another each carry a copy of the scope chain (about
 *  3 JsVars each, for the life of the session). */
function sessionEvents(link: Link, core: Core, kind: number, connack: () => void, suback: () => void, puback: (id: number) => void): SessionEvents {
  return {
    send: function (bytes: Uint8Array) {
      if (link.kind === kind) link.write(bytes);
    },
    connack: function (code: number) {
      link.connackCode = code;
      if (code === 0) connack();
    },
    message: function (topic: string, payload: Uint8Array, qos: number, _dup: boolean, packetId: number) {
      core.stats.received++;
      // Cannot happen while MESSAGE_PAUSE pauses the session; if it did, a QoS 1 message
      // would be left unacknowledged (sent again after the next reconnection).
      if (link.inbound.length >= MAX_INBOUND) return MESSAGE_PAUSE;
      // A copy, as the payload is a view of the receive chunk. Not payload.slice(0): on
      // Espruino that gives a plain Array, a variable per byte (8 KB would take 8,000).
      link.inbound.push({ topic: topic, payload: new Uint8Array(payload), qos: qos, packetId: packetId, tooLarge: 0 });
      // QoS 1 is acknowledged once its handler has run (hub.ts); a full queue pauses.
      return (qos === 0 ? MESSAGE_ACK : 0) | (link.inbound.length >= MAX_INBOUND ? MESSAGE_PAUSE : 0);
    },
    oversized: function (topic: string, qos: number, packetId: number, size: number) {
      // Skipped unread and acknowledged by the session: the link stays up. What it was
      // (a twin answer, a method call, C2D) is dealt with after the session call.
      core.stats.received++;
      core.stats.tooLarge++;
      if (link.inbound.length < MAX_INBOUND) link.inbound.push({ topic: topic, payload: EMPTY, qos: qos, packetId: packetId, tooLarge: size });
      return link.inbound.length >= MAX_INBOUND ? MESSAGE_PAUSE : 0;
    },
    puback: puback,
    suback: suback,
    // No unsuback: the device never unsubscribes.
    closed: function (reason: number) {
      link.closeLater = kind;
      link.closeCode = reason;
    },
  };
}

/** Opens an MQTT connection (hub or DPS) on the link: socket, CONNECT, and on a socket end
 *  the policy hears of the failure. */
export function openMqtt(core: Core, kind: number, host: string, session: Session, connect: ConnectOptions | undefined): void {
  const config = core.config;
  let options: SocketOptions = { host: host, port: config.port, tls: config.tls };
  if (config.tls) {
    if (config.ca.length > 0) options.ca = certificates(config.ca);
    if (config.auth === AUTH_CERT) {
      options.cert = certificate(config.certificate);
      options.key = certificate(config.privateKey);
    }
  }
  core.stats.connectAttempts++;
  core.log(LOG_INFO, "connecting to " + host + (config.tls ? " (TLS)" : " (plain TCP)"));
  core.link.connect(kind, options, session, {
    opened: function () {
      if (connect) session.connect(connect, core.now());
      // The CONNECT fields, the SAS token among them, are needed once: dropped when sent, they
      // do not stay in RAM for the life of the connection (about 25 JsVars).
      connect = undefined;
      core.settle();
    },
    data: function (bytes: Uint8Array) {
      let r = session.receive(bytes, core.now());
      core.settle();
      // More messages in one chunk than the inbound queue holds: the session paused with the
      // queue full, settle() has drained it, and the rest goes in (a loop, not recursion).
      while (r === PAUSED && core.link.session === session) {
        r = session.resume(core.now());
        core.settle();
      }
    },
    closed: function (error: number, detail: string) {
      session.lost();
      core.log(LOG_INFO, (kind === LINK_HUB ? "hub" : "DPS") + " connection closed (" + error + (detail ? " " + detail : "") + ")");
      const t = core.now();
      if (kind === LINK_HUB) core.policy.hubFailed(t, KIND_HUB_SOCKET, error);
      else core.policy.dpsFailed(t, KIND_DPS_SOCKET, error, 0);
      core.settle();
    },
  });
  // As in link.connect: the handlers keep this scope, not the certificates.
  options = undefined as unknown as SocketOptions;
}
