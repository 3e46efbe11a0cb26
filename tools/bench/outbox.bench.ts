// The flash outbox: flash taken per message, the Storage partition's projected life at one
// 200-byte message a minute, and (on the interpreter named by ESPRUINO) JsVars with 0 and
// with 500 messages queued, from test/espruino/outbox-flash.probe.ts.
//
// Wear model (justification for storage_life_years):
// - Espruino Storage allocates every new file after the last one. An erased file is trash
//   until compaction, which runs when a new file does not fit: it slides the live files down
//   through a RAM buffer, erasing each 4 KB page once as it writes into it (Espruino's
//   jsfCompact: no fixed scratch page), and the pages it frees are erased (at the latest when
//   written again). So per fill-and-compact cycle a page is erased at most twice, and a cycle
//   takes in F bytes of new files, F = partition - static files - live outbox at its bound.
// - The outbox's only new files are its segments (4 KB pages); acks program a byte in place
//   and take no space. Flash taken per message = allocated segment bytes (with Storage's
//   32-byte header) / messages, measured below with a store that behaves like flash.
// - Life = endurance x F / 2 / (flash bytes per message x messages per year), with
//   endurance 100,000 erase cycles per sector (ESP32 SPI NOR flash datasheets), the 896 KB
//   ESP32 partition, two application slots of the current bundle plus boot stub and config as
//   static files, and the outbox at its default flash bound all the time (worst case: a
//   device always in an outage). Static wear levelling is not assumed: pages holding static
//   files are not cycled, so they are left out of F.
import { existsSync, statSync } from "node:fs";
import { resolve, join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { crc32 } from "node:zlib";
import { skippedRow, type BenchRow } from "./row";
import { createFlashOutbox } from "../../firmware/outbox-flash";
import type { OutboxMessage } from "../../firmware/outbox";
import { DEFAULTS } from "../../firmware/config";
import { createFlashStore } from "../../test/helpers/flash-store";
import { createPrng } from "../../test/helpers/prng";

const PARTITION_BYTES = 896 * 1024;
const ENDURANCE_CYCLES = 100_000;
const ERASES_PER_CYCLE = 2;
const MESSAGES_PER_YEAR = 365.25 * 24 * 60;
const PAYLOAD_BYTES = 200;

/** Flash taken and bytes programmed per message, hub reachable (each message acknowledged
 *  soon after it is sent, a window of 8 in flight), as the device would run. */
function measureFlash(): { allocated: number; programmed: number } {
  const store = createFlashStore(createPrng(1));
  const crc = (d: Uint8Array | string) => crc32(typeof d === "string" ? Buffer.from(d, "latin1") : d) >>> 0;
  const o = createFlashOutbox({ store, crc32: crc, maxMessages: 1000, maxBytes: 192 * 1024, maxFlashBytes: DEFAULTS.outboxMaxFlashBytes });
  const N = 10_000;
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x41);
  const flight: number[] = [];
  let packet = 1;
  for (let i = 1; i <= N; i++) {
    // The device's id: boot id (8 hex digits) "-" count; the bag carries it as $.mid.
    const id = "5f3a9c1e-" + i;
    o.add("%24.mid=" + id, payload, id);
    const m = o.nextUnsent() as OutboxMessage;
    o.markSent(m, packet);
    flight.push(packet++);
    if (flight.length >= 8) o.acknowledge(flight.shift() as number);
  }
  for (const p of flight) o.acknowledge(p);
  return { allocated: store.counters.allocated / N, programmed: store.counters.programmed / N };
}

/** Static files: two application slots of the current bundle, the boot stub, config. */
function staticBytes(): number {
  const bundle = resolve("dist/firmware.js");
  const stub = resolve("dist/boot.js");
  const size = (f: string, fallback: number) => (existsSync(f) ? statSync(f).size : fallback);
  return 2 * (size(bundle, 100 * 1024) + 32) + size(stub, 4096) + 32 + 4096;
}

async function interpreterJsVars(interpreter: string): Promise<Record<string, number>> {
  const { buildProbe, runOnInterpreter } = await import("../espruino/smoke");
  const out = mkdtempSync(join(tmpdir(), "outbox-bench-"));
  try {
    const [bundle] = await buildProbe(resolve("test/espruino/outbox-flash.probe.ts"), out);
    const run = await runOnInterpreter(interpreter, bundle, out);
    const figures: Record<string, number> = {};
    for (const line of run.lines) {
      const m = /^FIGURE (\S+) (\S+)/.exec(line);
      if (m) figures[m[1]] = Number(m[2]);
    }
    if (run.lines.some((l) => l.startsWith("FAIL "))) figures.failed = 1;
    return figures;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export default async function (): Promise<BenchRow[]> {
  const flash = measureFlash();
  const cycling = PARTITION_BYTES - staticBytes() - DEFAULTS.outboxMaxFlashBytes;
  const years = (ENDURANCE_CYCLES * cycling) / ERASES_PER_CYCLE / (flash.allocated * MESSAGES_PER_YEAR);
  const rows: BenchRow[] = [
    { name: "flash_bytes_per_msg", value: Math.round(flash.allocated * 10) / 10, unit: "bytes", note: `${PAYLOAD_BYTES}-byte payload, $.mid bag; segments with Storage headers (programmed: ${flash.programmed.toFixed(1)} incl. the 1-byte ack)` },
    { name: "storage_life_years", value: Math.round(years), unit: "years", target: ">= 10", note: `one message a minute; ${Math.round(cycling / 1024)} KB cycling of 896 KB, 100k cycles, <= 2 erases per compaction cycle` },
  ];
  const interpreter = process.env.ESPRUINO;
  if (!interpreter) {
    const why = "ESPRUINO is not set (the path of an Espruino interpreter to run on)";
    rows.push(skippedRow("jsvars_empty", "jsvars", why));
    rows.push(skippedRow("jsvars_500", "jsvars", why, "<= jsvars_empty + 50"));
    return rows;
  }
  const f = await interpreterJsVars(interpreter);
  const where = `on ${interpreter.replace(/^.*\//, "")}, whole probe process`;
  if (f.failed || f["outbox.jsvars_empty"] === undefined) {
    rows.push({ name: "probe_failed", value: 1, unit: "bool", note: "test/espruino/outbox-flash.probe.ts failed on " + interpreter });
    return rows;
  }
  rows.push({ name: "jsvars_empty", value: f["outbox.jsvars_empty"], unit: "jsvars", note: where });
  rows.push({ name: "jsvars_500", value: f["outbox.jsvars_500"], unit: "jsvars", target: `<= ${f["outbox.jsvars_empty"] + 50}`, note: where + "; 500 x 200-byte messages queued" });
  if (f["outbox.flash_bytes_per_msg"] !== undefined) rows.push({ name: "flash_bytes_per_msg_interpreter", value: f["outbox.flash_bytes_per_msg"], unit: "bytes", note: "Storage getStats() file + trash bytes per message (500 queued)" });
  if (f["outbox.load_ms_500"] !== undefined) rows.push({ name: "load_ms_500", value: Math.round(f["outbox.load_ms_500"]), unit: "ms", note: "boot scan of 500 queued, Linux build (slower on an ESP32)" });
  return rows;
}
