// 100,000 seeded random and mutated inputs through the frame reader, the decoder and a live
// session. A longer run with a fresh seed: node --import tsx tools/mqtt-fuzz.ts
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fuzz, MAX_PACKET } from "./fuzz-kit";
import { OK } from "../../firmware/status";

const COUNT = 100_000;
const SEED = 0x3a7f01;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const run = suite("fuzz: seeded inputs");

run(`${COUNT} random and mutated inputs -> no exception escapes, frames within the bound, memory flat`, () => {
  fuzz(SEED + 1, 5_000); // warm-up: code compiled, pools allocated
  const before = heapAfterGc();
  const stats = fuzz(SEED, COUNT);
  const grown = heapAfterGc() - before;
  assert.is(stats.inputs, COUNT);
  assert.is(stats.exceptions, 0, stats.firstExceptions.join("\n"));
  assert.ok(stats.largestFrame <= MAX_PACKET, `largest frame ${stats.largestFrame}`);
  // the inputs reach every outcome: decoded packets, each error code, session closes
  assert.ok(stats.byStatus[OK] > 1000, JSON.stringify(stats.byStatus));
  assert.ok(Object.keys(stats.byStatus).length >= 3, JSON.stringify(stats.byStatus));
  assert.ok(Object.keys(stats.closes).length >= 3, JSON.stringify(stats.closes));
  assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes`);
  console.log(`  fuzz: ${stats.inputs} inputs, ${stats.bytes} bytes, ${stats.frames} frames, decode ${JSON.stringify(stats.byStatus)}, closes ${JSON.stringify(stats.closes)}, heap +${grown} B`);
});

run("same seed -> same run", () => {
  assert.equal(fuzz(7, 2000), fuzz(7, 2000));
});

run.run();
