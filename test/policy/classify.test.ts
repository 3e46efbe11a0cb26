import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  ACTION_CONFIG_ERROR,
  ACTION_GIVE_UP,
  ACTION_NONE,
  ACTION_POLL,
  ACTION_REPROVISION,
  ACTION_RETRY,
  ACTION_THROTTLED,
  ACTION_WAIT,
  AWAIT_CONNACK,
  AWAIT_PINGRESP,
  AWAIT_PUBACK,
  AWAIT_RESPONSE,
  AWAIT_SUBACK,
  classify,
  createVerdict,
  dpsCode,
  DPS_ASSIGNED,
  DPS_ASSIGNING,
  DPS_DISABLED,
  DPS_FAILED,
  DPS_UNASSIGNED,
  FLAG_RENEW_TOKEN,
  FLAG_SUSPECT_CREDENTIALS,
  KIND_CLOCK_NOT_SET,
  KIND_DPS_CONNACK,
  KIND_DPS_RESPONSE,
  KIND_DPS_SOCKET,
  KIND_DPS_TIMEOUT,
  KIND_HUB_CONNACK,
  KIND_HUB_SOCKET,
  KIND_HUB_TIMEOUT,
  KIND_METHOD_RESPONSE,
  KIND_NO_NETWORK,
  KIND_RETRY_EXHAUSTED,
  KIND_TWIN_RESPONSE,
  type Verdict,
} from "../../firmware/policy/classify";
import { MAX_DELAY_MS, PROFILE_NONE, PROFILE_NORMAL, PROFILE_SERVER, PROFILE_SLOW, PROFILE_THROTTLED } from "../../firmware/policy/backoff";
import * as status from "../../firmware/status";
import { createPrng } from "../helpers/prng";
import { measureAllocation } from "../../tools/bench/backoff.bench";

const {
  REASON_NONE,
  REASON_NO_NETWORK,
  REASON_CLOCK_NOT_SET,
  REASON_EXPIRED_SAS_TOKEN,
  REASON_BAD_CREDENTIAL,
  REASON_DEVICE_DISABLED,
  REASON_THROTTLED,
  REASON_COMMUNICATION_ERROR,
  REASON_RETRY_EXPIRED,
  REASON_REPROVISIONING,
} = status;

const SOCKET_CODES = [
  status.SOCKET_CLOSED,
  status.SOCKET_DNS_FAILED,
  status.SOCKET_REFUSED,
  status.SOCKET_RESET,
  status.SOCKET_TLS_FAILED,
  status.SOCKET_TIMEOUT,
  status.SOCKET_ERROR,
];

type Want = [action: number, reason: number, profile: number, waitMs: number, flags: number];
/** [what it stands for, kind, code, retry-after seconds, expected verdict] */
type Row = [string, number, number, number, Want];

const none: Want = [ACTION_NONE, REASON_NONE, PROFILE_NONE, 0, 0];
const hubRetry: Want = [ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_NORMAL, 0, 0];
const dpsRetry: Want = [ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 0, 0];
const badCredential: Want = [ACTION_CONFIG_ERROR, REASON_BAD_CREDENTIAL, PROFILE_SLOW, 0, 0];
const throttled = (waitMs: number): Want => [ACTION_THROTTLED, REASON_THROTTLED, PROFILE_THROTTLED, waitMs, 0];

