// The flash outbox against a store that behaves like flash (test/helpers/flash-store.ts):
// order, acks trimming whole segments, the three bounds with both policies, a torn last write,
// a corrupted record in the middle, and reboots (a new instance on the same store) that resume
// with the original seq and $.mid.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { crc32 } from "node:zlib";
import { createFlashOutbox, FlashOutbox, FlashOutboxOptions, RECORD_OVERHEAD } from "../firmware/outbox-flash";
import type { OutboxMessage } from "../firmware/outbox";
import { ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL, ERR_NO_SPACE } from "../firmware/status";
import { OUTBOX_SEGMENT_PREFIX } from "../firmware/storage-names";
import { createFlashStore, FlashStore } from "./helpers/flash-store";
import { createPrng } from "./helpers/prng";

const crc = (data: Uint8Array | string) => crc32(typeof data === "string" ? Buffer.from(data, "latin1") : data) >>> 0;
const text = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

function open(store: FlashStore, over: Partial<FlashOutboxOptions> = {}): FlashOutbox {
  return createFlashOutbox({ store, crc32: crc, maxMessages: 1000, maxBytes: 1 << 20, maxFlashBytes: 1 << 20, segmentBytes: 256, ...over });
}

/** Every queued message in send order (handed out, then all released again). */
function queued(o: FlashOutbox): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  let id = 60000;
  for (let m = o.nextUnsent(); m; m = o.nextUnsent()) {
    out.push(m);
    o.markSent(m, id++);
  }
  o.forEachInFlight(() => undefined);
  return out;
}

const ids = (o: FlashOutbox) => queued(o).map((m) => m.messageId);
const segments = (store: FlashStore) => store.list(OUTBOX_SEGMENT_PREFIX).length;

const basics = suite("flash outbox");

basics("messages come back in order, as stored; acks in any order; nothing left after the last", () => {
  const store = createFlashStore(createPrng(1));
  const o = open(store);
  for (let i = 1; i <= 30; i++) assert.is(o.add(`%24.mid=m${i}&n=${i}`, text(`payload ${i} \xff\x00`), `m${i}`), i);
  assert.is(o.size, 30);
  const first = o.nextUnsent() as OutboxMessage;
  assert.equal([first.seq, first.messageId, first.bag, Buffer.from(first.payload).toString("latin1"), first.packetId], [1, "m1", "%24.mid=m1&n=1", "payload 1 \xff\x00", 0]);
  assert.is(o.nextUnsent()?.seq, 1, "nothing moves until markSent");
  o.markSent(first, 11);
  const second = o.nextUnsent() as OutboxMessage;
  o.markSent(second, 12);
  assert.is(o.inFlight, 2);
  assert.is(o.acknowledge(12), 2);
  assert.is(o.acknowledge(12), 0, "a duplicate PUBACK is ignored");
  assert.is(o.acknowledge(11), 1);
  let id = 100;
  const sent: number[] = [];
  for (let m = o.nextUnsent(); m; m = o.nextUnsent()) {
    sent.push(m.seq);
    o.markSent(m, id++);
  }
  assert.equal(sent, Array.from({ length: 28 }, (_, i) => i + 3));
  for (let p = id - 1; p >= 100; p--) o.acknowledge(p); // newest first: the head moves once at the end
  assert.equal([o.size, o.sizeBytes, o.acknowledged, o.inFlight], [0, 0, 30, 0]);
  assert.is(open(store).upcomingSeq, 31, "the tail segment keeps the last seq across a reboot, drained or not");
  assert.is(segments(store), 1, "every full segment erased; the tail stays for appends");
  assert.ok(o.flashBytes <= 256);
});

basics("acks trim whole segments from the head as they empty", () => {
  const store = createFlashStore(createPrng(2));
  const o = open(store);
  for (let i = 1; i <= 40; i++) o.add("b", text("x".repeat(40)), `m${i}`); // 58-byte records: 4 a segment
  assert.is(segments(store), 10);
  let id = 1;
  for (let i = 0; i < 8; i++) o.markSent(o.nextUnsent() as OutboxMessage, id++);
  for (let p = 1; p <= 8; p++) o.acknowledge(p);
  assert.is(segments(store), 8, "two segments fully acknowledged are gone");
  assert.is(o.flashBytes, 8 * 256);
  assert.is(queued(o)[0].messageId, "m9");
});

basics("an ack's only write is the state byte: one programmed byte, no new record", () => {
  const store = createFlashStore(createPrng(3));
  const o = open(store);
  o.add("b", text("hello"), "m1");
  o.add("b", text("hello"), "m2");
  const before = { ...store.counters };
  o.markSent(o.nextUnsent() as OutboxMessage, 1);
  o.acknowledge(1);
  assert.equal([store.counters.programmed - before.programmed, store.counters.allocated - before.allocated], [1, 0]);
});

