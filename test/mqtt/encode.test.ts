import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  connectSize, writeConnect, publishSize, writePublish, writePublishHead, writePuback, subscribeSize, writeSubscribe,
  unsubscribeSize, writeUnsubscribe, writePingreq, writeDisconnect, ConnectOptions,
} from "../../firmware/mqtt/encode";
import { ERR_BAD_ARGUMENT, ERR_NO_SPACE, ERR_TOO_LARGE } from "../../firmware/status";
import { outbound } from "./vectors";
import { encodeWith, hex, mpParse, mpGenerate } from "./kit";

const SENTINEL = 0xa5;

const vectors = suite("encode: vectors");

for (const v of outbound) {
  vectors(`${v.name} -> the commented bytes`, () => {
    assert.is(v.size(), v.bytes.length, "size step");
    const out = encodeWith(v.size(), v.write);
    assert.instance(out, Uint8Array);
    assert.is(hex(out as Uint8Array), hex(v.bytes));
  });
  vectors(`${v.name} -> mqtt-packet parses the same fields`, () => {
    const { packets, error } = mpParse(new Uint8Array(v.bytes));
    assert.is(error, undefined);
    assert.is(packets.length, 1);
    const parsed = packets[0] as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(v.mp)) assert.equal(parsed[key], value, key);
  });
  vectors(`${v.name} -> round trip through mqtt-packet gives the same bytes`, () => {
    const { packets } = mpParse(new Uint8Array(v.bytes));
    assert.is(hex(mpGenerate(packets[0])), hex(v.bytes));
  });
}
vectors.run();

const guards = suite("encode: buffer guards");

for (const v of outbound) {
  guards(`${v.name} at an offset, exact fit -> nothing outside written`, () => {
    const n = v.bytes.length;
    const b = new Uint8Array(n + 10).fill(SENTINEL);
    const view = b.subarray(0, n + 3); // 3 bytes of lead-in, exactly n after it
    assert.is(v.write(view, 3), n + 3);
    assert.is(hex(b.subarray(3, n + 3)), hex(v.bytes));
    for (const i of [0, 1, 2]) assert.is(b[i], SENTINEL);
    for (let i = n + 3; i < b.length; i++) assert.is(b[i], SENTINEL);
  });
  guards(`${v.name} one byte short -> ERR_NO_SPACE, buffer untouched`, () => {
    const b = new Uint8Array(v.bytes.length - 1).fill(SENTINEL);
    assert.is(v.write(b, 0), ERR_NO_SPACE);
    assert.ok(b.every((x) => x === SENTINEL));
  });
}
guards.run();

const connect = suite("writeConnect / connectSize");
const base: ConnectOptions = { clientId: "c", keepAliveS: 60, cleanSession: true };
const bad: [string, ConnectOptions][] = [
  ["client id char > 255", { ...base, clientId: "\u0100" }],
  ["password without username (MQTT-3.1.2-22)", { ...base, password: "p" }],
  ["keep-alive 65536", { ...base, keepAliveS: 65536 }],
  ["keep-alive -1", { ...base, keepAliveS: -1 }],
  ["will QoS 3", { ...base, will: { topic: "w", payload: new Uint8Array(0), qos: 3, retain: false } }],
  ["empty will topic", { ...base, will: { topic: "", payload: new Uint8Array(0), qos: 0, retain: false } }],
  ["will payload over 65535 bytes", { ...base, will: { topic: "w", payload: new Uint8Array(65536), qos: 0, retain: false } }],
  ["username over 65535 bytes", { ...base, username: "u".repeat(65536) }],
  ["password char > 255", { ...base, username: "u", password: "\u20ac" }],
];
for (const [why, o] of bad) {
  connect(`${why} -> ERR_BAD_ARGUMENT from both steps, nothing written`, () => {
    assert.is(connectSize(o), ERR_BAD_ARGUMENT);
    const b = new Uint8Array(200000).fill(SENTINEL);
    assert.is(writeConnect(b, 0, o), ERR_BAD_ARGUMENT);
    assert.is(b[0], SENTINEL);
  });
}
connect("empty password with username -> flag set, zero-length string", () => {
  const out = encodeWith(connectSize({ ...base, username: "u", password: "" }), (b, o) => writeConnect(b, o, { ...base, username: "u", password: "" })) as Uint8Array;
  assert.is(out[9], 0xc2);
  assert.is(hex(out.subarray(out.length - 2)), "0000");
});
connect("will QoS 2 -> allowed (a broker matter, not ours)", () => {
  const o = { ...base, will: { topic: "w", payload: new Uint8Array(1), qos: 2, retain: false } };
  const out = encodeWith(connectSize(o), (b, off) => writeConnect(b, off, o)) as Uint8Array;
  assert.is(out[9], 0x02 | 0x04 | 0x10);
});
connect.run();

