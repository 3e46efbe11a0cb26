// The reconnection state machine on its own: scripted events, recorded actions, time as a
// plain number. One suite per group of reconnection-table rows; the same rows run end to end against
// the simulator in test/device/.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  ConnectionPolicy, PolicyActions, defaultPolicyConfig, PolicyConfig,
  STATUS_PROVISIONING, STATUS_CONNECTING, STATUS_CONNECTED, STATUS_DISCONNECTED, STATUS_STOPPED,
  STATE_WAIT_NETWORK, STATE_WAIT_CLOCK, STATE_WAIT_RETRY, STATE_DPS_ACTIVE, STATE_DPS_WAIT_POLL, STATE_HUB_CONNECTING,
  STATE_STOPPED, RETRY_NONE, RETRY_CUSTOM, TARGET_DPS,
} from "../../firmware/policy/connection";
import { planFleet } from "../../firmware/policy/fleet";
import { KIND_HUB_SOCKET, KIND_HUB_CONNACK, KIND_DPS_SOCKET } from "../../firmware/policy/classify";
import { DPS_OP_ASSIGNED, DPS_OP_ASSIGNING, DPS_OP_FAILED, DPS_OP_DISABLED } from "../../firmware/azure/dps";
import {
  SOCKET_REFUSED, REASON_NO_NETWORK, REASON_CLOCK_NOT_SET, REASON_BAD_CREDENTIAL, REASON_DEVICE_DISABLED,
  REASON_EXPIRED_SAS_TOKEN, REASON_REPROVISIONING, REASON_RETRY_EXPIRED, REASON_NONE, REASON_UPDATING,
} from "../../firmware/status";
import { createPrng } from "../helpers/prng";

const HUB = "hub-a.azure-devices.net";

interface Harness {
  policy: ConnectionPolicy;
  calls: string[];
  statuses: Array<[number, number]>;
  now: number;
  /** Advances to the policy's deadline (or by ms) and ticks. */
  fire(ms?: number): number;
}

function harness(tweak?: (c: PolicyConfig) => void, seed = 1): Harness {
  const prng = createPrng(seed);
  const config = defaultPolicyConfig(planFleet());
  if (tweak) tweak(config);
  const calls: string[] = [];
  const statuses: Array<[number, number]> = [];
  const actions: PolicyActions = {
    connectDps: () => calls.push("connectDps"),
    pollDps: (id) => calls.push(`pollDps ${id}`),
    connectHub: (hub, dev) => calls.push(`connectHub ${hub} ${dev}`),
    close: (target, clean) => calls.push(target === TARGET_DPS ? "closeDps" : `closeHub ${clean ? "clean" : "abort"}`),
    saveAssignment: (hub, dev) => calls.push(`save ${hub} ${dev}`),
    forgetAssignment: () => calls.push("forget"),
    status: (s, r) => statuses.push([s, r]),
    note: () => undefined,
  };
  const h: Harness = {
    policy: new ConnectionPolicy(config, actions, () => Math.floor(prng.next() * 4294967296)),
    calls,
    statuses,
    now: 1000,
    fire(ms?: number): number {
      const before = h.now;
      if (ms !== undefined) h.now += ms;
      else {
        const d = h.policy.nextDeadline();
        assert.ok(d >= 0, "a deadline is armed");
        h.now = Math.max(h.now, d);
      }
      h.policy.tick(h.now);
      return h.now - before;
    },
  };
  return h;
}

const last = (h: Harness) => h.calls[h.calls.length - 1];
const lastStatus = (h: Harness) => h.statuses[h.statuses.length - 1];

/** A warm boot: start with the cached hub, then the warm-boot wait (2 s at most for a fleet
 *  nobody sized) runs out and the hub attempt starts. */
function warmStart(h: Harness): void {
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, true);
  assert.is(h.policy.state, STATE_WAIT_RETRY);
  assert.ok(h.fire() <= 2000, "warm-boot wait");
  assert.is(h.policy.state, STATE_HUB_CONNECTING);
}

/** A warm boot with any plan: start, then the warm-boot wait runs out. */
function warmStartWith(h: Harness): void {
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, true);
  h.fire();
  assert.is(h.policy.state, STATE_HUB_CONNECTING);
}

function connectedHarness(tweak?: (c: PolicyConfig) => void): Harness {
  const h = harness(tweak);
  warmStart(h);
  h.policy.hubConnected(h.now);
  return h;
}

const boot = suite("policy: boot");