basics("bad arguments and sizes are refused without touching flash", () => {
  const store = createFlashStore(createPrng(4));
  const o = open(store, { maxBytes: 1000, maxFlashBytes: 4096 });
  assert.is(o.add("b", text("x"), ""), ERR_BAD_ARGUMENT);
  assert.is(o.add("b", text("x"), "i".repeat(256)), ERR_BAD_ARGUMENT);
  assert.is(o.add("b", new Uint8Array(1001), "m"), ERR_TOO_LARGE);
  assert.is(store.counters.ops, 0);
});

basics("a message larger than a segment gets a segment of its own size", () => {
  const store = createFlashStore(createPrng(5));
  const o = open(store);
  o.add("b", text("small"), "m1");
  assert.is(o.add("b", new Uint8Array(1000).fill(0xff), "big"), 2);
  o.add("b", text("small"), "m3");
  assert.equal(ids(o), ["m1", "big", "m3"]);
  assert.is(queued(o)[1].payload.length, 1000);
  assert.is(segments(store), 3);
});

basics.run();

const bounds = suite("flash outbox: bounds and policies");

bounds("full by count: the oldest dropped (reported with its packet id if in flight) or the new refused", () => {
  const store = createFlashStore(createPrng(6));
  const o = open(store, { maxMessages: 3 });
  const dropped: Array<[string, number]> = [];
  for (let i = 1; i <= 3; i++) o.add("b", text("x"), `m${i}`);
  o.markSent(o.nextUnsent() as OutboxMessage, 41);
  o.add("b", text("x"), "m4", (m) => dropped.push([m.messageId, m.packetId]));
  o.add("b", text("x"), "m5", (m) => dropped.push([m.messageId, m.packetId]));
  assert.equal(dropped, [["m1", 41], ["m2", 0]]);
  assert.equal([o.dropped, o.size, o.inFlight], [2, 3, 0]);
  assert.is(o.acknowledge(41), 0, "a dropped message's late PUBACK is ignored");
  assert.equal(ids(o), ["m3", "m4", "m5"]);
  assert.equal(ids(open(store, { maxMessages: 3 })), ["m3", "m4", "m5"], "the drops are on flash");

  const r = open(createFlashStore(createPrng(7)), { maxMessages: 3, refuseNew: true });
  for (let i = 1; i <= 3; i++) r.add("b", text("x"), `m${i}`);
  assert.is(r.add("b", text("x"), "m4"), ERR_FULL);
  assert.equal([r.refused, r.dropped], [1, 0]);
  assert.equal(ids(r), ["m1", "m2", "m3"]);
});

bounds("full by bytes: as many oldest as needed", () => {
  const o = open(createFlashStore(createPrng(8)), { maxBytes: 100 });
  o.add("t", new Uint8Array(39), "a");
  o.add("t", new Uint8Array(39), "b");
  o.add("t", new Uint8Array(59), "c");
  assert.is(o.dropped, 1);
  o.add("t", new Uint8Array(79), "d");
  assert.is(o.dropped, 3);
  assert.ok(o.sizeBytes <= 100);
  assert.equal(ids(o), ["d"]);
});

bounds("full flash: the oldest segment goes (its messages counted as dropped), or the new message is refused", () => {
  const store = createFlashStore(createPrng(9));
  const o = open(store, { maxFlashBytes: 1024 }); // four 256-byte segments of four 58-byte records
  const dropped: string[] = [];
  for (let i = 1; i <= 16; i++) assert.ok(o.add("b", text("x".repeat(40)), `m${i}`) > 0);
  assert.is(segments(store), 4);
  o.add("b", text("x".repeat(40)), "m17", (m) => dropped.push(m.messageId));
  assert.equal(dropped, ["m1", "m2", "m3", "m4"]);
  assert.equal([o.dropped, o.size, segments(store)], [4, 13, 4]);
  assert.ok(o.flashBytes <= 1024);
  assert.is(ids(o)[0], "m5");

  const refusing = createFlashStore(createPrng(10));
  const r = open(refusing, { maxFlashBytes: 1024, refuseNew: true });
  for (let i = 1; i <= 16; i++) r.add("b", text("x".repeat(40)), `m${i}`);
  assert.is(r.add("b", text("x".repeat(40)), "m17"), ERR_FULL);
  assert.equal([r.refused, r.dropped, r.size], [1, 0, 16]);
  // Once the hub acknowledged the oldest segment there is room again.
  for (let p = 1; p <= 4; p++) r.markSent(r.nextUnsent() as OutboxMessage, p);
  for (let p = 1; p <= 4; p++) r.acknowledge(p);
  assert.is(r.add("b", text("x".repeat(40)), "m17"), 17);
});

bounds("a store that cannot write -> ERR_NO_SPACE, nothing counted", () => {
  const store = createFlashStore(createPrng(11));
  const o = open(store);
  store.powerOff();
  assert.is(o.add("b", text("x"), "m1"), ERR_NO_SPACE);
  assert.is(o.size, 0);
});

bounds.run();

const reboot = suite("flash outbox: reboots, torn and corrupt records");