/** One group per row of DESIGN section 4 that the classifier decides. */
const design: Array<[string, Row[]]> = [
  ["No network -> no attempt, nothing counted, NoNetwork", [["network down", KIND_NO_NETWORK, 0, 0, [ACTION_WAIT, REASON_NO_NETWORK, PROFILE_NONE, 0, 0]]]],
  ["Clock not synced and SAS auth -> wait for the clock, ClockNotSet", [["clock not set", KIND_CLOCK_NOT_SET, 0, 0, [ACTION_WAIT, REASON_CLOCK_NOT_SET, PROFILE_NONE, 0, 0]]]],
  [
    "DPS 202 assigning -> poll after retry-after x 1000, else 3 s, never more than 5 per 10 s",
    [
      ["202 assigning, retry-after 3", KIND_DPS_RESPONSE, dpsCode(202, DPS_ASSIGNING), 3, [ACTION_POLL, REASON_NONE, PROFILE_NONE, 3000, 0]],
      ["202 assigning, no retry-after", KIND_DPS_RESPONSE, dpsCode(202, DPS_ASSIGNING), 0, [ACTION_POLL, REASON_NONE, PROFILE_NONE, 3000, 0]],
      ["202 assigning, retry-after 1 (too fast for 5 per 10 s)", KIND_DPS_RESPONSE, dpsCode(202, DPS_ASSIGNING), 1, [ACTION_POLL, REASON_NONE, PROFILE_NONE, 2000, 0]],
      ["202 unassigned, retry-after 10", KIND_DPS_RESPONSE, dpsCode(202, DPS_UNASSIGNED), 10, [ACTION_POLL, REASON_NONE, PROFILE_NONE, 10000, 0]],
    ],
  ],
  [
    "DPS assigned -> go to the hub",
    [
      ["200 assigned", KIND_DPS_RESPONSE, dpsCode(200, DPS_ASSIGNED), 0, none],
      ["DPS CONNACK accepted", KIND_DPS_CONNACK, 0, 0, none],
    ],
  ],
  [
    "DPS 429 -> wait retry-after, else throttled backoff",
    [
      ["429 retry-after 7", KIND_DPS_RESPONSE, dpsCode(429, DPS_FAILED), 7, throttled(7000)],
      ["429 without retry-after", KIND_DPS_RESPONSE, dpsCode(429, DPS_FAILED), 0, throttled(0)],
    ],
  ],
  [
    "DPS 5xx, network or TLS failure, timeout -> backoff, first wait >= 5 s, then DPS again",
    [
      ["500", KIND_DPS_RESPONSE, 500, 0, dpsRetry],
      ["503", KIND_DPS_RESPONSE, 503, 0, dpsRetry],
      ["504", KIND_DPS_RESPONSE, 504, 0, dpsRetry],
      ["503 retry-after 30", KIND_DPS_RESPONSE, 503, 30, [ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 30000, 0]],
      ["503 retry-after 1 (below the 5 s floor)", KIND_DPS_RESPONSE, 503, 1, [ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 5000, 0]],
      ...SOCKET_CODES.map((code): Row => [`DPS socket ${code}`, KIND_DPS_SOCKET, code, 0, dpsRetry]),
      ["no DPS CONNACK", KIND_DPS_TIMEOUT, AWAIT_CONNACK, 0, dpsRetry],
      ["no DPS SUBACK", KIND_DPS_TIMEOUT, AWAIT_SUBACK, 0, dpsRetry],
      ["no DPS reply", KIND_DPS_TIMEOUT, AWAIT_RESPONSE, 0, dpsRetry],
      ["DPS CONNACK 3 server unavailable", KIND_DPS_CONNACK, 3, 0, dpsRetry],
    ],
  ],
  [
    "DPS 401/403/404, failed, disabled -> BadCredential / DeviceDisabled, slow retry",
    [
      ["401", KIND_DPS_RESPONSE, dpsCode(401, DPS_FAILED), 0, badCredential],
      ["403", KIND_DPS_RESPONSE, dpsCode(403, DPS_FAILED), 0, badCredential],
      ["404", KIND_DPS_RESPONSE, dpsCode(404, DPS_FAILED), 0, badCredential],
      ["200 failed", KIND_DPS_RESPONSE, dpsCode(200, DPS_FAILED), 0, badCredential],
      ["200 disabled", KIND_DPS_RESPONSE, dpsCode(200, DPS_DISABLED), 0, [ACTION_CONFIG_ERROR, REASON_DEVICE_DISABLED, PROFILE_SLOW, 0, 0]],
      ["DPS CONNACK 5 (bad SAS)", KIND_DPS_CONNACK, 5, 0, badCredential],
      ["DPS CONNACK 4", KIND_DPS_CONNACK, 4, 0, badCredential],
    ],
  ],
  ["Hub CONNACK accepted -> Connected", [["CONNACK 0", KIND_HUB_CONNACK, 0, 0, none]]],
  [
    "Hub connect failure (network, TLS, CONNACK 3, no CONNACK), or disconnect -> backoff, same hub",
    [
      ...SOCKET_CODES.map((code): Row => [`hub socket ${code}`, KIND_HUB_SOCKET, code, 0, hubRetry]),
      ["CONNACK 3 server unavailable", KIND_HUB_CONNACK, 3, 0, hubRetry],
      ["hub server not verified", KIND_HUB_SOCKET, status.SOCKET_TLS_UNVERIFIED, 0, [ACTION_RETRY, status.REASON_SERVER_NOT_VERIFIED, PROFILE_SERVER, 0, 0]],
      ["DPS server not verified", KIND_DPS_SOCKET, status.SOCKET_TLS_UNVERIFIED, 0, [ACTION_RETRY, status.REASON_SERVER_NOT_VERIFIED, PROFILE_SERVER, 0, 0]],
      ["no CONNACK within 60 s", KIND_HUB_TIMEOUT, AWAIT_CONNACK, 0, hubRetry],
      ["no PINGRESP (link dead)", KIND_HUB_TIMEOUT, AWAIT_PINGRESP, 0, hubRetry],
      ["no PUBACK", KIND_HUB_TIMEOUT, AWAIT_PUBACK, 0, hubRetry],
      ["no SUBACK", KIND_HUB_TIMEOUT, AWAIT_SUBACK, 0, hubRetry],
    ],
  ],
  [
    "Hub CONNACK 5 -> retry with a new token; flagged so the caller escalates to DPS on the 2nd",
    [["CONNACK 5", KIND_HUB_CONNACK, 5, 0, [ACTION_RETRY, REASON_EXPIRED_SAS_TOKEN, PROFILE_NORMAL, 0, FLAG_RENEW_TOKEN | FLAG_SUSPECT_CREDENTIALS]]],
  ],
  [
    "Hub CONNACK 1, 2, 4 -> configuration error, BadCredential, slow retry",
    [
      ["CONNACK 1", KIND_HUB_CONNACK, 1, 0, badCredential],
      ["CONNACK 2", KIND_HUB_CONNACK, 2, 0, badCredential],
      ["CONNACK 4", KIND_HUB_CONNACK, 4, 0, badCredential],
    ],
  ],
  [
    "Twin/method responses 429 / 5xx -> retry-after / backoff with first wait >= 5 s",
    [
      ["twin 429 retry-after 2", KIND_TWIN_RESPONSE, 429, 2, throttled(2000)],
      ["twin 429", KIND_TWIN_RESPONSE, 429, 0, throttled(0)],
      ["twin 500", KIND_TWIN_RESPONSE, 500, 0, dpsRetry],
      ["twin 503 retry-after 9", KIND_TWIN_RESPONSE, 503, 9, [ACTION_RETRY, REASON_COMMUNICATION_ERROR, PROFILE_SERVER, 9000, 0]],
      ["method 429 retry-after 4", KIND_METHOD_RESPONSE, 429, 4, throttled(4000)],
      ["method 504", KIND_METHOD_RESPONSE, 504, 0, dpsRetry],
    ],
  ],
];