boot("valid cached hub -> straight to the hub after the warm-boot wait, no DPS", () => {
  const h = harness();
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, true);
  assert.equal(h.calls, []);
  assert.equal(lastStatus(h), [STATUS_CONNECTING, REASON_NONE]);
  assert.ok(h.fire() <= 2000);
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
  assert.is(h.policy.state, STATE_HUB_CONNECTING);
  h.policy.hubConnected(h.now);
  assert.equal(lastStatus(h), [STATUS_CONNECTED, REASON_NONE]);
});

boot("no cache -> a staggered wait within the fleet window, then DPS", () => {
  const h = harness();
  h.policy.start(h.now, undefined, true, true);
  assert.equal(h.calls, []);
  assert.is(h.policy.state, STATE_WAIT_RETRY);
  const waited = h.fire();
  assert.ok(waited >= 1000 && waited <= 100000, `stagger ${waited}`);
  assert.equal(h.calls, ["connectDps"]);
  assert.equal(lastStatus(h), [STATUS_PROVISIONING, REASON_NONE]);
});

boot("no network -> no attempt, NoNetwork; network up -> attempt soon", () => {
  const h = harness();
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, false, true);
  assert.equal(h.calls, []);
  assert.is(h.policy.state, STATE_WAIT_NETWORK);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_NO_NETWORK]);
  h.policy.networkChanged(h.now, true);
  const waited = h.fire();
  assert.ok(waited < 2000);
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

boot("clock not synced with SAS -> no token signed until it is", () => {
  const h = harness();
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, false);
  h.fire();
  assert.is(h.policy.state, STATE_WAIT_CLOCK);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_CLOCK_NOT_SET]);
  h.fire();
  h.fire();
  assert.equal(h.calls, []);
  h.policy.setClockSynced(true);
  h.fire();
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

boot("X.509 (no clock needed) connects with an unsynced clock", () => {
  const h = harness((c) => (c.needsClock = false));
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, false);
  h.fire();
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

boot.run();

const dps = suite("policy: DPS");

function inDps(): Harness {
  const h = harness();
  h.policy.start(h.now, undefined, true, true);
  h.fire();
  h.calls.length = 0;
  return h;
}

dps("202 assigning -> poll after retry-after x 1000; 3 s without it", () => {
  const h = inDps();
  h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 4, "op1", "", "", true);
  assert.is(h.policy.state, STATE_DPS_WAIT_POLL);
  assert.is(h.fire(), 4000);
  assert.equal(h.calls, ["pollDps op1"]);
  h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 0, "", "", "", true);
  assert.is(h.fire(), 3000, "3 s default, operation id kept when the reply has none");
  assert.equal(last(h), "pollDps op1");
});

dps("never more than 5 polls in 10 s, even with retry-after 0/1", () => {
  const h = inDps();
  const pollTimes: number[] = [];
  for (let i = 0; i < 12; i++) {
    h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 1, "op", "", "", true);
    h.fire();
    pollTimes.push(h.now);
  }
  for (let i = 5; i < pollTimes.length; i++) assert.ok(pollTimes[i] - pollTimes[i - 5] >= 10000, `poll ${i}`);
});

dps("assigned -> save, close DPS, connect the hub", () => {
  const h = inDps();
  h.policy.dpsResponse(h.now, 200, DPS_OP_ASSIGNED, 0, "op", HUB, "dev1", true);
  assert.equal(h.calls, [`save ${HUB} dev1`, "closeDps", `connectHub ${HUB} dev1`]);
});

dps("assigned a hub outside the allow-list -> slow retry, no hub connection", () => {
  const h = inDps();
  h.policy.dpsResponse(h.now, 200, DPS_OP_ASSIGNED, 0, "op", "evil.example.com", "dev1", false);
  assert.equal(h.calls, ["closeDps"]);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_BAD_CREDENTIAL]);
  assert.ok(h.fire() >= 3600000 / 2, "hours, not seconds");
});

dps("429 with retry-after -> not before retry-after; without -> throttled profile >= 10 s", () => {
  const h = inDps();
  h.policy.dpsResponse(h.now, 429, DPS_OP_FAILED, 30, "", "", "", true);
  assert.equal(h.calls, ["closeDps"]);
  // retry-after plus up to a fifth more, or the DPS retry spread (up to 100 x the time the
  // device has been without a connection, at most the fleet's 100 s fallback spread).
  const waited = h.fire();
  assert.ok(waited >= 30000 && waited <= 100000, `waited ${waited}`);
  assert.equal(last(h), "connectDps");
  h.policy.dpsResponse(h.now, 429, DPS_OP_FAILED, 0, "", "", "", true);
  assert.ok(h.fire() >= 10000);
});

