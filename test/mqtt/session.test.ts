import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createSession, SESSION_DOWN, SESSION_CONNECTING, SESSION_UP } from "../../firmware/mqtt/session";
import { Session, SessionOptions, MESSAGE_ACK, MESSAGE_PAUSE } from "../../firmware/mqtt/session-api";
import { ConnectOptions, connectSize, writeConnect } from "../../firmware/mqtt/encode";
import {
  OK, PAUSED, NO_MATCH, ERR_BAD_ARGUMENT, ERR_FULL, ERR_NO_SPACE, ERR_NOT_CONNECTED, ERR_CONNACK_TIMEOUT, ERR_LINK_DEAD,
  ERR_REFUSED, ERR_PROTOCOL, ERR_MALFORMED, ERR_TOO_LARGE,
} from "../../firmware/status";
import { mpParse, mpGenerate, encodeWith, hex } from "./kit";

// A scripted transport and a hand-driven clock: the test feeds server bytes,
// reads what the session sent and what it reported.

interface Harness {
  s: Session;
  /** Every send, copied. */
  sends: Uint8Array[];
  /** Events as short strings, in order. */
  log: string[];
  /** What message() answers. */
  accept: boolean;
  /** Called inside message() and closed(), for re-entrancy tests. */
  onMessage?: () => void;
  onClosed?: () => void;
  /** Whether the receiver's queue is full after each inbound PUBLISH (MESSAGE_PAUSE); false when absent. */
  full?: () => boolean;
  /** Parses everything sent since the last call (mqtt-packet). */
  sent(): Record<string, unknown>[];
  /** Server -> client. */
  serve(packet: Record<string, unknown>, now: number): number;
}

const CONNECT: ConnectOptions = { clientId: "dev", keepAliveS: 60, cleanSession: false };

function harness(options?: SessionOptions): Harness {
  let read = 0;
  const h: Harness = {
    s: undefined as unknown as Session,
    sends: [],
    log: [],
    accept: true,
    sent() {
      const fresh = h.sends.slice(read);
      read = h.sends.length;
      const bytes = Buffer.concat(fresh);
      const { packets, error } = mpParse(bytes);
      assert.is(error, undefined, "the session sent valid MQTT");
      return packets.map((p) => {
        // mqtt-packet sets publish-only fields on every packet: keep what the type defines
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(p)) {
          if (k === "length" || v === null || v === undefined) continue;
          if (p.cmd !== "publish" && (k === "retain" || k === "qos" || k === "dup")) continue;
          out[k] = v;
        }
        return out;
      });
    },
    serve(packet, now) {
      return h.s.receive(mpGenerate(packet), now);
    },
  };
  h.s = createSession(
    {
      send: (b) => h.sends.push(b.slice()),
      connack: (rc, sp) => h.log.push(`connack ${rc} ${sp}`),
      message: (topic, payload, qos, dup, id) => {
        h.log.push(`message ${topic} ${Buffer.from(payload).toString("latin1")} q${qos}${dup ? " dup" : ""} #${id}`);
        if (h.onMessage) h.onMessage();
        return (h.accept ? MESSAGE_ACK : 0) | (h.full && h.full() ? MESSAGE_PAUSE : 0);
      },
      oversized: (topic, qos, id, size) => {
        h.log.push(`oversized ${topic} q${qos} #${id} ${size}`);
        if (h.onMessage) h.onMessage();
        return h.full && h.full() ? MESSAGE_PAUSE : 0;
      },
      puback: (id) => h.log.push(`puback ${id}`),
      suback: (id, granted) => h.log.push(`suback ${id} ${Array.from(granted).join(",")}`),
      unsuback: (id) => h.log.push(`unsuback ${id}`),
      closed: (code) => {
        h.log.push(`closed ${code}`);
        if (h.onClosed) h.onClosed();
      },
    },
    options,
  );
  return h;
}

/** A session connected at time `now` with the given clean-session flag. */
function up(options?: SessionOptions, connect: ConnectOptions = CONNECT, now = 0): Harness {
  const h = harness(options);
  assert.is(h.s.connect(connect, now), OK);
  assert.is(h.serve({ cmd: "connack", returnCode: 0, sessionPresent: false }, now), OK);
  h.sent();
  h.log.length = 0;
  return h;
}

const payload = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const pub = (topic: string, body: string, qos: number, id?: number, dup = false) =>
  ({ cmd: "publish", topic, payload: Buffer.from(body, "latin1"), qos, dup, retain: false, ...(id ? { messageId: id } : {}) });

// ---------------------------------------------------------------------------------------------

const connect = suite("session: connect and CONNACK");