reboot("a reboot resumes the queue with the original seq and $.mid; new messages follow", () => {
  const store = createFlashStore(createPrng(12));
  const before = open(store);
  for (let i = 1; i <= 10; i++) before.add(`%24.mid=boot1-${i}`, text(`n=${i}`), `boot1-${i}`);
  let id = 1;
  for (let i = 0; i < 4; i++) before.markSent(before.nextUnsent() as OutboxMessage, id++);
  before.acknowledge(1);
  before.acknowledge(3); // out of order: 2 and 4 were in flight, unacknowledged, at the cut
  const after = open(store);
  assert.is(after.size, 8);
  const q = queued(after);
  assert.equal(q.map((m) => m.seq), [2, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(q.map((m) => m.bag), [2, 4, 5, 6, 7, 8, 9, 10].map((n) => `%24.mid=boot1-${n}`));
  assert.is(after.upcomingSeq, 11);
  assert.is(after.add("%24.mid=boot2-1", text("new"), "boot2-1"), 11, "seq continues after the boot");
  assert.equal(ids(after).slice(-2), ["boot1-10", "boot2-1"]);
});

reboot("a write torn by a power cut: the message was not accepted, is skipped and counted; the log goes on", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const store = createFlashStore(createPrng(seed));
    const o = open(store);
    for (let i = 1; i <= 5; i++) o.add("b", text(`p${i}`.repeat(8)), `m${i}`);
    store.cutAt(1);
    assert.ok(o.add("b", text("torn".repeat(8)), "m6") < 0, "a torn write is not an accepted message");
    store.powerOn();
    const again = open(store);
    assert.equal(ids(again), ["m1", "m2", "m3", "m4", "m5"], store.lastCut);
    assert.ok(again.damaged <= 1);
    assert.ok(again.add("b", text("after"), "m7") > 0);
    assert.equal(ids(open(store)), ["m1", "m2", "m3", "m4", "m5", "m7"], `seed ${seed}: ${store.lastCut}`);
  }
});

reboot("a corrupted record in the middle is skipped and counted; the ones after it stay", () => {
  const store = createFlashStore(createPrng(13));
  const o = open(store, { segmentBytes: 4096 });
  for (let i = 1; i <= 6; i++) o.add("b", text(`payload-${i}`), `m${i}`);
  const name = store.list(OUTBOX_SEGMENT_PREFIX)[0];
  const record = RECORD_OVERHEAD + 2 + 1 + 9;
  store.corrupt(name, 2 * record + 20, 0x00); // a payload byte of m3
  store.corrupt(name, 4 * record + 9, 0x7f); // the payload length of m5
  const again = open(store, { segmentBytes: 4096 });
  assert.equal(ids(again), ["m1", "m2", "m4", "m6"]);
  assert.is(again.damaged, 2);
  assert.is(again.size, 4);
  assert.ok(again.add("b", text("next"), "m7") > 0, "a damaged segment is sealed: the next message starts a new one");
  assert.is(segments(store), 2);
  assert.equal(ids(open(store, { segmentBytes: 4096 })), ["m1", "m2", "m4", "m6", "m7"]);
});

reboot("random power cuts at every kind of operation: what was accepted and not acknowledged survives, in order", () => {
  const prng = createPrng(2026);
  for (let run = 0; run < 30; run++) {
    const store = createFlashStore(prng);
    const opts = { maxMessages: 40, maxFlashBytes: 2048 };
    let o = open(store, opts);
    /** Accepted and not known to be acknowledged or dropped, in seq order. */
    let expected: string[] = [];
    const gone = new Set<string>();
    let n = 0;
    for (let boot = 0; boot < 6; boot++) {
      store.cutAt(1 + prng.int(30));
      let packet = 1;
      const flight = new Map<number, string>();
      while (store.powered) {
        const r = prng.next();
        if (r < 0.5) {
          const mid = `m${++n}`;
          const seq = o.add("b", text("x".repeat(prng.int(60))), mid, (m) => gone.add(m.messageId));
          if (seq > 0) expected.push(mid);
        } else if (r < 0.8) {
          const m = o.nextUnsent();
          if (m) {
            o.markSent(m, packet);
            flight.set(packet++, m.messageId);
          }
        } else if (flight.size) {
          const p = [...flight.keys()][prng.int(flight.size)];
          if (o.acknowledge(p) > 0) gone.add(flight.get(p) as string);
          flight.delete(p);
        }
      }
      store.powerOn();
      o = open(store, opts);
      const got = ids(o);
      // Every accepted message not acknowledged or dropped is there, in order; acknowledged
      // ones may come back (their mark was cut) but nothing else does.
      const must = expected.filter((m) => !gone.has(m));
      assert.equal(got.filter((m) => must.includes(m)), must, `run ${run} boot ${boot}: ${store.lastCut}`);
      assert.ok(got.every((m) => expected.includes(m)), `run ${run}: only accepted messages`);
      const order = got.map((m) => Number(m.slice(1)));
      assert.equal(order, [...order].sort((a, b) => a - b), "in order");
      expected = got;
      gone.clear();
    }
  }
});

reboot.run();
