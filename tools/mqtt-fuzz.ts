// A long fuzz run of the MQTT inbound path with a fresh seed (the test suite runs a fixed
// seed and count: test/mqtt/fuzz.test.ts). Usage:
//   node --import tsx tools/mqtt-fuzz.ts [count=2000000] [seed=random]
// Prints the seed first, so a failing run can be repeated exactly; exits 1 if any input
// made an exception escape or a frame exceeded the reader's bound.
import { randomInt } from "node:crypto";
import { fuzz, MAX_PACKET } from "../test/mqtt/fuzz-kit";

const count = Number(process.argv[2] || 2_000_000);
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : randomInt(0, 2 ** 32 - 1);
console.log(`mqtt-fuzz: seed ${seed}, ${count} inputs`);

const started = Date.now();
const batch = 100_000;
let done = 0;
let failed = false;
// Batches with derived seeds keep memory flat and show progress; batch i uses seed + i.
for (let i = 0; done < count; i++) {
  const n = Math.min(batch, count - done);
  const stats = fuzz((seed + i) >>> 0, n);
  done += n;
  if (stats.exceptions || stats.largestFrame > MAX_PACKET) {
    failed = true;
    console.log(`batch ${i} (seed ${(seed + i) >>> 0}): ${stats.exceptions} exceptions, largest frame ${stats.largestFrame}`);
    for (const e of stats.firstExceptions) console.log("  " + e);
  }
  const heap = Math.round(process.memoryUsage().heapUsed / 1e6);
  console.log(`${done} inputs, ${Math.round((Date.now() - started) / 1000)} s, heap ${heap} MB, decode ${JSON.stringify(stats.byStatus)}, closes ${JSON.stringify(stats.closes)}`);
}
console.log(failed ? "mqtt-fuzz: FAILED" : `mqtt-fuzz: ${done} inputs, no exception escaped`);
if (failed) process.exitCode = 1;