connect("connect -> CONNECT bytes from the codec, state connecting, CONNACK deadline 60 s", () => {
  const h = harness();
  assert.is(h.s.connect(CONNECT, 1000), OK);
  assert.is(hex(h.sends[0]), hex(encodeWith(connectSize(CONNECT), (b, o) => writeConnect(b, o, CONNECT)) as Uint8Array));
  assert.is(h.s.state, SESSION_CONNECTING);
  assert.is(h.s.tick(1000), 60000);
  assert.is(h.s.tick(31000), 30000);
});
connect("bad connect options -> ERR_BAD_ARGUMENT, nothing sent, state down", () => {
  const h = harness();
  assert.is(h.s.connect({ ...CONNECT, clientId: "\u0100" }, 0), ERR_BAD_ARGUMENT);
  assert.is(h.sends.length, 0);
  assert.is(h.s.state, SESSION_DOWN);
});
connect("CONNECT larger than the transmit buffer -> ERR_NO_SPACE", () => {
  const h = harness({ txSize: 64 });
  assert.is(h.s.connect({ ...CONNECT, username: "u", password: "p".repeat(60) }, 0), ERR_NO_SPACE);
  assert.is(h.s.state, SESSION_DOWN);
});
connect("CONNACK accepted -> connack(0, sessionPresent), state up", () => {
  const h = harness();
  h.s.connect(CONNECT, 0);
  assert.is(h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 5), OK);
  assert.equal(h.log, ["connack 0 true"]);
  assert.is(h.s.state, SESSION_UP);
});
connect("CONNACK refused (5) -> connack(5) then closed(ERR_REFUSED), state down", () => {
  const h = harness();
  h.s.connect(CONNECT, 0);
  assert.is(h.serve({ cmd: "connack", returnCode: 5, sessionPresent: false }, 5), ERR_REFUSED);
  assert.equal(h.log, ["connack 5 false", `closed ${ERR_REFUSED}`]);
  assert.is(h.s.state, SESSION_DOWN);
  assert.is(h.s.tick(10), -1);
});
connect("no CONNACK within 60 s -> closed(ERR_CONNACK_TIMEOUT) exactly at the deadline", () => {
  const h = harness();
  h.s.connect(CONNECT, 0);
  assert.is(h.s.tick(59999), 1);
  assert.equal(h.log, []);
  assert.is(h.s.tick(60000), -1);
  assert.equal(h.log, [`closed ${ERR_CONNACK_TIMEOUT}`]);
  assert.is(h.s.state, SESSION_DOWN);
});
connect("CONNACK timeout option -> used", () => {
  const h = harness({ connackTimeoutMs: 5000 });
  h.s.connect(CONNECT, 0);
  assert.is(h.s.tick(0), 5000);
  h.s.tick(5000);
  assert.equal(h.log, [`closed ${ERR_CONNACK_TIMEOUT}`]);
});
connect("clock wrapping past 2^32 -> deadlines still right", () => {
  const h = harness();
  const start = 4294967296 - 1000;
  h.s.connect(CONNECT, start);
  assert.is(h.s.tick(500), 58500); // 1500 ms later, after the wrap
  h.s.tick(59000);
  assert.equal(h.log, [`closed ${ERR_CONNACK_TIMEOUT}`]);
});
connect("a packet other than CONNACK first -> closed(ERR_PROTOCOL) (MQTT-3.2.0-1)", () => {
  const h = harness();
  h.s.connect(CONNECT, 0);
  assert.is(h.serve(pub("t", "x", 0), 1), ERR_PROTOCOL);
  assert.equal(h.log, [`closed ${ERR_PROTOCOL}`]);
});
connect("a second CONNACK -> closed(ERR_PROTOCOL)", () => {
  const h = up();
  assert.is(h.serve({ cmd: "connack", returnCode: 0, sessionPresent: false }, 1), ERR_PROTOCOL);
  assert.equal(h.log, [`closed ${ERR_PROTOCOL}`]);
});
connect("input while down -> ERR_NOT_CONNECTED, ignored", () => {
  const h = harness();
  assert.is(h.s.receive(new Uint8Array([0x20, 2, 0, 0]), 0), ERR_NOT_CONNECTED);
  assert.equal(h.log, []);
});
connect("connect again while up -> a fresh CONNECT, the window kept", () => {
  const h = up();
  const id = h.s.publish("t", payload("a"), 1, false, 1);
  h.sent();
  h.s.connect(CONNECT, 2);
  assert.is(h.s.state, SESSION_CONNECTING);
  assert.is(h.sent()[0].cmd, "connect");
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 3);
  assert.equal(h.sent(), [pub("t", "a", 1, id, true)]);
});
connect.run();

// ---------------------------------------------------------------------------------------------

const publish = suite("session: publish and the QoS 1 window");

