// The retry policy on the interpreter (firmware/policy): the upstream vectors, the overflow
// case, the default policy's context, a few classifier rows, the fleet plan and its draws, and
// process.memory().usage unchanged across 10,000 calls of each function (1,000 on a C3-sized pool).
import { check, probe, figure, done } from "./probe-kit";
import { azRetryDelay, backoffInit, backoffNext, backoffProfile, backoffReset, backoffSpread, createBackoff, PROFILE_NORMAL, PROFILE_THROTTLED, RETRY_FOREVER } from "../../firmware/policy/backoff";
import {
  ACTION_CONFIG_ERROR,
  ACTION_RETRY,
  ACTION_THROTTLED,
  classify,
  createVerdict,
  FLAG_RENEW_TOKEN,
  FLAG_SUSPECT_CREDENTIALS,
  KIND_DPS_RESPONSE,
  KIND_HUB_CONNACK,
  KIND_HUB_SOCKET,
  KIND_TWIN_RESPONSE,
} from "../../firmware/policy/classify";
import { dpsRetrySpread, fallbackDelay, planFleet, renewalDelay, staggerDelay, warmDelay } from "../../firmware/policy/fleet";
import { ERR_RETRY_EXHAUSTED, SOCKET_RESET, reasonName } from "../../firmware/status";

console.log("VERSION " + process.version);

probe("azRetryDelay: the four upstream vectors", () => {
  const got = [azRetryDelay(5, 1, 500, 100000, 1234), azRetryDelay(5000, 1, 500, 100000, 4321), azRetryDelay(10000, 1, 500, 100000, 4321), azRetryDelay(5, 5, 500, 10000, 4321)];
  return got.join(",") === "2229,321,0,9995" || got.join(",");
});

probe("azRetryDelay: reference sequences for jitter 0 and 4999", () => {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i <= 8; i++) {
    a.push(azRetryDelay(0, i, 1000, 100000, 0));
    b.push(azRetryDelay(0, i, 1000, 100000, 4999));
  }
  const want = "1000,2000,4000,8000,16000,32000,64000,100000,100000|5999,6999,8999,12999,20999,36999,68999,100000,100000";
  return a.join(",") + "|" + b.join(",") === want || a.join(",") + "|" + b.join(",");
});

probe("azRetryDelay: attempts 28..31 and 65535 -> max, never 0", () => {
  const attempts = [28, 29, 30, 31, 65535];
  for (let i = 0; i < attempts.length; i++) {
    const d = azRetryDelay(0, attempts[i], 1000, 100000, 0);
    if (d !== 100000) return "attempt " + attempts[i] + " -> " + d;
  }
  return azRetryDelay(0, 40, 1, 2147483647, 0) === 2147483647 || "int32 max";
});

probe("azRetryDelay: every attempt 0..2000 monotone, int32 edges", () => {
  let prev = 0;
  for (let a = 0; a <= 2000; a++) {
    const d = azRetryDelay(0, a, 3, 2147483646, 0);
    if (d < prev || d > 2147483646) return "attempt " + a + ": " + d;
    prev = d;
  }
  return prev === 2147483646 || "ended at " + prev;
});

probe("backoffNext: whole context after each step, then exhausted", () => {
  const b = createBackoff();
  backoffInit(b, 1000, 10000, 3);
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const d = backoffNext(b, 0);
    seen.push(d + ":" + b.attempts + "/" + b.windowMs + "/" + b.baseMs + "/" + b.capMs + "/" + b.maxAttempts);
  }
  const want = "1000:1/4000/1000/10000/3,2000:2/8000/1000/10000/3,4000:3/10000/1000/10000/3," + ERR_RETRY_EXHAUSTED + ":3/10000/1000/10000/3";
  return seen.join(",") === want || seen.join(",");
});

probe("backoffNext: uint32 random above 2^31 (a double here) -> same draw as its int32", () => {
  const a = createBackoff();
  const c = createBackoff();
  backoffProfile(a, PROFILE_THROTTLED, 100000, RETRY_FOREVER);
  backoffProfile(c, PROFILE_THROTTLED, 100000, RETRY_FOREVER);
  const x = backoffNext(a, 4294967295);
  const y = backoffNext(c, -1);
  return (x === y && x >= 10000 && x <= 20000) || x + " vs " + y;
});

