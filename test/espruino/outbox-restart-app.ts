// The flash outbox across real process kills (tools/espruino/outbox-restart.ts runs this
// bundle again and again on one Storage file and SIGKILLs it at chosen moments). Each start:
// load what the last run left, print it ("QUEUED <mid>" in send order, then "LOADED n d"
// with the damaged count), then either accept numbered messages one per tick, printing
// "ACCEPTED <mid>" once add() returned (the harness kills the process somewhere in there),
// or, when the Storage record "obxdrain" exists, send and acknowledge everything ("DRAINED").
import { createFlashOutbox } from "../../firmware/outbox-flash";
import type { OutboxMessage } from "../../firmware/outbox";
import { createEspruinoStore } from "../../hal/espruino";

const storage = require("Storage");
const store = createEspruinoStore();
const outbox = createFlashOutbox({
  store: store,
  crc32: function (data: Uint8Array | string): number {
    return E.CRC32(data) >>> 0;
  },
  maxMessages: 1000,
  maxBytes: 192 * 1024,
  maxFlashBytes: 96 * 1024,
});
const boots = (parseInt(storage.read("obxboots") || "0", 10) || 0) + 1;
storage.write("obxboots", String(boots));
const found = outbox.recovered;
let packetId = 1;
for (let m = outbox.nextUnsent(); m; m = outbox.nextUnsent()) {
  console.log("QUEUED " + m.messageId);
  outbox.markSent(m, packetId++);
}
outbox.forEachInFlight(function () {});
console.log("LOADED " + found + " " + outbox.damaged);

const payload = new Uint8Array(200);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;

if (storage.read("obxdrain") !== undefined) {
  let acked = 0;
  for (let m = outbox.nextUnsent(); m; m = outbox.nextUnsent()) {
    const message: OutboxMessage = m;
    outbox.markSent(message, 1);
    if (outbox.acknowledge(1) > 0) acked++;
  }
  console.log("DRAINED " + acked + " " + outbox.size + " " + store.list("obx.").length);
} else {
  let n = 0;
  const next = function (): void {
    n++;
    const id = "b" + boots + "-" + n;
    const seq = outbox.add("%24.mid=" + id, payload, id);
    if (seq > 0) console.log("ACCEPTED " + id);
    else console.log("REFUSED " + id + " " + seq);
    if (n < 400) setTimeout(next, 1);
    else console.log("IDLE");
  };
  setTimeout(next, 1);
}