publish("QoS 0 while up -> sent, returns OK, nothing in flight", () => {
  const h = up();
  assert.is(h.s.publish("a/b", payload("hi"), 0, false, 1), OK);
  assert.equal(h.sent(), [pub("a/b", "hi", 0)]);
  assert.is(h.s.inflight, 0);
});
publish("QoS 0 while down or connecting -> ERR_NOT_CONNECTED", () => {
  const h = harness();
  assert.is(h.s.publish("t", payload("x"), 0, false, 0), ERR_NOT_CONNECTED);
  h.s.connect(CONNECT, 0);
  assert.is(h.s.publish("t", payload("x"), 0, false, 0), ERR_NOT_CONNECTED);
});
publish("QoS 1 -> ids 1, 2, 3 and PUBLISH with that id; PUBACK -> puback(id), window shrinks", () => {
  const h = up();
  assert.is(h.s.publish("t", payload("a"), 1, false, 1), 1);
  assert.is(h.s.publish("t", payload("b"), 1, true, 1), 2);
  assert.is(h.s.publish("t", payload("c"), 1, false, 1), 3);
  assert.equal(h.sent(), [pub("t", "a", 1, 1), { ...pub("t", "b", 1, 2), retain: true }, pub("t", "c", 1, 3)]);
  assert.is(h.s.inflight, 3);
  h.serve({ cmd: "puback", messageId: 2 }, 2);
  assert.equal(h.log, ["puback 2"]);
  assert.is(h.s.inflight, 2);
});
publish("bad arguments -> ERR_BAD_ARGUMENT, nothing taken", () => {
  const h = up();
  assert.is(h.s.publish("t", payload("x"), 2, false, 1), ERR_BAD_ARGUMENT);
  assert.is(h.s.publish("", payload("x"), 1, false, 1), ERR_BAD_ARGUMENT);
  assert.is(h.s.publish("\u0100", payload("x"), 0, false, 1), ERR_BAD_ARGUMENT);
  assert.is(h.s.inflight, 0);
  assert.equal(h.sent(), []);
});
publish("topic too long for the transmit buffer -> ERR_NO_SPACE", () => {
  const h = up({ txSize: 32 });
  assert.is(h.s.publish("t".repeat(40), payload("x"), 1, false, 1), ERR_NO_SPACE);
  assert.is(h.s.inflight, 0);
});
publish("window full -> ERR_FULL; a PUBACK frees a slot", () => {
  const h = up({ maxInflight: 3 });
  for (let i = 1; i <= 3; i++) assert.is(h.s.publish("t", payload("x"), 1, false, 1), i);
  assert.is(h.s.publish("t", payload("x"), 1, false, 1), ERR_FULL);
  h.serve({ cmd: "puback", messageId: 1 }, 2);
  assert.is(h.s.publish("t", payload("x"), 1, false, 3), 4);
});
publish("an out-of-order PUBACK -> its slot is reused; resends still follow publish order", () => {
  const h = up({ maxInflight: 3 });
  const a = h.s.publish("t", payload("a"), 1, false, 1);
  h.s.publish("t", payload("b"), 1, false, 1);
  const c = h.s.publish("t", payload("c"), 1, false, 1);
  h.serve({ cmd: "puback", messageId: 2 }, 2);
  const d = h.s.publish("t", payload("d"), 1, false, 3); // takes b's slot, the first one free
  assert.is(d, 4);
  assert.is(h.s.inflight, 3);
  h.s.lost();
  h.sent();
  h.s.connect(CONNECT, 4);
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 5);
  assert.equal(h.sent().slice(1), [pub("t", "a", 1, a, true), pub("t", "c", 1, c, true), pub("t", "d", 1, d, true)]);
});
publish("packet ids wrap 65535 -> 1 and skip ids still in flight (MQTT-2.3.1-2)", () => {
  const h = up({ maxInflight: 4 });
  const stuck = h.s.publish("t", payload("x"), 1, false, 1); // id 1 stays unacknowledged
  assert.is(stuck, 1);
  let id = 0;
  for (let n = 2; n <= 65535; n++) {
    id = h.s.publish("t", payload("x"), 1, false, 1);
    h.serve({ cmd: "puback", messageId: id }, 1);
  }
  assert.is(id, 65535);
  assert.is(h.s.publish("t", payload("x"), 1, false, 1), 2, "1 is in flight: skipped");
});
publish("a duplicate or unknown PUBACK -> ignored", () => {
  const h = up();
  const id = h.s.publish("t", payload("x"), 1, false, 1);
  h.serve({ cmd: "puback", messageId: id }, 2);
  h.serve({ cmd: "puback", messageId: id }, 3);
  h.serve({ cmd: "puback", messageId: 999 }, 3);
  assert.equal(h.log, [`puback ${id}`]);
  assert.is(h.s.state, SESSION_UP);
});
publish("no PUBACK within the timeout -> sent again with DUP and the same id, then every timeout", () => {
  const h = up({ pubackTimeoutMs: 10000 });
  const id = h.s.publish("t", payload("a"), 1, false, 1000);
  h.sent();
  assert.is(h.s.tick(1000), 10000);
  assert.is(h.s.tick(10999), 1);
  assert.equal(h.sent(), []);
  assert.is(h.s.tick(11000), 10000);
  assert.equal(h.sent(), [pub("t", "a", 1, id, true)]);
  h.s.tick(21000);
  assert.equal(h.sent(), [pub("t", "a", 1, id, true)]);
  h.serve({ cmd: "puback", messageId: id }, 21500);
  assert.equal(h.log, [`puback ${id}`]);
  assert.is(h.s.tick(22000), 60000 - 22000 + 21000, "only the keep-alive is left");
});
publish("several overdue -> retransmitted in publish order; the not-yet-due one waits", () => {
  const h = up({ pubackTimeoutMs: 10000, maxInflight: 4 });
  const a = h.s.publish("t", payload("a"), 1, false, 0);
  const b = h.s.publish("t", payload("b"), 1, false, 100);
  const c = h.s.publish("t", payload("c"), 1, false, 5000);
  h.sent();
  assert.is(h.s.tick(10100), 4900);
  assert.equal(h.sent(), [pub("t", "a", 1, a, true), pub("t", "b", 1, b, true)]);
  h.s.tick(15000);
  assert.equal(h.sent(), [pub("t", "c", 1, c, true)]);
});
publish("payload larger than the transmit buffer -> two sends: head, then the caller's bytes", () => {
  const h = up({ txSize: 64 });
  const big = new Uint8Array(1000).fill(7);
  const before = h.sends.length;
  const id = h.s.publish("t", big, 1, false, 1);
  assert.is(h.sends.length, before + 2);
  assert.is(h.sends[before].length, 3 + 3 + 2);
  assert.equal(Array.from(h.sends[before + 1]), Array.from(big));
  const [p] = h.sent();
  assert.is(p.messageId, id);
  assert.is((p.payload as Buffer).length, 1000);
});
publish("QoS 1 while down -> queued, sent after the next CONNACK without DUP", () => {
  const h = harness();
  const id = h.s.publish("t", payload("early"), 1, false, 0);
  assert.is(id, 1);
  assert.is(h.sends.length, 0);
  h.s.connect(CONNECT, 1);
  h.sent();
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: false }, 2);
  assert.equal(h.sent(), [pub("t", "early", 1, id)]);
});
publish("discard(id) -> gone from the window, not resent, its late PUBACK ignored", () => {
  const h = up();
  const a = h.s.publish("t", payload("a"), 1, false, 0);
  const b = h.s.publish("t", payload("b"), 1, false, 0);
  assert.is(h.s.discard(a), OK);
  assert.is(h.s.discard(a), NO_MATCH);
  assert.is(h.s.discard(4242), NO_MATCH);
  assert.is(h.s.inflight, 1);
  h.serve({ cmd: "puback", messageId: a }, 1);
  assert.equal(h.log, []);
  h.s.lost();
  h.sent();
  h.s.connect(CONNECT, 2);
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 3);
  assert.equal(h.sent().slice(1), [pub("t", "b", 1, b, true)]);
});
publish("discard(0) -> every publish dropped, the count returned, window empty", () => {
  const h = up();
  h.s.publish("t", payload("a"), 1, false, 0);
  h.s.publish("t", payload("b"), 1, false, 0);
  assert.is(h.s.discard(0), 2);
  assert.is(h.s.inflight, 0);
  assert.is(h.s.discard(0), 0);
});
publish.run();