dps("5xx, network or TLS failure -> first wait >= 5 s, then DPS again", () => {
  for (const fail of [(h: Harness) => h.policy.dpsResponse(h.now, 503, DPS_OP_FAILED, 0, "", "", "", true), (h: Harness) => h.policy.dpsFailed(h.now, KIND_DPS_SOCKET, SOCKET_REFUSED, 0)]) {
    const h = inDps();
    fail(h);
    assert.ok(h.fire() >= 5000);
    assert.equal(last(h), "connectDps");
  }
});

dps("401 / failed -> BadCredential; disabled -> DeviceDisabled; slow retry (hours)", () => {
  const cases: Array<[number, number, number]> = [[401, DPS_OP_FAILED, REASON_BAD_CREDENTIAL], [200, DPS_OP_FAILED, REASON_BAD_CREDENTIAL], [200, DPS_OP_DISABLED, REASON_DEVICE_DISABLED]];
  for (const [status, op, reason] of cases) {
    const h = inDps();
    h.policy.dpsResponse(h.now, status, op, 0, "", "", "", true);
    assert.equal(lastStatus(h), [STATUS_DISCONNECTED, reason]);
    assert.ok(h.fire() >= 1800000, "slow retry");
  }
});

dps("a DPS round that never ends -> timed out, backoff", () => {
  const h = inDps();
  h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 0, "op", "", "", true);
  for (let i = 0; i < 200 && h.policy.state !== STATE_WAIT_RETRY; i++) {
    h.fire();
    if (h.policy.state === STATE_DPS_ACTIVE) h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 0, "op", "", "", true);
  }
  assert.is(h.policy.state, STATE_WAIT_RETRY);
  assert.ok(h.calls.includes("closeDps"));
});

dps.run();

const hold = suite("policy: hold (the driver needs the socket)");

hold("hold while connected -> clean close, Updating, nothing counted; release -> attempt 0 soon", () => {
  const h = connectedHarness();
  h.calls.length = 0;
  h.policy.hold(h.now, true);
  assert.equal(h.calls, ["closeHub clean"]);
  assert.is(h.policy.state, STATE_WAIT_NETWORK);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_UPDATING]);
  assert.is(h.policy.nextDeadline(), -1, "no attempt while held");
  assert.is(h.policy.hubFailures, 0);
  h.policy.hold(h.now + 600000, false);
  h.now += 600000;
  const waited = h.fire();
  assert.ok(waited < 2000, `first attempt after ${waited} ms`);
  assert.equal(last(h), `connectHub ${HUB} dev1`);
});

hold("held during a retry wait -> the wait is kept; no attempt until released", () => {
  const h = connectedHarness();
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  const due = h.policy.nextDeadline();
  h.calls.length = 0;
  h.policy.hold(h.now, true);
  assert.equal(h.calls, []);
  h.now = due + 1;
  h.policy.tick(h.now);
  assert.equal(h.calls, [], "held: the due attempt waits");
  h.policy.hold(h.now, false);
  h.fire();
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

hold("network lost while held, then released -> NoNetwork; back when the network returns", () => {
  const h = connectedHarness();
  h.policy.hold(h.now, true);
  h.policy.networkChanged(h.now, false);
  h.policy.hold(h.now, false);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_NO_NETWORK]);
  assert.is(h.policy.nextDeadline(), -1);
  h.calls.length = 0;
  h.policy.networkChanged(h.now, true);
  h.fire();
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

hold("held at start -> no attempt until released", () => {
  const h = harness();
  h.policy.hold(h.now, true);
  h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, true);
  assert.equal(h.calls, []);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_UPDATING]);
  h.policy.hold(h.now, false);
  h.fire();
  assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
});

hold.run();

const hub = suite("policy: hub");

hub("failures back off and retry the same hub", () => {
  const h = connectedHarness();
  h.calls.length = 0;
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.equal(h.calls, ["closeHub abort"]);
  assert.is(h.policy.state, STATE_WAIT_RETRY);
  h.fire();
  assert.equal(last(h), `connectHub ${HUB} dev1`);
});

