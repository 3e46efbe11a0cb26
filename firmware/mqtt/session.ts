// MQTT 3.1.1 client session, sans-I/O (§3.1-3.14, §4.4 redelivery, §3.1.2.10 keep-alive):
// packet ids, the QoS 1 in-flight window, retransmission, keep-alive and CONNACK timeouts.
// The interface, the events and how a driver uses them are in session-api.ts.
//
// QoS 1 publish: publish() returns the packet id; puback(id) reports completion. The message
// (topic string and payload array, kept by reference: do not modify the payload) stays in
// the window until its PUBACK or discard(id). Without a PUBACK within pubackTimeoutMs it is
// sent again with DUP and the same id. Across a transport loss it stays; after the next
// accepted CONNACK every unacknowledged message is sent again, in publish order, before the
// connack event: with cleanSession off with DUP and the same id (§4.4); with cleanSession on
// as a new PUBLISH (DUP clear, the same id, which is free in the new session), so delivery
// stays at least once either way. Call discard(0) before connect() to drop them instead.
// QoS 1 publishes made while not connected wait in the window for the next CONNACK.
import { OK, PAUSED, ERR_FULL, ERR_NO_SPACE, ERR_PROTOCOL, ERR_NOT_CONNECTED, ERR_CONNACK_TIMEOUT, ERR_LINK_DEAD, ERR_REFUSED, NO_MATCH } from "../status";
import { ConnectOptions, connectSize, writeConnect, writePublishHead, publishSize, writePuback, writeSubscribe, writeUnsubscribe, writePingreq, writeDisconnect } from "./encode";
import { decodePacket } from "./decode";
import { createFrameReader } from "./frame-reader";
import { createPacket, CONNACK, PUBLISH, PUBACK, SUBACK, PINGRESP } from "./packet";
import { SessionOptions, SessionEvents, Session, MESSAGE_ACK, MESSAGE_PAUSE } from "./session-api";

/** Session states, as in Session.state. */
export const SESSION_DOWN = 0;
export const SESSION_CONNECTING = 1;
export const SESSION_UP = 2;

// Slot kinds in the window.
const FREE = 0;
const QUEUED = 1; // publish not sent on this connection yet
const SENT = 2; // publish sent, awaiting PUBACK
const SUB = 3; // SUBSCRIBE or UNSUBSCRIBE awaiting its ack