// ---------------------------------------------------------------------------------------------

const reconnect = suite("session: transport loss and reconnect");

reconnect("clean session off: lost, reconnect -> every unacknowledged PUBLISH again, DUP, same ids, in order", () => {
  const h = up({ maxInflight: 4 });
  const a = h.s.publish("t", payload("a"), 1, false, 0);
  const b = h.s.publish("t", payload("b"), 1, false, 0);
  const c = h.s.publish("t", payload("c"), 1, false, 0);
  h.serve({ cmd: "puback", messageId: b }, 1);
  h.s.lost();
  assert.is(h.s.state, SESSION_DOWN);
  assert.is(h.s.inflight, 2);
  const d = h.s.publish("t", payload("d"), 1, false, 2); // while down: queued
  h.sent();
  h.s.connect(CONNECT, 3);
  assert.equal(h.sent().map((p) => p.cmd), ["connect"], "nothing before CONNACK");
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 4);
  assert.equal(h.sent(), [pub("t", "a", 1, a, true), pub("t", "c", 1, c, true), pub("t", "d", 1, d, false)]);
  assert.equal(h.log.slice(-1), ["connack 0 true"]);
});
reconnect("resends happen before the connack event, so the app's own sends follow them", () => {
  const h = up();
  h.s.publish("t", payload("old"), 1, false, 0);
  h.s.lost();
  h.sent();
  h.s.connect(CONNECT, 1);
  h.sent();
  let seenAtConnack = 0;
  h.s.receive(mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: true }), 2);
  seenAtConnack = h.sends.length;
  assert.ok(seenAtConnack >= 1);
});
reconnect("clean session on -> unacknowledged messages go out again as new PUBLISHes (no DUP)", () => {
  const clean = { ...CONNECT, cleanSession: true };
  const h = up(undefined, clean);
  const a = h.s.publish("t", payload("a"), 1, false, 0);
  h.s.lost();
  h.sent();
  h.s.connect(clean, 1);
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: false }, 2);
  assert.equal(h.sent().slice(1), [pub("t", "a", 1, a, false)]);
});
reconnect("a PUBACK timeout after the resend -> DUP again, same id", () => {
  const h = up({ pubackTimeoutMs: 1000 });
  const a = h.s.publish("t", payload("a"), 1, false, 0);
  h.s.lost();
  h.s.connect(CONNECT, 10);
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 20);
  h.sent();
  h.s.tick(1020);
  assert.equal(h.sent(), [pub("t", "a", 1, a, true)]);
});
reconnect("no retransmission while down", () => {
  const h = up({ pubackTimeoutMs: 1000 });
  h.s.publish("t", payload("a"), 1, false, 0);
  h.s.lost();
  h.sent();
  assert.is(h.s.tick(5000), -1);
  assert.equal(h.sent(), []);
});
reconnect("disconnect -> DISCONNECT sent, state down, window kept", () => {
  const h = up();
  h.s.publish("t", payload("a"), 1, false, 0);
  h.sent();
  h.s.disconnect(1);
  assert.equal(h.sent(), [{ cmd: "disconnect" }]);
  assert.is(h.s.state, SESSION_DOWN);
  assert.is(h.s.inflight, 1);
  h.s.disconnect(2);
  assert.equal(h.sent(), [], "nothing when already down");
});
reconnect.run();

// ---------------------------------------------------------------------------------------------

const subscribe = suite("session: subscribe and unsubscribe");