hub("10 failures in under 15 minutes -> still the same hub; 10 failures AND 15 minutes -> DPS after a spread", () => {
  const h = harness();
  warmStart(h);
  for (let i = 0; i < 10; i++) {
    h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 3);
    h.fire();
  }
  assert.ok(h.now - 1000 < 15 * 60000, "the first 10 failures take less than 15 min");
  assert.is(h.policy.state, STATE_HUB_CONNECTING, "still on the hub");
  while (h.policy.state === STATE_HUB_CONNECTING) {
    h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 3);
    h.fire();
  }
  assert.ok(h.now - 1000 >= 15 * 60000);
  assert.is(last(h), "connectDps");
});

hub("DPS due after the streak, but the hub answers first -> the DPS round is cancelled", () => {
  const h = harness((c) => {
    c.fleet = { ...c.fleet, fallbackMinMs: 3 * 3600_000, fallbackSpreadMs: 4 * 3600_000 };
  });
  warmStart(h);
  while (h.now - 1000 < 15 * 60000 || h.policy.hubFailures > 0) {
    h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 3);
    h.fire();
    if (h.calls.includes("connectDps")) break;
  }
  assert.is(last(h), `connectHub ${HUB} dev1`, "the hub is still retried while DPS is pending");
  h.policy.hubConnected(h.now);
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  for (let i = 0; i < 5; i++) {
    h.fire();
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  }
  assert.not.ok(h.calls.includes("connectDps"), "no DPS round after the hub came back");
});

hub("CONNACK 5 twice in a row with fresh tokens -> re-register through DPS", () => {
  const h = connectedHarness();
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  h.fire();
  h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 5);
  h.fire();
  assert.is(last(h), `connectHub ${HUB} dev1`, "one CONNACK 5: retry with a new token");
  h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 5);
  assert.ok(h.statuses.some((s) => s[1] === REASON_REPROVISIONING));
  h.fire();
  assert.is(last(h), "connectDps");
});

hub("hub-only: CONNACK 5 twice -> BadCredential, slow retry, no DPS", () => {
  const h = harness((c) => (c.useDps = false));
  warmStart(h);
  h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 5);
  h.fire();
  h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 5);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_BAD_CREDENTIAL]);
  assert.ok(h.fire() >= 1800000);
  assert.not.ok(h.calls.includes("connectDps"));
});

hub("CONNACK 1, 2, 4 -> BadCredential, slow retry", () => {
  for (const code of [1, 2, 4]) {
    const h = connectedHarness();
    h.policy.hubFailed(h.now, KIND_HUB_CONNACK, code);
    assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_BAD_CREDENTIAL]);
    assert.ok(h.fire() >= 1800000);
  }
});

hub("token at 80 % -> clean DISCONNECT and reconnect, not a failure", () => {
  const h = connectedHarness();
  h.calls.length = 0;
  // From 80 % on, within the fleet's renewal spread (1 s for a fleet nobody sized).
  const at = h.fire();
  assert.ok(at >= 2880000 && at <= 2881000, `${at}`);
  assert.equal(h.calls, ["closeHub clean", `connectHub ${HUB} dev1`]);
  assert.equal(lastStatus(h), [STATUS_CONNECTING, REASON_EXPIRED_SAS_TOKEN]);
  assert.is(h.policy.hubFailures, 0);
});

hub("an old failure streak does not count against a token renewal after a stable connection", () => {
  const h = harness();
  warmStart(h);
  for (let i = 0; i < 12; i++) {
    h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 3);
    h.fire();
    if (h.policy.state !== STATE_HUB_CONNECTING) break;
  }
  // Connected for the token's 80 % (48 min), then the renewal's first attempt fails.
  h.calls.length = 0;
  h.policy.hubConnected(h.now);
  h.fire();
  h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 3);
  assert.is(h.policy.hubFailures, 1, "a new streak");
  assert.ok(h.fire() <= 2000, "the spread draw over the fleet's 2 s window, not the cap");
  assert.not.ok(h.calls.includes("connectDps"));
});

hub("reprovision request -> forget the cache and run DPS now", () => {
  const h = connectedHarness();
  h.calls.length = 0;
  h.policy.requestReprovision(h.now);
  assert.equal(h.calls, ["closeHub clean", "forget", "connectDps"]);
  assert.equal(lastStatus(h), [STATUS_PROVISIONING, REASON_REPROVISIONING]);
});