export function createSession(events: SessionEvents, options?: SessionOptions): Session {
  const o = options || {};
  const size = o.maxInflight || 8;
  const connackMs = o.connackTimeoutMs || 60000;
  const pubackMs = o.pubackTimeoutMs || 30000;
  const pingMs = o.pingTimeoutMs || 20000;
  const txSize = o.txSize || 1024;
  // PUBACK, PINGREQ and DISCONNECT are written here; anything larger into a buffer made for
  // it and dropped once sent (the transport copies it), so an idle session holds none.
  const small = new Uint8Array(4);
  const packet = createPacket();
  const reader = createFrameReader(o.maxPacket || 4096, onFrame, !!events.oversized);
  const empty = packet.payload;
  // The window: `size` slots in parallel arrays, created once. A slot is
  // free when its kind is FREE; order[] numbers publishes so resends keep their order (§4.6).
  // Kinds and RETAIN flags in Uint8Arrays: about 4 JsVars each on Espruino, where a plain
  // array of 8 takes 10. The other numbers stay in plain arrays: a typed array of another
  // kind would make the interpreter build that kind's prototype (about 8 JsVars) when the
  // first hub session is made, a moment when a small pool may be short of memory.
  const kind = new Uint8Array(size);
  /** 1: publish with RETAIN. */
  const retains = new Uint8Array(size);
  const ids: number[] = [];
  const order: number[] = [];
  const sentAt: number[] = [];
  const topics: string[] = [];
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    ids.push(0);
    order.push(0);
    sentAt.push(0);
    topics.push("");
    payloads.push(empty);
  }
  let now = 0;
  let st = SESSION_DOWN;
  let clean = false;
  let keepMs = 0;
  let startedAt = 0;
  let lastTx = 0;
  let lastRx = 0;
  let pingAt = -1; // when the outstanding PINGREQ went out; -1: none
  let lastId = 0;
  let seq = 0;
  // Input not yet read after a PAUSED (see resume).
  let held = empty;

  function out(b: Uint8Array, n: number): void {
    lastTx = now;
    events.send(b.subarray(0, n));
  }

  /** The slot holding packet id `id`, or a free slot for id 0; -1 when there is none. */
  function find(id: number): number {
    for (let i = 0; i < size; i++) if (kind[i] ? ids[i] == id : !id) return i;
    return -1;
  }

  function isPublish(i: number): boolean {
    return i >= 0 && kind[i] > FREE && kind[i] < SUB;
  }

  function drop(i: number): void {
    if (kind[i] < SUB) session.inflight--;
    kind[i] = FREE;
    topics[i] = "";
    payloads[i] = empty;
  }

  /** Takes a free slot with a new packet id (1..65535, none in use: MQTT-2.3.1-2; the
   *  window is far smaller than the id space, so the search ends). -1 when full. */
  function take(k: number): number {
    const i = find(0);
    if (i >= 0) {
      do lastId = lastId > 65534 ? 1 : lastId + 1;
      while (find(lastId) >= 0);
      kind[i] = k;
      if (k < SUB) session.inflight++;
      ids[i] = lastId;
      order[i] = ++seq;
    }
    return i;
  }

  function emit(topic: string, payload: Uint8Array, qos: number, dup: boolean, retain: boolean, id: number): number {
    const n = payload.length;
    let k = publishSize(topic, n, qos);
    if (k < 0) return k;
    // The whole packet when it fits txSize; the header alone, the payload sent after, if not.
    const b = new Uint8Array(k > txSize ? k - n : k);
    k = writePublishHead(b, 0, topic, n, qos, dup, retain, id);
    if (k >= 0) {
      if (k + n > b.length) {
        out(b, k);
        events.send(payload);
      } else {
        b.set(payload, k);
        out(b, k + n);
      }
    }
    return k < 0 ? k : OK;
  }

  /** Sends window publishes in order: all of them after a CONNACK, otherwise those whose
   *  PUBACK is overdue. After a CONNACK with clean session on they are new publishes. */
  function resend(all: boolean): void {
    let last = 0;
    for (;;) {
      let b = -1;
      for (let i = 0; i < size; i++) {
        if ((all ? isPublish(i) : kind[i] == SENT && ((now - sentAt[i]) | 0) >= pubackMs) && order[i] > last && (b < 0 || order[i] < order[b])) b = i;
      }
      if (b < 0) return;
      last = order[b];
      emit(topics[b], payloads[b], 1, kind[b] == SENT && !(all && clean), retains[b] == 1, ids[b]);
      kind[b] = SENT;
      sentAt[b] = now;
    }
  }

  function down(): void {
    st = session.state = SESSION_DOWN;
    held = empty;
    pingAt = -1;
    session.pinging = false;
    for (let i = 0; i < size; i++) if (kind[i] == SUB) drop(i);
  }

  function fail(code: number): number {
    down();
    events.closed(code);
    return code;
  }

  function onFrame(first: number, data: Uint8Array, s: number, e: number, oversize: number): number {
    const p = packet;
    const r = decodePacket(p, first, data, s, e);
    const type = p.type;
    const id = p.id;
    // An error stops the reader; receive() then ends the session with it.
    if (r) return r;
    if ((st == SESSION_CONNECTING) != (type == CONNACK)) return ERR_PROTOCOL; // CONNACK first, once (MQTT-3.2.0-1)
    if (type == CONNACK) {
      if (p.code) {
        events.connack(p.code, p.present);
        return ERR_REFUSED;
      }
      st = session.state = SESSION_UP;
      resend(true);
      events.connack(0, p.present);
    } else if (type == PUBLISH) {
      // MESSAGE_* bits; a skipped one is acknowledged unread (oversized exists when the reader
      // reports sizes).
      const r = oversize ? (events.oversized!(p.topic, p.qos, id, oversize) as number) | MESSAGE_ACK : +events.message(p.topic, p.payload, p.qos, p.dup, id);
      if ((r & MESSAGE_ACK) && p.qos && st == SESSION_UP) out(small, writePuback(small, 0, id));
      // The receiver's queue is full: stop after this packet until it has been drained.
      if (st == SESSION_UP && (r & MESSAGE_PAUSE)) return PAUSED;
    } else if (type != PINGRESP) {
      // PUBACK, SUBACK or UNSUBACK of something in the window; a late duplicate is ignored.
      // (PINGRESP needs nothing: any input already cleared the ping.)
      const i = find(id);
      if (i >= 0 && (type == PUBACK) == isPublish(i)) {
        drop(i);
        if (type == PUBACK) events.puback(id);
        else if (type == SUBACK) events.suback(id, p.codes);
        else if (events.unsuback) events.unsuback(id);
      }
    }
    return st == SESSION_UP ? OK : ERR_NOT_CONNECTED; // a handler may have ended the session
  }

  function request(topics: string[], qos: number[] | null, t: number): number {
    now = t;
    if (st != SESSION_UP) return ERR_NOT_CONNECTED;
    const i = take(SUB);
    if (i < 0) return ERR_FULL;
    const b = new Uint8Array(txSize);
    const k = qos ? writeSubscribe(b, 0, ids[i], topics, qos) : writeUnsubscribe(b, 0, ids[i], topics);
    if (k < 0) {
      drop(i);
      return k;
    }
    out(b, k);
    return ids[i];
  }

  function receive(bytes: Uint8Array, t: number): number {
    now = t;
    held = empty;
    if (st == SESSION_DOWN) return ERR_NOT_CONNECTED;
    lastRx = now;
    pingAt = -1;
    session.pinging = false;
    const r = reader.push(bytes);
    if (r == PAUSED) held = bytes.subarray(bytes.length - reader.left);
    // Framing, decode and protocol errors end the session; ERR_NOT_CONNECTED means a
    // handler already ended it.
    return r < 0 && r != ERR_NOT_CONNECTED ? fail(r) : r;
  }

  /** ms until `since + period`, wrap-safe. */
  function left(since: number, period: number): number {
    return (since + period - now) | 0;
  }

  // The state, the window's publishes and the ping are fields, kept current where they
  // change: a getter each would be a function for the session's life (about 5 JsVars each).
  const session: { -readonly [K in keyof Session]: Session[K] } = {
    state: SESSION_DOWN,
    inflight: 0,
    pinging: false,

    connect: function (c: ConnectOptions, t: number): number {
      now = t;
      down();
      reader.reset();
      let k = connectSize(c);
      if (k < 0) return k;
      // Its own size (a SAS CONNECT is about 400 bytes); over txSize, writeConnect refuses it.
      const b = new Uint8Array(k > txSize ? txSize : k);
      k = writeConnect(b, 0, c);
      if (k < 0) return k;
      clean = c.cleanSession;
      keepMs = c.keepAliveS * 1000;
      st = session.state = SESSION_CONNECTING;
      startedAt = lastRx = now;
      out(b, k);
      return OK;
    },

    receive: receive,

    resume: function (t: number): number {
      return held.length ? receive(held, t) : OK;
    },

    tick: function (t: number): number {
      now = t;
      let next = left(startedAt, connackMs);
      let d = 0; // one variable for the whole function (see decode.ts on Espruino and var)
      if (st == SESSION_CONNECTING && next <= 0) fail(ERR_CONNACK_TIMEOUT);
      if (st != SESSION_UP) return st ? next : -1;
      resend(false);
      next = -1;
      for (let i = 0; i < size; i++) {
        d = left(sentAt[i], pubackMs);
        if (kind[i] == SENT && (next < 0 || d < next)) next = d;
      }
      if (keepMs) {
        // Ping when either direction was idle for the keep-alive period (MQTT-3.1.2-23).
        d = left(((now - lastTx) | 0) > ((now - lastRx) | 0) ? lastTx : lastRx, keepMs);
        if (pingAt < 0 && d <= 0) {
          out(small, writePingreq(small, 0));
          pingAt = now;
          session.pinging = true;
        }
        if (pingAt >= 0) d = left(pingAt, pingMs);
        if (d <= 0) {
          fail(ERR_LINK_DEAD);
          return -1;
        }
        if (next < 0 || d < next) next = d;
      }
      return next;
    },

    publish: function (topic: string, payload: Uint8Array, qos: number, retain: boolean, t: number): number {
      now = t;
      const h = publishSize(topic, 0, qos);
      if (h < 0) return h;
      if (h > txSize) return ERR_NO_SPACE;
      if (!qos) return st == SESSION_UP ? emit(topic, payload, 0, false, retain, 0) : ERR_NOT_CONNECTED;
      const i = take(QUEUED);
      if (i < 0) return ERR_FULL;
      topics[i] = topic;
      payloads[i] = payload;
      retains[i] = retain ? 1 : 0;
      if (st == SESSION_UP) {
        emit(topic, payload, 1, false, retain, ids[i]);
        kind[i] = SENT;
        sentAt[i] = now;
      }
      return ids[i];
    },

    subscribe: request,

    ack: function (id: number, t: number): number {
      now = t;
      if (st != SESSION_UP) return ERR_NOT_CONNECTED;
      const k = writePuback(small, 0, id);
      if (k > 0) out(small, k);
      return k < 0 ? k : OK;
    },

    disconnect: function (t: number): void {
      now = t;
      if (st == SESSION_UP) out(small, writeDisconnect(small, 0));
      down();
    },

    lost: down,

    discard: function (id: number): number {
      if (id) {
        const i = find(id);
        if (!isPublish(i)) return NO_MATCH;
        drop(i);
        return OK;
      }
      let n = 0;
      for (let i = 0; i < size; i++) {
        if (isPublish(i)) {
          drop(i);
          n++;
        }
      }
      return n;
    },
  };
  return session;
}