subscribe("subscribe -> SUBSCRIBE with a fresh id; SUBACK -> suback(id, granted) with 0x80 failures", () => {
  const h = up();
  const id = h.s.subscribe(["devices/d/messages/devicebound/#", "$iothub/methods/POST/#"], [1, 0], 1);
  assert.is(id, 1);
  assert.equal(h.sent(), [{ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "devices/d/messages/devicebound/#", qos: 1 }, { topic: "$iothub/methods/POST/#", qos: 0 }] }]);
  h.serve({ cmd: "suback", messageId: id, granted: [1, 0x80] }, 2);
  assert.equal(h.log, [`suback ${id} 1,128`]);
});
subscribe("unsubscribe -> UNSUBSCRIBE; UNSUBACK -> unsuback(id)", () => {
  const h = up();
  const id = h.s.subscribe(["a/#"], null, 1);
  assert.equal(h.sent(), [{ cmd: "unsubscribe", messageId: id, unsubscriptions: ["a/#"] }]);
  h.serve({ cmd: "unsuback", messageId: id }, 2);
  assert.equal(h.log, [`unsuback ${id}`]);
});
subscribe("no unsuback handler (it is optional) -> UNSUBACK is taken; the session stays up", () => {
  const log: string[] = [];
  const events = {
    send: () => {},
    connack: () => {},
    message: () => true,
    puback: () => {},
    suback: () => {},
    closed: (code: number) => log.push(`closed ${code}`),
  };
  const s = createSession(events);
  s.connect(CONNECT, 0);
  s.receive(mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: false }), 0);
  const id = s.subscribe(["a/#"], null, 1);
  assert.ok(id > 0);
  assert.is(s.receive(mpGenerate({ cmd: "unsuback", messageId: id }), 2), OK);
  assert.is(s.state, SESSION_UP);
  assert.equal(log, []);
});
subscribe("ids are shared with publishes -> never two in flight with the same id", () => {
  const h = up();
  const p = h.s.publish("t", payload("a"), 1, false, 0);
  const s = h.s.subscribe(["x"], [1], 0);
  assert.is.not(p, s);
  h.serve({ cmd: "puback", messageId: s }, 1);
  assert.equal(h.log, [], "a PUBACK carrying a SUBSCRIBE's id is ignored");
  h.serve({ cmd: "suback", messageId: p, granted: [1] }, 1);
  assert.equal(h.log, [], "a SUBACK carrying a PUBLISH's id is ignored");
});
subscribe("while down -> ERR_NOT_CONNECTED", () => {
  const h = harness();
  assert.is(h.s.subscribe(["a"], [1], 0), ERR_NOT_CONNECTED);
  assert.is(h.s.subscribe(["a"], null, 0), ERR_NOT_CONNECTED);
});
subscribe("bad filters -> ERR_BAD_ARGUMENT and the slot is given back", () => {
  const h = up({ maxInflight: 1 });
  assert.is(h.s.subscribe([], [], 0), ERR_BAD_ARGUMENT);
  assert.is(h.s.subscribe(["a"], [3], 0), ERR_BAD_ARGUMENT);
  assert.is(h.s.subscribe([""], null, 0), ERR_BAD_ARGUMENT);
  assert.ok(h.s.subscribe(["a"], [1], 0) > 0);
});
subscribe("window full -> ERR_FULL", () => {
  const h = up({ maxInflight: 1 });
  h.s.subscribe(["a"], [1], 0);
  assert.is(h.s.subscribe(["b"], [1], 0), ERR_FULL);
  assert.is(h.s.publish("t", payload("x"), 1, false, 0), ERR_FULL);
});
subscribe("transport lost -> pending subscribes forgotten (their slots free), publishes kept", () => {
  const h = up({ maxInflight: 2 });
  const s = h.s.subscribe(["a"], [1], 0);
  h.s.publish("t", payload("x"), 1, false, 0);
  h.s.lost();
  h.s.connect(CONNECT, 1);
  h.serve({ cmd: "connack", returnCode: 0, sessionPresent: true }, 2);
  h.serve({ cmd: "suback", messageId: s, granted: [1] }, 3);
  assert.equal(h.log, ["connack 0 true"], "the late SUBACK is ignored");
  assert.ok(h.s.subscribe(["a"], [1], 4) > 0, "its slot was freed");
});
subscribe.run();

// ---------------------------------------------------------------------------------------------

const inbound = suite("session: inbound PUBLISH");

