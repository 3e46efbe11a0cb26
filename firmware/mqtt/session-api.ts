// The MQTT 3.1.1 client session's interface (session.ts implements it): options, the events
// it raises and the calls a driver makes.
//
// How a driver uses it:
//   const s = createSession(events, { maxInflight: 8, maxPacket: 4096 });
//   transport open        -> s.connect(connectOptions, now)      (sends CONNECT)
//   bytes arrived         -> s.receive(bytes, now)
//   transport ended       -> s.lost()
//   after any call        -> delay = s.tick(now); re-arm the one timer for `delay` ms (-1: none)
//   timer fired           -> s.tick(now) again
//   events.closed(code)   -> the session gave the connection up: close the transport (no lost() needed)
// Time is a millisecond counter passed in by the caller; only differences are used. The
// session never arms timers, never throws on network input and never holds a socket.
//
// Outbound bytes go to events.send(bytes); the array is valid during the call only, so the
// sink copies or writes it at once. A PUBLISH larger than txSize goes out as two sends:
// header and topic, then the payload itself. No buffer outlives the packet it carries.
//
// Inbound PUBLISH: events.message(topic, payload, qos, dup, id) with the topic as a byte
// string and the payload as a view valid during the call. For QoS 1, return true once the
// message is accepted and the session sends PUBACK; return false to acknowledge later with
// ack(id), or never (the server redelivers after a reconnect).
// A PUBLISH over maxPacket, when the optional events.oversized is given, is skipped as it
// streams in, never held whole: oversized(topic, qos, id, size) reports it (topic "" when
// the topic alone did not fit) and the session sends PUBACK for QoS 1 itself, as the server
// would otherwise send it again after every reconnect. The connection stays up. Without
// that event such a PUBLISH ends the session with ERR_TOO_LARGE, like any packet too large.
//
// Keep-alive: when nothing was sent or nothing received for keepAliveS seconds, PINGREQ goes
// out; if nothing at all arrives within pingTimeoutMs after it, closed(ERR_LINK_DEAD).
// No CONNACK within connackTimeoutMs: closed(ERR_CONNACK_TIMEOUT). CONNACK refused: the
// connack(code, false) event, then closed(ERR_REFUSED). Bad input: closed(ERR_MALFORMED,
// ERR_TOO_LARGE for a packet over maxPacket (see above for PUBLISH), or ERR_PROTOCOL for
// QoS 2, a packet before CONNACK or a second CONNACK).
import { ConnectOptions } from "./encode";

export interface SessionOptions {
  /** Slots for unacknowledged QoS 1 publishes plus pending (un)subscribes. Default 8. */
  maxInflight?: number;
  /** Largest inbound packet in bytes, header included (the bound on a receive buffer). Default 4096. */
  maxPacket?: number;
  /** Bound on the buffer a CONNECT, SUBSCRIBE or PUBLISH header is written into. Default 1024. */
  txSize?: number;
  /** Default 60000 (the hub may hold CONNACK while it shapes traffic). */
  connackTimeoutMs?: number;
  /** QoS 1 retransmission interval. Default 30000. */
  pubackTimeoutMs?: number;
  /** How long after a PINGREQ the link may stay silent. Default 20000. */
  pingTimeoutMs?: number;
}

/** Bits of what message() and oversized() return. MESSAGE_ACK: accepted, a QoS 1 PUBACK goes
 *  now (`true` means the same). MESSAGE_PAUSE: the receiver's queue is full, receive() stops
 *  after this packet with PAUSED and keeps the rest of its input for resume(). (One return
 *  value instead of a full() event: each function a session keeps costs about 5 JsVars.) */
export const MESSAGE_ACK = 1;
export const MESSAGE_PAUSE = 2;

export interface SessionEvents {
  /** Bytes to write to the transport; valid during the call only. */
  send(bytes: Uint8Array): void;
  /** CONNACK arrived: return code 0 accepted (state is already up), 1..5 refused. */
  connack(returnCode: number, sessionPresent: boolean): void;
  /** Inbound PUBLISH; see the header. Returns MESSAGE_* bits: MESSAGE_ACK (or true) to
   *  accept (QoS 1: PUBACK now), MESSAGE_PAUSE to stop there. */
  message(topic: string, payload: Uint8Array, qos: number, dup: boolean, packetId: number): boolean | number;
  /** A QoS 1 publish of ours was acknowledged and left the window. */
  puback(packetId: number): void;
  /** Inbound PUBLISH over maxPacket, skipped; `size` is its length in bytes, header
   *  included, and `topic` is "" when the topic alone did not fit. QoS 1: PUBACK follows.
   *  Optional: without it such a PUBLISH closes the session with ERR_TOO_LARGE. May return
   *  MESSAGE_PAUSE. */
  oversized?(topic: string, qos: number, packetId: number, size: number): number | void;
  /** Granted QoS per filter (0x80 = refused), a view valid during the call. */
  suback(packetId: number, granted: Uint8Array): void;
  /** Optional: a client that never unsubscribes need not keep a function for it. */
  unsuback?(packetId: number): void;
  /** The session ended the connection; the code says why (see the header). */
  closed(reason: number): void;
}

export interface Session {
  /** Sends CONNECT (ending any previous connection). OK, ERR_BAD_ARGUMENT, ERR_NO_SPACE. */
  connect(options: ConnectOptions, now: number): number;
  /** Feeds transport bytes. OK, PAUSED (MESSAGE_PAUSE came back: call resume() once the queue
   *  is drained), ERR_NOT_CONNECTED, or the code the session closed with. */
  receive(bytes: Uint8Array, now: number): number;
  /** Reads the input a PAUSED left; the same returns as receive. OK when nothing is left. */
  resume(now: number): number;
  /** Runs due timeouts; returns ms until the next call is needed, or -1 for none. */
  tick(now: number): number;
  /** QoS 0: OK or ERR_NOT_CONNECTED. QoS 1: the packet id, or ERR_FULL. Both: ERR_BAD_ARGUMENT,
   *  ERR_NO_SPACE (topic too long for the transmit buffer). */
  publish(topic: string, payload: Uint8Array, qos: number, retain: boolean, now: number): number;
  /** SUBSCRIBE with a QoS per topic, or UNSUBSCRIBE when qos is null (one function for both:
   *  each function a session keeps costs about 5 JsVars). Returns the packet id (suback or
   *  unsuback follows), ERR_NOT_CONNECTED, ERR_FULL, ERR_BAD_ARGUMENT, ERR_NO_SPACE. */
  subscribe(topics: string[], qos: number[] | null, now: number): number;
  /** Acknowledges an inbound QoS 1 message held back by message(). OK, ERR_NOT_CONNECTED, ERR_BAD_ARGUMENT. */
  ack(packetId: number, now: number): number;
  /** Sends DISCONNECT if connected; the window is kept. The caller then closes the transport. */
  disconnect(now: number): void;
  /** The transport ended. The window is kept; pending (un)subscribes are forgotten. */
  lost(): void;
  /** Drops one unacknowledged publish: OK or NO_MATCH. Packet id 0 (never a publish's) drops
   *  every one and returns how many (one function for both: each costs about 5 JsVars). */
  discard(packetId: number): number;
  /** SESSION_DOWN, SESSION_CONNECTING or SESSION_UP. Fields, not getters, here and below:
   *  read them, never set them. */
  readonly state: number;
  /** Unacknowledged QoS 1 publishes in the window. */
  readonly inflight: number;
  /** A PINGREQ waits for its answer (tests on a virtual clock hold time still meanwhile). */
  readonly pinging: boolean;
}