hub("network loss while connected -> NoNetwork, no failure counted; back -> reconnect soon", () => {
  const h = connectedHarness();
  h.policy.networkChanged(h.now, false);
  assert.equal(lastStatus(h), [STATUS_DISCONNECTED, REASON_NO_NETWORK]);
  assert.is(h.policy.hubFailures, 0);
  h.now += 3600000;
  h.policy.tick(h.now);
  assert.is(h.policy.state, STATE_WAIT_NETWORK, "no attempts while down");
  h.policy.networkChanged(h.now, true);
  assert.ok(h.fire() < 2000);
  assert.is(last(h), `connectHub ${HUB} dev1`);
});

hub.run();

const retry = suite("policy: retry policies");

retry("no retry -> Stopped after the first failure", () => {
  const h = connectedHarness((c) => (c.retryMode = RETRY_NONE));
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.is(h.policy.state, STATE_STOPPED);
  assert.equal(lastStatus(h), [STATUS_STOPPED, REASON_RETRY_EXPIRED]);
});

retry("custom function decides the waits and when to stop", () => {
  const h = connectedHarness((c) => {
    c.retryMode = RETRY_CUSTOM;
    c.customDelay = (attempt) => (attempt < 2 ? 1234 : -1);
  });
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.is(h.fire(), 1234);
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.is(h.fire(), 1234);
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.is(h.policy.state, STATE_STOPPED);
});

retry("disconnected past the operation timeout -> RetryExpired, keeps trying at the cap", () => {
  const h = connectedHarness((c) => {
    c.operationTimeoutMs = 10 * 60000;
    c.useDps = false; // hub-only, so the 15-minute rule does not move it to DPS
  });
  for (let i = 0; i < 30; i++) {
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
    h.fire();
  }
  assert.ok(h.statuses.some((s) => s[1] === REASON_RETRY_EXPIRED));
  assert.is(h.policy.state, STATE_HUB_CONNECTING, "still trying");
});

retry("retry expiry configured to stop -> Stopped", () => {
  const h = connectedHarness((c) => {
    c.operationTimeoutMs = 60000;
    c.stopOnRetryExpired = true;
  });
  for (let i = 0; i < 30 && h.policy.state !== STATE_STOPPED; i++) {
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
    if (h.policy.state !== STATE_STOPPED) h.fire();
  }
  assert.is(h.policy.state, STATE_STOPPED);
  assert.equal(lastStatus(h), [STATUS_STOPPED, REASON_RETRY_EXPIRED]);
});

retry.run();


const fleetRules = suite("policy: fleet-sized rules");

// 1,000,000 devices on a 6000/s hub, DPS 1000/min: T = N / cps = 166.7 s.
const million = planFleet({ devices: 1000000, hubConnectionsPerSecond: 6000, dpsRegistrationsPerMinute: 1000, load: 1 });

fleetRules("warm boot of a large fleet -> the first hub attempt within T (166.7 s), spread over it", () => {
  const waits: number[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const h = harness((c) => (c.fleet = million), seed);
    h.policy.start(h.now, { hub: HUB, deviceId: "dev1" }, true, true);
    waits.push(h.fire());
    assert.equal(h.calls, [`connectHub ${HUB} dev1`]);
  }
  assert.ok(Math.max(...waits) <= 166667 && Math.min(...waits) >= 0);
  assert.ok(Math.max(...waits) > 150000 && Math.min(...waits) < 15000, "spread over the window");
});

fleetRules("a connection that held drops -> the spread draw over the cap (222 s), then the backoff at the cap", () => {
  let below = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const h = harness((c) => (c.fleet = million), seed);
    warmStartWith(h);
    h.policy.hubConnected(h.now);
    h.now += 3600000;
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
    const first = h.fire();
    assert.ok(first >= 0 && first <= 222223, `${first}`);
    if (first < 111112) below++;
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
    const second = h.fire();
    assert.ok(second >= 111111 && second <= 222223, `second ${second}`);
  }
  // Two thirds of the first waits fall in the first half of the window.
  assert.ok(below > 170 && below < 230, `${below}`);
});

fleetRules("renewal -> from 80 % of the token's life on, within the fleet's renewal spread (at most a fifth more)", () => {
  const at: number[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const h = harness((c) => (c.fleet = million), seed);
    warmStartWith(h);
    h.policy.hubConnected(h.now);
    at.push(h.fire());
    assert.equal(lastStatus(h), [STATUS_CONNECTING, REASON_EXPIRED_SAS_TOKEN]);
  }
  assert.ok(Math.min(...at) >= 2880000 && Math.max(...at) <= 2880000 + 555556, `${Math.min(...at)}..${Math.max(...at)}`);
  assert.ok(Math.max(...at) - Math.min(...at) > 450000, "spread");
});