/** Decisions outside the DESIGN table, stated here so they are deliberate. */
const extra: Row[] = [
  ["twin GET 200", KIND_TWIN_RESPONSE, 200, 0, none],
  ["twin PATCH 204", KIND_TWIN_RESPONSE, 204, 0, none],
  ["method 200", KIND_METHOD_RESPONSE, 200, 0, none],
  ["twin 408 request timeout -> retriable like 5xx", KIND_TWIN_RESPONSE, 408, 0, dpsRetry],
  ["twin 401 -> identity gone: reprovision (reference 6.3)", KIND_TWIN_RESPONSE, 401, 0, [ACTION_REPROVISION, REASON_REPROVISIONING, PROFILE_NONE, 0, 0]],
  ["twin 403", KIND_TWIN_RESPONSE, 403, 0, [ACTION_REPROVISION, REASON_REPROVISIONING, PROFILE_NONE, 0, 0]],
  ["method 404", KIND_METHOD_RESPONSE, 404, 0, [ACTION_REPROVISION, REASON_REPROVISIONING, PROFILE_NONE, 0, 0]],
  ["twin 400 bad request -> drop the request", KIND_TWIN_RESPONSE, 400, 0, [ACTION_GIVE_UP, REASON_NONE, PROFILE_NONE, 0, 0]],
  ["twin 412", KIND_TWIN_RESPONSE, 412, 0, [ACTION_GIVE_UP, REASON_NONE, PROFILE_NONE, 0, 0]],
  ["twin 302 (not a twin status)", KIND_TWIN_RESPONSE, 302, 0, [ACTION_GIVE_UP, REASON_NONE, PROFILE_NONE, 0, 0]],
  ["DPS 400 -> configuration", KIND_DPS_RESPONSE, 400, 0, badCredential],
  ["DPS 409", KIND_DPS_RESPONSE, 409, 0, badCredential],
  ["DPS 408 -> retriable", KIND_DPS_RESPONSE, 408, 0, dpsRetry],
  ["DPS 302 (unexpected)", KIND_DPS_RESPONSE, 302, 0, dpsRetry],
  ["DPS 200 with an unknown operation status", KIND_DPS_RESPONSE, 0, 0, dpsRetry],
  ["DPS CONNACK 1", KIND_DPS_CONNACK, 1, 0, badCredential],
  ["DPS CONNACK 2", KIND_DPS_CONNACK, 2, 0, badCredential],
  ["DPS CONNACK 6 (not in MQTT 3.1.1)", KIND_DPS_CONNACK, 6, 0, dpsRetry],
  ["hub CONNACK 6 (protocol violation)", KIND_HUB_CONNACK, 6, 0, hubRetry],
  ["hub CONNACK 255", KIND_HUB_CONNACK, 255, 0, hubRetry],
  ["retries exhausted -> RetryExpired", KIND_RETRY_EXHAUSTED, 0, 0, [ACTION_GIVE_UP, REASON_RETRY_EXPIRED, PROFILE_NONE, 0, 0]],
  ["unknown kind -> careful retry", 99, 0, 0, dpsRetry],
  ["kind 0", 0, 0, 0, dpsRetry],
  ["DPS 429 with a huge retry-after -> capped at 2^31 - 1 ms", KIND_DPS_RESPONSE, 429, 1e9, throttled(MAX_DELAY_MS)],
  ["DPS 429 with a negative retry-after -> as absent", KIND_DPS_RESPONSE, 429, -5, throttled(0)],
  ["DPS 429 with NaN retry-after -> as absent", KIND_DPS_RESPONSE, 429, NaN, throttled(0)],
  ["DPS 429 with retry-after 2.7 -> whole seconds", KIND_DPS_RESPONSE, 429, 2.7, throttled(2000)],
];