const publish = suite("writePublish / writePublishHead / publishSize");
publish("QoS 2 -> ERR_BAD_ARGUMENT (this client sends QoS 0 and 1)", () => {
  assert.is(publishSize("t", 0, 2), ERR_BAD_ARGUMENT);
  assert.is(writePublish(new Uint8Array(64), 0, "t", new Uint8Array(0), 2, false, false, 1), ERR_BAD_ARGUMENT);
});
publish("empty topic -> ERR_BAD_ARGUMENT (MQTT-4.7.3-1)", () => {
  assert.is(publishSize("", 0, 0), ERR_BAD_ARGUMENT);
  assert.is(writePublish(new Uint8Array(64), 0, "", new Uint8Array(0), 0, false, false, 0), ERR_BAD_ARGUMENT);
});
publish("topic char > 255 -> ERR_BAD_ARGUMENT", () => {
  assert.is(writePublish(new Uint8Array(64), 0, "a\u0101", new Uint8Array(0), 0, false, false, 0), ERR_BAD_ARGUMENT);
});
publish("QoS 1 with packet id 0 or 65536 -> ERR_BAD_ARGUMENT", () => {
  assert.is(writePublish(new Uint8Array(64), 0, "t", new Uint8Array(0), 1, false, false, 0), ERR_BAD_ARGUMENT);
  assert.is(writePublish(new Uint8Array(64), 0, "t", new Uint8Array(0), 1, false, false, 65536), ERR_BAD_ARGUMENT);
});
publish("DUP on QoS 0 -> ERR_BAD_ARGUMENT (MQTT-3.3.1-2)", () => {
  assert.is(writePublish(new Uint8Array(64), 0, "t", new Uint8Array(0), 0, true, false, 0), ERR_BAD_ARGUMENT);
});
publish("QoS 0 ignores the packet id", () => {
  assert.is(hex(encodeWith(publishSize("t", 0, 0), (b, o) => writePublish(b, o, "t", new Uint8Array(0), 0, false, false, 0)) as Uint8Array), "3003000174");
});
publish("remaining length boundaries -> 1, 2, 3 and 4 length bytes", () => {
  // topic "t" is 3 bytes, so payload n gives remaining length n + 3
  const cases: [number, string][] = [[127, "7f"], [128, "8001"], [16383, "ff7f"], [16384, "808001"], [2097151, "ffff7f"], [2097152, "80808001"]];
  for (const [rem, digits] of cases) {
    const payload = new Uint8Array(rem - 3);
    const size = publishSize("t", payload.length, 0);
    assert.is(size, 1 + digits.length / 2 + rem);
    const out = encodeWith(size, (b, o) => writePublish(b, o, "t", payload, 0, false, false, 0)) as Uint8Array;
    assert.is(hex(out.subarray(0, 1 + digits.length / 2)), "30" + digits, String(rem));
  }
});
publish("payload past 268435455 bytes of remaining length -> ERR_TOO_LARGE", () => {
  assert.is(publishSize("t", 268435453, 0), ERR_TOO_LARGE);
  assert.is(publishSize("t", 268435452, 0), 268435455 + 5);
  assert.is(writePublishHead(new Uint8Array(64), 0, "t", 268435453, 0, false, false, 0), ERR_TOO_LARGE);
});
publish("head only -> header and topic in the buffer, payload left to the caller", () => {
  const b = new Uint8Array(16).fill(SENTINEL);
  const end = writePublishHead(b, 0, "a/b", 1000, 1, false, false, 5);
  assert.is(end, 3 + 5 + 2);
  assert.is(hex(b.subarray(0, end)), "32ef07" + "0003612f62" + "0005");
  assert.is(b[end], SENTINEL);
});
publish("head one byte short -> ERR_NO_SPACE", () => {
  assert.is(writePublishHead(new Uint8Array(9), 0, "a/b", 1000, 1, false, false, 5), ERR_NO_SPACE);
});
publish.run();

const lists = suite("writeSubscribe / writeUnsubscribe");
lists("no filters -> ERR_BAD_ARGUMENT (MQTT-3.8.3-3, 3.10.3-2)", () => {
  assert.is(subscribeSize([], []), ERR_BAD_ARGUMENT);
  assert.is(unsubscribeSize([]), ERR_BAD_ARGUMENT);
  assert.is(writeSubscribe(new Uint8Array(64), 0, 1, [], []), ERR_BAD_ARGUMENT);
  assert.is(writeUnsubscribe(new Uint8Array(64), 0, 1, []), ERR_BAD_ARGUMENT);
});
lists("requested QoS 3 or missing -> ERR_BAD_ARGUMENT", () => {
  assert.is(subscribeSize(["a"], [3]), ERR_BAD_ARGUMENT);
  assert.is(subscribeSize(["a", "b"], [1]), ERR_BAD_ARGUMENT);
});
lists("empty filter -> ERR_BAD_ARGUMENT", () => {
  assert.is(subscribeSize(["a", ""], [0, 0]), ERR_BAD_ARGUMENT);
  assert.is(unsubscribeSize([""]), ERR_BAD_ARGUMENT);
});
lists("packet id 0 -> ERR_BAD_ARGUMENT", () => {
  assert.is(writeSubscribe(new Uint8Array(64), 0, 0, ["a"], [0]), ERR_BAD_ARGUMENT);
  assert.is(writeUnsubscribe(new Uint8Array(64), 0, 0, ["a"]), ERR_BAD_ARGUMENT);
});
lists("QoS 2 request -> allowed (the hub grants 1)", () => {
  assert.is(hex(encodeWith(subscribeSize(["a"], [2]), (b, o) => writeSubscribe(b, o, 1, ["a"], [2])) as Uint8Array), "820600010001" + "6102");
});
lists.run();

const small = suite("writePuback / writePingreq / writeDisconnect");
small("PUBACK id 0 -> ERR_BAD_ARGUMENT", () => {
  assert.is(writePuback(new Uint8Array(4), 0, 0), ERR_BAD_ARGUMENT);
});
small("PUBACK id 65535 -> 40 02 ff ff", () => {
  assert.is(hex(encodeWith(4, (b, o) => writePuback(b, o, 65535)) as Uint8Array), "4002ffff");
});
small("too small buffers -> ERR_NO_SPACE", () => {
  assert.is(writePuback(new Uint8Array(3), 0, 1), ERR_NO_SPACE);
  assert.is(writePingreq(new Uint8Array(1), 0), ERR_NO_SPACE);
  assert.is(writeDisconnect(new Uint8Array(2), 1), ERR_NO_SPACE);
});
small.run();
