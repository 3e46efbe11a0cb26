// The flash outbox on the interpreter, over Storage through the real HAL store: JsVars with 0
// and with 500 messages queued (they must stay in flash, not in variables), a restart (a new
// outbox on the same Storage) that finds all 500 in order with their ids, sending and acking
// them all (segments erased), the flash each message took, and a torn record skipped.
import { check, probe, figure, done } from "./probe-kit";
import { createFlashOutbox, type FlashOutbox } from "../../firmware/outbox-flash";
import type { OutboxMessage } from "../../firmware/outbox";
import { OUTBOX_SEGMENT_PREFIX } from "../../firmware/storage-names";
import { createEspruinoStore } from "../../hal/espruino";

console.log("VERSION " + process.version);

const storage = require("Storage");
const store = createEspruinoStore();
const crc32 = function (data: Uint8Array | string): number {
  return E.CRC32(data) >>> 0;
};
const old = store.list(OUTBOX_SEGMENT_PREFIX);
for (let i = 0; i < old.length; i++) store.erase(old[i]);

const COUNT = 500;
const options = { store: store, crc32: crc32, maxMessages: 1000, maxBytes: 200 * 1024, maxFlashBytes: 160 * 1024 };
let payload = "";
while (payload.length < 199) payload += "0123456789abcdef";
payload = payload.substring(0, 199) + "\xff"; // a 0xFF byte: no escaping needed

function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function used(): number {
  return process.memory().usage;
}

function storageUsed(): number {
  const s = storage.getStats();
  return s.fileBytes + s.trashBytes;
}

let outbox: FlashOutbox | undefined = createFlashOutbox(options);
const flashBefore = storageUsed();
let started = 0;
const empty = used();
figure("outbox.jsvars_empty", empty);

started = Date.now();
probe("500 messages of 200 bytes accepted into flash", function () {
  const o = outbox as FlashOutbox;
  for (let i = 1; i <= COUNT; i++) {
    const seq = o.add("%24.mid=boot1-" + i, bytes(payload), "boot1-" + i);
    if (seq !== i) return "message " + i + " gave " + seq;
  }
  return o.size === COUNT || "size " + o.size;
});
figure("outbox.add_ms_per_msg", Math.round((Date.now() - started) / COUNT * 10) / 10);
const full = used();
figure("outbox.jsvars_500", full);
check("JsVars with 500 queued within 50 of empty", full - empty <= 50 && full - empty >= -50, "empty " + empty + ", 500 queued " + full);
const flashAfterAdd = storageUsed();

// A restart: nothing of the old instance survives but the Storage.
outbox = undefined;
const loadStarted = Date.now();
const restarted = createFlashOutbox(options);
const found = restarted.recovered;
figure("outbox.load_ms_500", Date.now() - loadStarted);
check("a restart finds the 500 queued messages", found === COUNT && restarted.damaged === 0, "found " + found + ", damaged " + restarted.damaged);

probe("sent in order with the original ids and bytes, each acknowledged: segments erased", function () {
  let packetId = 1;
  for (let i = 1; i <= COUNT; i++) {
    const m = restarted.nextUnsent() as OutboxMessage;
    if (!m || m.seq !== i || m.messageId !== "boot1-" + i || m.bag !== "%24.mid=boot1-" + i) return "at " + i + ": " + (m ? m.seq + " " + m.messageId : "none");
    if (m.payload.length !== 200 || m.payload[199] !== 0xff || m.payload[0] !== 0x30) return "payload of " + i;
    restarted.markSent(m, packetId);
    if (restarted.acknowledge(packetId) !== i) return "ack of " + i;
    packetId = packetId === 65535 ? 1 : packetId + 1;
  }
  const left = store.list(OUTBOX_SEGMENT_PREFIX).length;
  return (restarted.size === 0 && restarted.nextUnsent() === undefined && left === 1) || "size " + restarted.size + ", segments " + left;
});
// Flash taken per message: new records (with Storage's headers) that become trash once
// erased; acks program bytes in place and take none.
const flashPerMessage = (flashAfterAdd - flashBefore) / COUNT;
figure("outbox.flash_bytes_per_msg", Math.round(flashPerMessage * 10) / 10);
// A record here is 17 + 9..11 (id) + 17..19 (bag) + 200 bytes; a 4 KB page holds 16.
check("flash per message is its record plus its share of a segment (within 10 %)", flashPerMessage < (17 + 11 + 19 + 200) * 1.1, String(flashPerMessage));

probe("a record torn at the tail is skipped and counted; the log goes on in a new segment", function () {
  restarted.add("%24.mid=boot2-1", bytes("kept"), "boot2-1");
  const tail = store.list(OUTBOX_SEGMENT_PREFIX)[0];
  const s = storage.read(tail) as string;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0xff) end--;
  // What a power cut leaves: the first bytes of a record (magic, state, part of its seq).
  storage.write(tail, "\xa5\xff\x02\x00", end, s.length);
  const again = createFlashOutbox(options);
  const n = again.recovered;
  const m = again.nextUnsent();
  const seq = again.add("%24.mid=boot3-1", bytes("after"), "boot3-1");
  const third = createFlashOutbox(options);
  const first = third.nextUnsent() as OutboxMessage;
  third.markSent(first, 1);
  const second = third.nextUnsent() as OutboxMessage;
  return (n === 1 && again.damaged === 1 && m !== undefined && m.messageId === "boot2-1" && seq > 0 &&
    first.messageId === "boot2-1" && second.messageId === "boot3-1") || "n " + n + " damaged " + again.damaged + " seq " + seq;
});

const rest = store.list(OUTBOX_SEGMENT_PREFIX);
for (let i = 0; i < rest.length; i++) store.erase(rest[i]);
check("cleanup", store.list(OUTBOX_SEGMENT_PREFIX).length === 0);
done();