inbound("QoS 0 -> message(topic, payload, 0), no PUBACK", () => {
  const h = up();
  h.serve(pub("a/b", "hello", 0), 1);
  assert.equal(h.log, ["message a/b hello q0 #0"]);
  assert.equal(h.sent(), []);
});
inbound("QoS 1 accepted -> PUBACK sent after the handler returned", () => {
  const h = up();
  let sendsDuringHandler = -1;
  h.onMessage = () => {
    sendsDuringHandler = h.sends.length;
  };
  const before = h.sends.length;
  h.serve(pub("c2d", "x", 1, 77, true), 1);
  assert.is(sendsDuringHandler, before, "nothing sent before the handler answered");
  assert.equal(h.log, ["message c2d x q1 dup #77"]);
  assert.equal(h.sent(), [{ cmd: "puback", messageId: 77 }]);
});
inbound("QoS 1 declined -> no PUBACK; ack(id) later -> PUBACK", () => {
  const h = up();
  h.accept = false;
  h.serve(pub("c2d", "x", 1, 9), 1);
  assert.equal(h.sent(), []);
  assert.is(h.s.ack(9, 2), OK);
  assert.equal(h.sent(), [{ cmd: "puback", messageId: 9 }]);
});
inbound("ack while down or with id 0 -> ERR_NOT_CONNECTED / ERR_BAD_ARGUMENT", () => {
  const h = up();
  assert.is(h.s.ack(0, 1), ERR_BAD_ARGUMENT);
  h.s.lost();
  assert.is(h.s.ack(9, 1), ERR_NOT_CONNECTED);
});
inbound("the receiver's queue full -> PAUSED after that packet, the rest kept; resume() once drained -> the next ones, none lost", () => {
  const h = up();
  let queued = 0;
  h.onMessage = () => void queued++;
  h.full = () => queued >= 2;
  const packets = [pub("a", "1", 1, 1), pub("b", "2", 0), pub("c", "3", 1, 2), pub("d", "4", 0), pub("e", "5", 1, 3)];
  const chunk = Buffer.concat(packets.map((p) => mpGenerate(p)));
  // The last packet is split: its second half arrives in the next chunk.
  assert.is(h.s.receive(chunk.subarray(0, chunk.length - 2), 1), PAUSED);
  assert.equal(h.log, ["message a 1 q1 #1", "message b 2 q0 #0"]);
  assert.equal(h.sent(), [{ cmd: "puback", messageId: 1 }]);
  queued = 0;
  assert.is(h.s.resume(2), PAUSED);
  assert.equal(h.log.slice(2), ["message c 3 q1 #2", "message d 4 q0 #0"]);
  queued = 0;
  assert.is(h.s.resume(3), OK, "the rest: part of the last packet, buffered");
  assert.is(h.s.resume(3), OK, "nothing left");
  assert.is(h.s.receive(chunk.subarray(chunk.length - 2), 4), OK);
  assert.equal(h.log.slice(4), ["message e 5 q1 #3"]);
  assert.equal(h.sent(), [{ cmd: "puback", messageId: 2 }, { cmd: "puback", messageId: 3 }]);
});
inbound("paused, then the transport is lost -> the rest is dropped with it", () => {
  const h = up();
  h.full = () => true;
  const chunk = Buffer.concat([mpGenerate(pub("a", "1", 0)), mpGenerate(pub("b", "2", 0))]);
  assert.is(h.s.receive(chunk, 1), PAUSED);
  h.s.lost();
  assert.is(h.s.resume(2), OK);
  assert.equal(h.log, ["message a 1 q0 #0"]);
});
inbound("several packets in one chunk -> each delivered, each acknowledged, in order", () => {
  const h = up();
  const chunk = Buffer.concat([mpGenerate(pub("a", "1", 1, 1)), mpGenerate(pub("b", "2", 0)), mpGenerate(pub("c", "3", 1, 2))]);
  assert.is(h.s.receive(chunk, 1), OK);
  assert.equal(h.log, ["message a 1 q1 #1", "message b 2 q0 #0", "message c 3 q1 #2"]);
  assert.equal(h.sent(), [{ cmd: "puback", messageId: 1 }, { cmd: "puback", messageId: 2 }]);
});
inbound("one byte at a time -> the same deliveries", () => {
  const h = up();
  const bytes = mpGenerate(pub("topic/x", "payload", 1, 5));
  for (let i = 0; i < bytes.length; i++) assert.is(h.s.receive(bytes.subarray(i, i + 1), 1), OK);
  assert.equal(h.log, ["message topic/x payload q1 #5"]);
});
inbound("handler disconnects -> the rest of the chunk is ignored, no PUBACK, ERR_NOT_CONNECTED", () => {
  const h = up();
  h.onMessage = () => h.s.disconnect(1);
  const chunk = Buffer.concat([mpGenerate(pub("a", "1", 1, 1)), mpGenerate(pub("b", "2", 0))]);
  assert.is(h.s.receive(chunk, 1), ERR_NOT_CONNECTED);
  assert.equal(h.log, ["message a 1 q1 #1"]);
  assert.equal(h.sent(), [{ cmd: "disconnect" }]);
});
inbound("handler publishes a reply -> sent, the rest of the chunk still processed", () => {
  const h = up();
  h.onMessage = () => {
    h.s.publish("reply", payload("r"), 0, false, 1);
  };
  const chunk = Buffer.concat([mpGenerate(pub("a", "1", 1, 1)), mpGenerate(pub("b", "2", 0))]);
  assert.is(h.s.receive(chunk, 1), OK);
  assert.equal(h.sent(), [pub("reply", "r", 0), { cmd: "puback", messageId: 1 }, pub("reply", "r", 0)]);
});
inbound("QoS 2 PUBLISH -> closed(ERR_PROTOCOL), nothing delivered", () => {
  const h = up();
  assert.is(h.s.receive(new Uint8Array([0x34, 5, 0x00, 0x01, 0x74, 0x00, 0x01]), 1), ERR_PROTOCOL);
  assert.equal(h.log, [`closed ${ERR_PROTOCOL}`]);
  assert.is(h.s.state, SESSION_DOWN);
});
inbound("malformed packet -> closed(ERR_MALFORMED)", () => {
  const h = up();
  assert.is(h.s.receive(new Uint8Array([0x40, 3, 0, 1, 0]), 1), ERR_MALFORMED);
  assert.equal(h.log, [`closed ${ERR_MALFORMED}`]);
});
inbound("packet other than PUBLISH over maxPacket -> closed(ERR_TOO_LARGE) from its header", () => {
  const h = up({ maxPacket: 128 });
  assert.is(h.s.receive(new Uint8Array([0x90, 0xff, 0x01]), 1), ERR_TOO_LARGE);
  assert.equal(h.log, [`closed ${ERR_TOO_LARGE}`]);
  assert.is(h.s.receive(new Uint8Array(100), 2), ERR_NOT_CONNECTED);
});
inbound("closed handler reconnects at once -> the new connection stands", () => {
  const h = up();
  h.onClosed = () => h.s.connect(CONNECT, 2);
  assert.is(h.s.receive(new Uint8Array([0x40, 3, 0, 1, 0]), 2), ERR_MALFORMED);
  assert.equal(h.log, [`closed ${ERR_MALFORMED}`]);
  assert.is(h.s.state, SESSION_CONNECTING);
  assert.equal(h.sent().map((p) => p.cmd), ["connect"]);
});
inbound("after an error and a reconnect -> the reader starts clean", () => {
  const h = up();
  h.s.receive(new Uint8Array([0x30, 0x10, 0x00]), 1); // a partial PUBLISH
  h.s.lost();
  h.s.connect(CONNECT, 2);
  assert.is(h.serve({ cmd: "connack", returnCode: 0, sessionPresent: false }, 3), OK);
  assert.is(h.s.state, SESSION_UP);
});
inbound.run();

