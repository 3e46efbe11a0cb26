// The outbox: nothing leaves before its PUBACK, bounds by count and bytes, oldest dropped.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRamOutbox, OutboxMessage, HUB_MAX_MESSAGE_BYTES } from "../firmware/outbox";
import { ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL } from "../firmware/status";

const bytes = (n: number) => new Uint8Array(n);

const outbox = suite("outbox");

outbox("messages leave only when acknowledged, in any ack order", () => {
  const o = createRamOutbox({ maxMessages: 10, maxBytes: 10000 });
  assert.is(o.upcomingSeq, 1);
  const a = o.add("t/a", bytes(3), "m1");
  const b = o.add("t/b", bytes(3), "m2");
  assert.equal([a, b], [1, 2]);
  const first = o.nextUnsent() as OutboxMessage;
  o.markSent(first, 7);
  const second = o.nextUnsent() as OutboxMessage;
  assert.is(second.messageId, "m2");
  o.markSent(second, 8);
  assert.is(o.nextUnsent(), undefined);
  assert.is(o.inFlight, 2);
  assert.is(o.acknowledge(8), b);
  assert.is(o.acknowledge(8), 0, "a duplicate PUBACK is ignored");
  assert.is(o.size, 1);
  assert.is(o.acknowledge(7), a);
  assert.is(o.size, 0);
  assert.is(o.sizeBytes, 0);
  assert.is(o.acknowledged, 2);
});

outbox("full by count -> the oldest is dropped, counted and reported", () => {
  const o = createRamOutbox({ maxMessages: 3, maxBytes: 10000 });
  const dropped: string[] = [];
  for (let i = 1; i <= 5; i++) o.add("t", bytes(1), `m${i}`, (m) => dropped.push(m.messageId));
  assert.equal(dropped, ["m1", "m2"]);
  assert.is(o.dropped, 2);
  assert.is(o.size, 3);
  assert.is(o.nextUnsent()?.messageId, "m3");
});

outbox("full by bytes -> as many oldest as needed are dropped", () => {
  const o = createRamOutbox({ maxMessages: 100, maxBytes: 100 });
  o.add("t", bytes(39), "a");
  o.add("t", bytes(39), "b");
  o.add("t", bytes(59), "c"); // 40 + 40 + 60 > 100: "a" goes
  assert.is(o.dropped, 1);
  o.add("t", bytes(79), "d"); // 40 + 60 + 80 > 100: "b" and "c" go
  assert.is(o.dropped, 3);
  assert.ok(o.sizeBytes <= 100);
});

outbox("above the hub's limit or the outbox bound -> ERR_TOO_LARGE, nothing dropped", () => {
  const o = createRamOutbox({ maxMessages: 10, maxBytes: 1024 * 1024 });
  o.add("t", bytes(1), "keep");
  assert.is(o.add("t", bytes(HUB_MAX_MESSAGE_BYTES), "big"), ERR_TOO_LARGE);
  const small = createRamOutbox({ maxMessages: 10, maxBytes: 50 });
  assert.is(small.add("t", bytes(60), "big"), ERR_TOO_LARGE);
  assert.is(o.add("t", bytes(1), ""), ERR_BAD_ARGUMENT, "every message needs an id");
  assert.is(o.size, 1);
  assert.is(o.dropped, 0);
});

outbox("full with refuseNew -> the new message is refused and counted, the queue kept", () => {
  const o = createRamOutbox({ maxMessages: 2, maxBytes: 10000, refuseNew: true });
  const dropped: string[] = [];
  o.add("t", bytes(1), "m1");
  o.add("t", bytes(1), "m2");
  assert.is(o.add("t", bytes(1), "m3", (m) => dropped.push(m.messageId)), ERR_FULL);
  assert.equal(dropped, []);
  assert.is(o.refused, 1);
  assert.is(o.dropped, 0);
  assert.is(o.nextUnsent()?.messageId, "m1");
  assert.is(o.recovered, 0, "nothing survives a reboot in RAM");
});

outbox("a move to another hub -> in-flight ids released, every message goes out again", () => {
  const o = createRamOutbox({ maxMessages: 10, maxBytes: 1000 });
  o.add("t", bytes(1), "a");
  o.add("t", bytes(1), "b");
  o.markSent(o.nextUnsent() as OutboxMessage, 5);
  const released: number[] = [];
  o.forEachInFlight((id) => released.push(id));
  assert.equal(released, [5]);
  assert.is(o.nextUnsent()?.messageId, "a");
  assert.is(o.inFlight, 0);
});

outbox.run();