const asArray = (v: Verdict): Want => [v.action, v.reason, v.profile, v.waitMs, v.flags];

/** Classifies into a verdict dirtied first, so every field must be written. */
function run(kind: number, code: number, after: number): Want {
  const v = createVerdict();
  v.action = 77;
  v.reason = 77;
  v.profile = 77;
  v.waitMs = 77;
  v.flags = 77;
  const returned = classify(kind, code, after, v);
  assert.is(returned, v.action);
  return asArray(v);
}

for (const [title, rows] of design) {
  const table = suite(`classify: ${title}`);
  for (const [name, kind, code, after, want] of rows) {
    table(`${name} -> action ${want[0]}, reason ${status.reasonName(want[1])}`, () => {
      assert.equal(run(kind, code, after), want);
    });
  }
  table.run();
}

const others = suite("classify: decisions beyond the DESIGN table");
for (const [name, kind, code, after, want] of extra) {
  others(`${name} -> action ${want[0]}`, () => {
    assert.equal(run(kind, code, after), want);
  });
}
others.run();

const usage = suite("classify: how the caller uses CONNACK 5");

usage("suspect verdicts after fresh tokens, twice in a row -> the caller reprovisions", () => {
  // The caller's counter as documented on classify(): count suspect verdicts that followed a
  // freshly signed token with a synced clock; any other verdict clears it; 2 -> DPS.
  const v = createVerdict();
  let suspect = 0;
  const step = (kind: number, code: number, freshToken: boolean): string => {
    classify(kind, code, 0, v);
    if (v.flags & FLAG_SUSPECT_CREDENTIALS) {
      if (freshToken) suspect++;
    } else suspect = 0;
    return suspect >= 2 ? "dps" : v.action === ACTION_RETRY ? "retry" : "other";
  };
  assert.is(step(KIND_HUB_CONNACK, 5, false), "retry"); // old token: renew it (FLAG_RENEW_TOKEN)
  assert.ok(v.flags & FLAG_RENEW_TOKEN);
  assert.is(step(KIND_HUB_CONNACK, 5, true), "retry"); // fresh token refused once
  assert.is(step(KIND_HUB_SOCKET, status.SOCKET_RESET, true), "retry"); // streak broken
  assert.is(step(KIND_HUB_CONNACK, 5, true), "retry");
  assert.is(step(KIND_HUB_CONNACK, 5, true), "dps");
});

usage.run();

const props = suite("classify: properties");