// ---------------------------------------------------------------------------------------------

const oversized = suite("session: inbound PUBLISH over maxPacket");

const C2D = "devices/d/messages/devicebound/%24.mid=1";
const bigBody = (n: number) => "b".repeat(n);
/** An oversized C2D message, then a PINGRESP and a message that fits. */
function oversizedStream(qos: number, topic = C2D, id = 0x0102): Uint8Array {
  return new Uint8Array(Buffer.concat([mpGenerate(pub(topic, bigBody(1000), qos, id)), mpGenerate({ cmd: "pingresp" }), mpGenerate(pub("t", "ok", 1, 3))]));
}
/** What the session sent after sends[mark], as hex. */
const since = (h: Harness, mark: number) => hex(Buffer.concat(h.sends.slice(mark)));
const SIZE = (topic: string, qos: number) => mpGenerate(pub(topic, bigBody(1000), qos, qos ? 1 : undefined)).length;

for (const qos of [0, 1]) {
  const id = qos ? 0x0102 : 0;
  const expectLog = [`oversized ${C2D} q${qos} #${id} ${SIZE(C2D, qos)}`, "message t ok q1 #3"];
  const expectSent = qos ? "40020102" + "40020003" : "40020003";
  oversized(`QoS ${qos} in one chunk -> oversized(topic, ${qos}, id, size)${qos ? ", PUBACK" : ""}, link up, the next message delivered`, () => {
    const h = up({ maxPacket: 256 });
    const mark = h.sends.length;
    assert.is(h.s.receive(oversizedStream(qos), 1), OK);
    assert.equal(h.log, expectLog);
    assert.is(since(h, mark), expectSent, "PUBACK bytes");
    assert.is(h.s.state, SESSION_UP);
  });
  oversized(`QoS ${qos} split at every point and byte by byte -> the same events and bytes`, () => {
    const bytes = oversizedStream(qos);
    const runs: Uint8Array[][] = [];
    for (let at = 0; at <= bytes.length; at++) runs.push([bytes.subarray(0, at), bytes.subarray(at)]);
    runs.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
    for (const chunks of runs) {
      const h = up({ maxPacket: 256 });
      const mark = h.sends.length;
      for (const c of chunks) assert.is(h.s.receive(c, 1), OK);
      assert.equal(h.log, expectLog, `${chunks.length} chunks, first ${chunks[0].length} B`);
      assert.is(since(h, mark), expectSent);
      assert.is(h.s.state, SESSION_UP);
    }
  });
}
oversized("topic longer than maxPacket -> oversized with topic \"\", still acknowledged", () => {
  const h = up({ maxPacket: 256 });
  const mark = h.sends.length;
  const topic = C2D + "&k=" + "v".repeat(400);
  assert.is(h.s.receive(oversizedStream(1, topic, 0xabcd), 1), OK);
  assert.equal(h.log, [`oversized  q1 #${0xabcd} ${SIZE(topic, 1)}`, "message t ok q1 #3"]);
  assert.is(since(h, mark), "4002abcd" + "40020003");
});
oversized("no oversized handler (optional) -> closed(ERR_TOO_LARGE) from the header, as before", () => {
  const sends: string[] = [];
  const seen: string[] = [];
  const s = createSession(
    {
      send: (b) => sends.push(hex(b)),
      connack: () => {},
      message: (topic) => {
        seen.push(topic);
        return true;
      },
      puback: () => {},
      suback: () => {},
      unsuback: () => {},
      closed: (code) => seen.push(`closed ${code}`),
    },
    { maxPacket: 256 },
  );
  s.connect(CONNECT, 0);
  s.receive(mpGenerate({ cmd: "connack", returnCode: 0, sessionPresent: false }), 0);
  sends.length = 0;
  assert.is(s.receive(mpGenerate(pub(C2D, bigBody(1000), 1, 5)).subarray(0, 4), 1), ERR_TOO_LARGE);
  assert.equal(seen, [`closed ${ERR_TOO_LARGE}`]);
  assert.equal(sends, []);
  assert.is(s.state, SESSION_DOWN);
});
oversized("DUP redelivery -> reported and acknowledged again", () => {
  const h = up({ maxPacket: 256 });
  const mark = h.sends.length;
  h.s.receive(mpGenerate(pub(C2D, bigBody(500), 1, 5)), 1);
  h.s.receive(mpGenerate(pub(C2D, bigBody(500), 1, 5, true)), 2);
  assert.is(h.log.length, 2);
  assert.is(since(h, mark), "40020005" + "40020005");
});
oversized("handler disconnects -> no PUBACK, the rest ignored, ERR_NOT_CONNECTED", () => {
  const h = up({ maxPacket: 256 });
  const mark = h.sends.length;
  h.onMessage = () => h.s.disconnect(1);
  assert.is(h.s.receive(oversizedStream(1), 1), ERR_NOT_CONNECTED);
  assert.is(since(h, mark), "e000", "DISCONNECT only");
  assert.is(h.log.length, 1);
  assert.equal(h.sent(), [{ cmd: "disconnect" }]);
});
oversized("before CONNACK -> closed(ERR_PROTOCOL), as any PUBLISH", () => {
  const h = harness({ maxPacket: 256 });
  h.s.connect(CONNECT, 0);
  assert.is(h.s.receive(oversizedStream(1), 1), ERR_PROTOCOL);
  assert.equal(h.log, [`closed ${ERR_PROTOCOL}`]);
});
oversized("QoS 1 with packet id 0 -> closed(ERR_MALFORMED) (MQTT-2.3.1-1)", () => {
  const h = up({ maxPacket: 64 });
  assert.is(h.s.receive(new Uint8Array([0x32, 100, 0x00, 0x01, 0x74, 0x00, 0x00, ...new Array(95).fill(0)]), 1), ERR_MALFORMED);
  assert.equal(h.log, [`closed ${ERR_MALFORMED}`]);
});
oversized.run();

