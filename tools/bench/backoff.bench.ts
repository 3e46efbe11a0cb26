// Cost of the retry policy per call (firmware/policy): ns per call of azRetryDelay, the
// default policy's backoffNext, classify and the fleet draws, and the allocation check
// (bytes allocated per call on Node, from new-space growth with no scavenge in between).
// measureAllocation is shared with test/policy/*.test.ts.
import v8 from "node:v8";
import vm from "node:vm";
import { PerformanceObserver } from "node:perf_hooks";
import type { BenchRow } from "./main";
import { azRetryDelay, backoffNext, backoffProfile, createBackoff, PROFILE_NORMAL, RETRY_FOREVER } from "../../firmware/policy/backoff";
import { classify, createVerdict, KIND_DPS_RESPONSE, KIND_HUB_CONNACK, KIND_HUB_SOCKET, KIND_TWIN_RESPONSE } from "../../firmware/policy/classify";
import { fallbackDelay, planFleet, staggerDelay } from "../../firmware/policy/fleet";

export interface AllocationResult {
  /** Garbage collections (any kind) that ran during the measured calls. */
  gcs: number;
  /** New-space bytes allocated during the calls (meaningful when gcs is 0). */
  newSpaceBytes: number;
  /** Heap bytes still used after the calls and a full collection, minus before. */
  retainedBytes: number;
}

let gcFunction: (() => void) | undefined;
function fullGc(): void {
  if (!gcFunction) {
    v8.setFlagsFromString("--expose-gc");
    gcFunction = vm.runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

function newSpaceUsed(): number {
  const spaces = v8.getHeapSpaceStatistics();
  for (let i = 0; i < spaces.length; i++) if (spaces[i].space_name === "new_space") return spaces[i].space_used_size;
  return 0;
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Calls fn(i) `calls` times after a warm-up (so the loop and fn are optimised) and reports
 * what happened to the heap. No allocation per call means: no GC during the loop and
 * new-space growth of a few KB (the statistics calls themselves), whatever `calls` is; an
 * allocation of 16 bytes per call fills a semi-space many times over in 1e6 calls.
 * fn must return a small integer (it is summed with |0 so the loop itself allocates nothing).
 */
export async function measureAllocation(fn: (i: number) => number, calls: number): Promise<AllocationResult> {
  let sink = 0;
  for (let i = 0; i < 200000; i++) sink = (sink + fn(i)) | 0;
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ["gc"] });
  fullGc();
  await tick();
  const before = gcs;
  const heap0 = process.memoryUsage().heapUsed;
  const space0 = newSpaceUsed();
  for (let i = 0; i < calls; i++) sink = (sink + fn(i)) | 0;
  const space1 = newSpaceUsed();
  await tick();
  const during = gcs - before;
  fullGc();
  const heap1 = process.memoryUsage().heapUsed;
  await tick();
  observer.disconnect();
  if (sink === 0.5) console.log("unreachable");
  return { gcs: during, newSpaceBytes: space1 - space0, retainedBytes: heap1 - heap0 };
}

/** Random 32-bit values, precomputed so the bench times the policy, not a generator. */
function randomTable(): Int32Array {
  const table = new Int32Array(4096);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < table.length; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    table[i] = x;
  }
  return table;
}

function nsPerCall(fn: (i: number) => number, calls: number): number {
  let sink = 0;
  for (let i = 0; i < 200000; i++) sink = (sink + fn(i)) | 0;
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink = (sink + fn(i)) | 0;
    const ns = Number(process.hrtime.bigint() - t0) / calls;
    if (ns < best) best = ns;
  }
  if (sink === 0.5) console.log("unreachable");
  return Math.round(best * 10) / 10;
}

export default async function (): Promise<BenchRow[]> {
  const rand = randomTable();
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 100000, RETRY_FOREVER);
  const verdict = createVerdict();
  const kinds = [KIND_HUB_SOCKET, KIND_HUB_CONNACK, KIND_DPS_RESPONSE, KIND_TWIN_RESPONSE];
  const codes = [-101, 5, 429, 503];
  const plan = planFleet({ devices: 10000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 });
  const fns: Array<[string, (i: number) => number]> = [
    ["azRetryDelay", (i) => azRetryDelay(i & 255, i & 31, 1000, 100000, rand[i & 4095] & 4095)],
    ["backoffNext", (i) => backoffNext(b, rand[i & 4095])],
    ["classify", (i) => classify(kinds[i & 3], codes[i & 3], i & 7, verdict)],
    ["staggerDelay", (i) => staggerDelay(plan, rand[i & 4095])],
    ["fallbackDelay", (i) => fallbackDelay(plan, i & 3, rand[i & 4095])],
  ];
  const rows: BenchRow[] = [];
  const calls = 1000000;
  for (const [name, fn] of fns) rows.push({ name: `${name}.ns`, value: nsPerCall(fn, calls), unit: "ns/call" });
  for (const [name, fn] of fns) {
    const a = await measureAllocation(fn, calls);
    rows.push({
      name: `${name}.alloc`,
      value: Math.round((a.newSpaceBytes / calls) * 1000) / 1000,
      unit: "B/call",
      target: "<= 0.1",
      note: `new space +${a.newSpaceBytes} B over ${calls} calls (valid when gcs is 0)`,
    });
    rows.push({ name: `${name}.gcs`, value: a.gcs, unit: "GCs", target: "<= 0", note: `during ${calls} calls; retained after full GC ${a.retainedBytes} B` });
  }
  return rows;
}