fleetRules("DPS failure of a large fleet -> the next request waits up to 100 x the time without a connection", () => {
  const h = harness((c) => (c.fleet = million), 3);
  h.policy.start(h.now, undefined, true, true);
  const stagger = h.fire();
  h.policy.dpsFailed(h.now, KIND_DPS_SOCKET, SOCKET_REFUSED, 0);
  const wait = h.fire();
  assert.ok(wait >= 5000 && wait <= Math.max(10000, 100 * stagger), `${wait} after ${stagger}`);
  // A fleet nobody sized (DPS spread 100 s) keeps waits within 100 s.
  const small = inDps();
  small.policy.dpsFailed(small.now, KIND_DPS_SOCKET, SOCKET_REFUSED, 0);
  assert.ok(small.fire() <= 100000);
});

fleetRules("hubMinGapMs = 60000 -> every hub retry waits at least a minute more", () => {
  const h = connectedHarness((c) => (c.hubMinGapMs = 60000));
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  const first = h.fire();
  assert.ok(first >= 60000 && first <= 62000, `${first}`);
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  assert.ok(h.fire() >= 62000);
});

fleetRules("hours without a connection -> hub waits doubled after 1 h, x4 after 2 h, x8 after 3 h", () => {
  const h = connectedHarness((c) => (c.useDps = false));
  h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  const start = h.now;
  let most = 0;
  while (h.now - start < 4 * 3600000) {
    const w = h.fire();
    if (h.now - start > 3 * 3600000 + 900000) most = Math.max(most, w);
    h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
  }
  // The cap is 100 s: 8x makes waits of 400 to 800 s.
  assert.ok(most > 400000 && most <= 800000, `${most}`);
});

fleetRules.run();

const quiet = suite("policy: quiet (no note lines)");

quiet("5,000 random events, quiet and not, same seed -> the same actions, statuses and deadlines; quiet builds no note", () => {
  const million = planFleet({ devices: 1000000, hubConnectionsPerSecond: 6000, dpsRegistrationsPerMinute: 1000, load: 1 });
  const run = (isQuiet: boolean): { trace: string[]; notes: number } => {
    let notes = 0;
    const h = harness((c) => {
      c.fleet = million;
      c.quiet = isQuiet;
    }, 7);
    // The harness's note action counts nothing: count them here.
    const actions = (h.policy as unknown as { actions: PolicyActions }).actions;
    actions.note = () => notes++;
    const events = createPrng(0x9e7);
    const trace: string[] = [];
    h.policy.start(h.now, undefined, true, true);
    for (let i = 0; i < 5000; i++) {
      const r = events.int(100);
      if (r < 3) h.policy.networkChanged(h.now, !(h.policy as unknown as { networkUp: boolean }).networkUp);
      else if (h.policy.state === STATE_HUB_CONNECTING && r < 60) {
        if (r < 20) h.policy.hubConnected(h.now);
        else if (r < 25) h.policy.hubFailed(h.now, KIND_HUB_CONNACK, 5);
        else h.policy.hubFailed(h.now, KIND_HUB_SOCKET, SOCKET_REFUSED);
      } else if (h.policy.state === STATE_DPS_ACTIVE && r < 60) {
        if (r < 30) h.policy.dpsResponse(h.now, 202, DPS_OP_ASSIGNING, 3, "op", "", "", true);
        else if (r < 45) h.policy.dpsResponse(h.now, 200, DPS_OP_ASSIGNED, 0, "", r < 40 ? HUB : "hub-b.azure-devices.net", "dev1", true);
        else h.policy.dpsFailed(h.now, KIND_DPS_SOCKET, SOCKET_REFUSED, 0);
      } else if (h.policy.nextDeadline() >= 0) h.fire();
      else h.fire(60000);
      trace.push(`${h.now} ${h.policy.state} ${h.policy.nextDeadline()} ${h.calls.length ? last(h) : ""} ${h.statuses.length ? lastStatus(h).join("/") : ""}`);
    }
    return { trace, notes };
  };
  const loud = run(false);
  const silent = run(true);
  assert.ok(loud.notes > 100, `${loud.notes} notes`);
  assert.is(silent.notes, 0);
  assert.equal(silent.trace, loud.trace);
});

quiet.run();