// ---------------------------------------------------------------------------------------------

const keepAlive = suite("session: keep-alive");

keepAlive("idle for the keep-alive period -> PINGREQ; PINGRESP -> next ping a period after the last send", () => {
  const h = up(); // keep-alive 60 s, connected at 0
  assert.is(h.s.tick(0), 60000);
  assert.is(h.s.tick(59999), 1);
  assert.equal(h.sent(), []);
  assert.is(h.s.tick(60000), 20000, "ping timeout is next");
  assert.equal(h.sent(), [{ cmd: "pingreq" }]);
  h.serve({ cmd: "pingresp" }, 61000);
  assert.is(h.s.tick(61000), 59000);
  assert.equal(h.log, []);
});
keepAlive("no answer within the ping timeout -> closed(ERR_LINK_DEAD)", () => {
  const h = up({ pingTimeoutMs: 5000 });
  h.s.tick(60000);
  assert.is(h.s.tick(64999), 1);
  assert.is(h.s.tick(65000), -1);
  assert.equal(h.log, [`closed ${ERR_LINK_DEAD}`]);
  assert.is(h.s.state, SESSION_DOWN);
});
keepAlive("any input, even part of a packet, answers the ping", () => {
  const h = up({ pingTimeoutMs: 5000 });
  h.s.tick(60000);
  h.s.receive(new Uint8Array([0x30]), 62000);
  assert.is(h.s.tick(65000), 60000 + 60000 - 65000, "next ping due a period after the PINGREQ");
  assert.equal(h.log, []);
});
keepAlive("sending but receiving nothing -> still pinged a period after the last input", () => {
  const h = up();
  for (let t = 10000; t < 60000; t += 10000) {
    h.s.publish("t", payload("x"), 0, false, t);
    h.s.tick(t);
  }
  h.sent();
  h.s.tick(60000);
  assert.equal(h.sent(), [{ cmd: "pingreq" }]);
});
keepAlive("receiving but sending nothing -> pinged a period after the last send", () => {
  const h = up();
  for (let t = 10000; t < 60000; t += 10000) h.serve(pub("t", "x", 0), t);
  h.s.tick(59999);
  assert.equal(h.sent(), []);
  h.s.tick(60000);
  assert.equal(h.sent(), [{ cmd: "pingreq" }]);
});
keepAlive("keep-alive 0 -> no pings, no deadline", () => {
  const h = up(undefined, { ...CONNECT, keepAliveS: 0 });
  assert.is(h.s.tick(0), -1);
  assert.is(h.s.tick(10_000_000), -1);
  assert.equal(h.sent(), []);
});
keepAlive("next deadline -> the earliest of PUBACK timeout and ping", () => {
  const h = up({ pubackTimeoutMs: 30000 });
  h.s.publish("t", payload("x"), 1, false, 50000);
  assert.is(h.s.tick(50000), 10000, "ping at 60 s comes before the PUBACK timeout at 80 s");
});
keepAlive("down -> tick -1", () => {
  assert.is(harness().s.tick(0), -1);
});
keepAlive.run();