props("100,000 seeded random inputs -> never throws, every field valid and consistent", () => {
  const prng = createPrng(0x5eed);
  const interesting = [0, 1, 2, 3, 4, 5, 6, 9, 13, 200, 202, 204, 302, 400, 401, 403, 404, 408, 409, 412, 429, 500, 502, 503, 504, 599, 600, ...SOCKET_CODES];
  const wild = [NaN, Infinity, -Infinity, -1, 1e12, 0.5, -2147483648, 4294967295];
  const v = createVerdict();
  const w = createVerdict();
  for (let i = 0; i < 100000; i++) {
    const kind = prng.int(4) === 0 ? wild[prng.int(wild.length)] : prng.int(15);
    const pick = prng.int(10);
    const code = pick < 6 ? interesting[prng.int(interesting.length)] : pick < 8 ? prng.int(1000) - 200 : wild[prng.int(wild.length)];
    const after = prng.int(2) === 0 ? 0 : prng.int(2) === 0 ? prng.int(100) : wild[prng.int(wild.length)];
    v.waitMs = NaN;
    const action = classify(kind, code, after, v);
    const ok =
      action === v.action &&
      v.action >= ACTION_NONE &&
      v.action <= ACTION_WAIT &&
      v.reason >= REASON_NONE &&
      (v.reason <= REASON_REPROVISIONING || v.reason === status.REASON_SERVER_NOT_VERIFIED) &&
      v.profile >= PROFILE_NONE &&
      v.profile <= PROFILE_SLOW &&
      v.waitMs >= 0 &&
      v.waitMs <= MAX_DELAY_MS &&
      v.waitMs === Math.floor(v.waitMs) &&
      (v.flags === 0 || v.flags === (FLAG_RENEW_TOKEN | FLAG_SUSPECT_CREDENTIALS)) &&
      // A fixed wait only where it means something, and never below the rules' floors.
      (v.waitMs === 0 || v.action === ACTION_POLL || v.action === ACTION_THROTTLED || v.action === ACTION_RETRY) &&
      (v.action !== ACTION_POLL || v.waitMs >= 2000) &&
      (v.action !== ACTION_RETRY || v.waitMs === 0 || (v.profile === PROFILE_SERVER && v.waitMs >= 5000)) &&
      // Every retry-like action says how to wait; throttling always reports Throttled.
      ((v.action !== ACTION_RETRY && v.action !== ACTION_CONFIG_ERROR) || v.profile !== PROFILE_NONE) &&
      (v.action !== ACTION_THROTTLED || (v.reason === REASON_THROTTLED && v.profile === PROFILE_THROTTLED)) &&
      (v.action !== ACTION_CONFIG_ERROR || v.profile === PROFILE_SLOW);
    if (!ok) assert.unreachable(`classify(${kind}, ${code}, ${after}) -> ${JSON.stringify(asArray(v))}`);
    // Pure: the same input gives the same verdict in another object.
    classify(kind, code, after, w);
    if (w.action !== v.action || w.reason !== v.reason || w.profile !== v.profile || w.waitMs !== v.waitMs || w.flags !== v.flags) {
      assert.unreachable(`not deterministic for (${kind}, ${code}, ${after})`);
    }
  }
});

props("every reason -> a log name; out of range -> Unknown", () => {
  const names = [];
  for (let r = REASON_NONE; r <= REASON_REPROVISIONING + 1; r++) names.push(status.reasonName(r));
  assert.equal(names, [
    "None",
    "NoNetwork",
    "ClockNotSet",
    "ExpiredSasToken",
    "BadCredential",
    "DeviceDisabled",
    "Throttled",
    "CommunicationError",
    "RetryExpired",
    "Reprovisioning",
    "Updating",
  ]);
  assert.is(status.reasonName(status.REASON_SERVER_NOT_VERIFIED), "ServerNotVerified");
  assert.is(status.reasonName(12), "Unknown");
  assert.is(status.reasonName(-1), "Unknown");
  assert.is(status.reasonName(1.5), "Unknown");
});

props("dpsCode -> topic status from 300 up, operation status below", () => {
  assert.is(dpsCode(202, DPS_ASSIGNING), DPS_ASSIGNING);
  assert.is(dpsCode(200, DPS_FAILED), DPS_FAILED);
  assert.is(dpsCode(429, DPS_FAILED), 429);
  assert.is(dpsCode(401, DPS_FAILED), 401);
});

props.run();

const memory = suite("classify: allocation");

memory("1,000,000 calls over all kinds -> no GC, new space +< 64 KB, nothing retained", async () => {
  const v = createVerdict();
  const kinds = [KIND_HUB_SOCKET, KIND_HUB_CONNACK, KIND_DPS_RESPONSE, KIND_TWIN_RESPONSE, KIND_DPS_TIMEOUT, KIND_HUB_TIMEOUT, KIND_DPS_CONNACK, KIND_METHOD_RESPONSE];
  const codes = [status.SOCKET_RESET, 5, 429, 503, AWAIT_RESPONSE, AWAIT_PINGRESP, 3, 404];
  const a = await measureAllocation((i) => classify(kinds[i & 7], codes[(i >> 3) & 7], i & 15, v), 1000000);
  assert.is(a.gcs, 0, JSON.stringify(a));
  assert.ok(a.newSpaceBytes < 65536, JSON.stringify(a));
  assert.ok(a.retainedBytes < 1000000, JSON.stringify(a));
});

memory.run();