probe("backoffNext: at the cap the draws stay spread over [cap/2, cap]", () => {
  const b = createBackoff();
  backoffProfile(b, PROFILE_NORMAL, 100000, RETRY_FOREVER);
  let x = 0x2545f491;
  let lo = 100000;
  let hi = 0;
  for (let i = 0; i < 500; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const d = backoffNext(b, x);
    if (i >= 6) {
      if (d < 50000 || d > 100000) return "out of window: " + d;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
  }
  return (hi - lo > 45000) || "range " + lo + ".." + hi;
});

probe("classify: CONNACK 5, DPS 429, twin 503, DPS 401, hub reset", () => {
  const v = createVerdict();
  const seen: string[] = [];
  const row = (kind: number, code: number, after: number) => {
    classify(kind, code, after, v);
    seen.push(v.action + "/" + reasonName(v.reason) + "/" + v.profile + "/" + v.waitMs + "/" + v.flags);
  };
  row(KIND_HUB_CONNACK, 5, 0);
  row(KIND_DPS_RESPONSE, 429, 7);
  row(KIND_TWIN_RESPONSE, 503, 0);
  row(KIND_DPS_RESPONSE, 401, 0);
  row(KIND_HUB_SOCKET, SOCKET_RESET, 0);
  const want = [
    ACTION_RETRY + "/ExpiredSasToken/1/0/" + (FLAG_RENEW_TOKEN | FLAG_SUSPECT_CREDENTIALS),
    ACTION_THROTTLED + "/Throttled/3/7000/0",
    ACTION_RETRY + "/CommunicationError/2/0/0",
    ACTION_CONFIG_ERROR + "/BadCredential/4/0/0",
    ACTION_RETRY + "/CommunicationError/1/0/0",
  ];
  return seen.join(",") === want.join(",") || seen.join(",");
});

probe("planFleet: 10,000 devices at DPS 1,000/min, with room for randomness", () => {
  const p = planFleet({ devices: 10000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 });
  const got = [p.staggerMinMs, p.staggerMaxMs, p.capMs, p.fallbackMinMs, p.fallbackSpreadMs, p.spreadMs, p.warmMs, p.renewalSpreadMs].join(",");
  return got === "1000,719035,133334,1000,680847,133334,100000,333334" || got;
});

probe("backoffSpread, warmDelay, renewalDelay, dpsRetrySpread: the values Node computes", () => {
  const b = createBackoff();
  const out: string[] = [];
  const rows = [[222223, 123456789, 987654321], [222223, -5, 77777], [2000, 2147483647, 3], [100000000, 1999999999, 1234567891]];
  for (let i = 0; i < rows.length; i++) {
    backoffProfile(b, PROFILE_NORMAL, 222223, RETRY_FOREVER);
    out.push(backoffSpread(b, rows[i][0], rows[i][1], rows[i][2]) + "/" + b.windowMs);
  }
  const p = planFleet({ devices: 10000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 });
  out.push([warmDelay(p, 123456789), renewalDelay(p, 2880000, 987654321), renewalDelay(p, 480000, -1), dpsRetrySpread(p, 1000, 55555), dpsRetrySpread(p, 3600000, 1999999999)].join(","));
  const got = out.join(",");
  return got === "61789/222223,76228/222223,1003/4000,999/222223,55555,3196051,517278,55555,349423" || got;
});

// Memory: all counters live in one object made up front, so the measurement itself adds
// nothing; the empty loop is the baseline. Each run replays the same random sequence and the
// sum is kept small: an object field holding a small int is stored inside its name block,
// a larger one takes a block of its own, so state that merely ends with a bigger value than
// it started with would show as one block of "growth" without any allocation per call.
const m = { before: 0, after: 0, sink: 0, x: 0x2545f491, i: 0 };
// On a C3-sized pool the probes run from Storage, whose code the Linux build reads from its
// emulated flash about 20 times slower: 1,000 calls there (an allocation per call still shows).
const CALLS = process.memory().total < 8000 && process.env.BOARD !== "LINUX" ? 1000 : 10000;
function usageGrowth(fn: (i: number, r: number) => number): number {
  m.sink = 0;
  m.x = 0x2545f491;
  m.before = process.memory().usage;
  for (m.i = 0; m.i < CALLS; m.i++) {
    m.x ^= m.x << 13;
    m.x ^= m.x >> 17;
    m.x ^= m.x << 5;
    m.sink = (m.sink + fn(m.i, m.x)) & 255;
  }
  m.after = process.memory().usage;
  return m.after - m.before;
}

const ctx = createBackoff();
backoffProfile(ctx, PROFILE_NORMAL, 100000, RETRY_FOREVER);
const verdict = createVerdict();
const plan = planFleet({ devices: 10000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 });
const cases: Array<[string, (i: number, r: number) => number]> = [
  ["empty loop", (i, r) => i & r & 1],
  ["azRetryDelay", (i, r) => azRetryDelay(i & 255, i & 63, 1000, 100000, r & 4095)],
  ["backoffNext", (i, r) => backoffNext(ctx, r)],
  ["classify", (i, r) => classify(3 + (i & 7), r & 1023, i & 15, verdict)],
  ["staggerDelay", (i, r) => staggerDelay(plan, r)],
  ["fallbackDelay", (i, r) => fallbackDelay(plan, i & 7, r)],
  ["backoffSpread", (i, r) => {
    backoffReset(ctx);
    return backoffSpread(ctx, 133334, r, r ^ i);
  }],
  ["warmDelay", (i, r) => warmDelay(plan, r)],
  ["renewalDelay", (i, r) => renewalDelay(plan, 2880000, r)],
  ["dpsRetrySpread", (i, r) => dpsRetrySpread(plan, i * 13, r)],
];
for (let c = 0; c < cases.length; c++) {
  const name = cases[c][0];
  const fn = cases[c][1];
  usageGrowth(fn); // first run: anything created once (e.g. a field turning into a double)
  const growth = usageGrowth(fn);
  figure("usage-growth." + name, growth);
  const t0 = getTime();
  usageGrowth(fn);
  figure("us-per-call." + name, Math.round(((getTime() - t0) * 1e6) / CALLS));
  check(name + " x " + CALLS + " -> process.memory().usage unchanged", growth === 0, "grew by " + growth + " blocks");
}

done();
