// The reconnection behaviour table, one test per row, end to end: the real
// device core on the Node HAL over TLS against the simulator, on a shared virtual clock.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import tls from "node:tls";
import net from "node:net";
import { createWorld, dpsConfig, testCa, World } from "./harness";
import { Device } from "../../firmware/device/index";
import { HUB_CACHE_NAME } from "../../firmware/azure/hub-cache";
import { planFleet } from "../../firmware/policy/fleet";

const HUB_A = "hub-a.azure-devices.net";
const MIN = 60_000;

type Fixture = { w: World; device: Device; key: string };

async function scenario(fn: (f: Fixture) => Promise<void>, options: { extra?: object; connect?: boolean; networkUp?: boolean; sim?: object } = {}): Promise<void> {
  const w = await createWorld({ sim: options.sim });
  try {
    const e = w.sim.enrollIndividual("dev1");
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key, options.extra), { networkUp: options.networkUp });
    if (options.connect !== false) await w.advanceUntil(() => device.stats().status === "Connected", 200_000);
    await fn({ w, device, key: e.key });
  } finally {
    await w.stop();
  }
}

const connected = (device: Device) => () => device.stats().status === "Connected";
const dpsRegistrations = (w: World) => w.sim.counters().dps.registrations;

/** A TLS server that answers every CONNECT with one CONNACK code (for 1, 2 and 4, which the
 *  hub never sends but a misconfigured endpoint can). */
async function connackServer(host: string, code: number): Promise<{ address: string; close(): void }> {
  const creds = testCa().issue(host);
  const server = tls.createServer({ cert: creds.certPem, key: creds.keyPem }, (s) => {
    s.on("data", () => s.write(Buffer.from([0x20, 0x02, 0x00, code])));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

const rows = suite("the reconnection table");

rows("no network -> no attempts, NoNetwork; network up -> reconnect at once (jittered)", () =>
  scenario(async ({ w, device }) => {
    await w.advance(60 * MIN);
    assert.equal(w.connectTimes(), [], "no attempt in an hour without network");
    assert.ok(w.statuses.includes("Disconnected/NoNetwork"));
    const upAt = w.time.nowMs();
    w.hal?.setNetworkUp(true);
    await w.advanceUntil(() => w.connectTimes().length > 0, 10_000, 100);
    assert.ok(w.connectTimes()[0] - upAt <= 2000, "within the 2 s jitter");
    await w.advanceUntil(connected(device), 300_000);
  }, { connect: false, networkUp: false }));

rows("network lost while connected -> NoNetwork, nothing counted; back -> reconnect within 2 s", () =>
  scenario(async ({ w, device }) => {
    w.hal?.setNetworkUp(false);
    await w.until(() => device.stats().reason === "NoNetwork");
    await w.advance(30 * MIN);
    const attempts = w.connectTimes().length;
    w.hal?.setNetworkUp(true);
    await w.advanceUntil(connected(device), 10_000, 100);
    assert.is(w.connectTimes().length, attempts + 1, "one attempt after the network came back");
  }));

rows("clock not synced with SAS -> ClockNotSet, no token signed, no connection; synced -> connects", () =>
  scenario(async ({ w, device }) => {
    w.time.setSynced(false);
    w.sim.dropDevice("dev1");
    await w.advance(10 * MIN);
    assert.ok(w.statuses.includes("Disconnected/ClockNotSet"));
    const attempts = w.connectTimes().length;
    await w.advance(10 * MIN);
    assert.is(w.connectTimes().length, attempts, "no connection while the clock is unset");
    w.time.setSynced(true);
    await w.advanceUntil(connected(device), 10_000, 500);
  }));

rows("boot with a valid cached hub -> straight to it, no DPS call", () =>
  scenario(async ({ w, key }) => {
    const before = dpsRegistrations(w);
    const again = w.boot(dpsConfig(w.sim, "dev1", key));
    await w.advanceUntil(connected(again.device), 10_000, 100);
    assert.is(dpsRegistrations(w), before);
    assert.equal(again.hal.connectLog, [`${HUB_A}:8883`]);
  }));

rows("boot without cache -> a stagger uniform over N / (95 % of the slower rate), with room for randomness, then DPS; a small fleet within seconds", () =>
  scenario(async ({ w }) => {
    // The window is planFleet's, the one function the device, the fleet simulator and these
    // tests size it with: 10,000 devices at DPS's 1,000/min -> N / 950 per min with room
    // for randomness, 719 s (600 s would be N / the whole quota).
    const fleet = { devices: 10000, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 };
    const window = planFleet(fleet).staggerMaxMs;
    assert.ok(window > 600_000 && window < 720_000, `window ${window}`);
    const e2 = w.sim.enrollIndividual("dev2");
    const firstDps = async (settings: typeof fleet, seed: number, withinMs: number): Promise<number> => {
      w.hal?.store.erase(HUB_CACHE_NAME);
      const bootAt = w.time.nowMs();
      const before = w.connectTimes("global").length;
      w.boot(dpsConfig(w.sim, "dev2", e2.key, { fleet: settings }), { seed });
      await w.advanceUntil(() => w.connectTimes("global").length > before, withinMs + 60_000, 10_000);
      return w.connectTimes("global")[before] - bootAt;
    };
    const waits: number[] = [];
    for (let seed = 1; seed <= 6; seed++) waits.push(await firstDps(fleet, seed, window));
    for (const wait of waits) assert.ok(wait >= 1000 && wait <= window + 2000, `stagger ${wait} of ${window}`);
    assert.ok(Math.max(...waits) - Math.min(...waits) > 60_000, `spread across the window: ${waits}`);
    // 100 devices: a window of 7.2 s, so a small fleet still provisions within seconds.
    const small = { ...fleet, devices: 100 };
    const smallWindow = planFleet(small).staggerMaxMs;
    assert.ok(smallWindow >= 1000 && smallWindow < 8000, `small window ${smallWindow}`);
    const wait = await firstDps(small, 7, smallWindow);
    assert.ok(wait >= 1000 && wait <= smallWindow + 2000, `small fleet stagger ${wait} of ${smallWindow}`);
  }));

rows("DPS 202 -> poll after retry-after x 1000; never more than 5 polls per 10 s", () =>
  scenario(async ({ w, device }) => {
    await w.advanceUntil(connected(device), 400_000);
    const polls = w.sim.events().filter((e) => e.type === "dps-poll").map((e) => e.atMs);
    const responses = w.sim.events().filter((e) => e.type === "dps-response" && e.text.includes("202")).map((e) => e.atMs);
    assert.ok(polls.length >= 3, `${polls.length} polls`);
    assert.ok(polls[0] - responses[0] >= 7000, "first poll after retry-after 7 s");
    for (let i = 5; i < polls.length; i++) assert.ok(polls[i] - polls[i - 5] >= 10_000, "poll budget");
    assert.is(w.sim.counters().dps.throttled, 0, "never throttled for polling");
  }, { connect: false, sim: { dpsRetryAfterSeconds: 7, dpsAssignDelayMs: 25_000 } }));

rows("DPS assigned -> cache written, DPS closed before the hub is opened (one socket at a time)", () =>
  scenario(async ({ w, device }) => {
    let maxOpen = 0;
    const hal = w.hal;
    if (!hal) throw new Error("no hal");
    const watch = setInterval(() => (maxOpen = Math.max(maxOpen, hal.openSockets())), 1);
    await w.advanceUntil(connected(device), 200_000);
    clearInterval(watch);
    assert.ok(hal.store.read(HUB_CACHE_NAME));
    assert.ok(maxOpen <= 1, `at most one socket at a time (saw ${maxOpen})`);
    assert.equal(hal.connectLog, ["global.azure-devices-provisioning.net:8883", `${HUB_A}:8883`]);
  }, { connect: false }));

rows("DPS 429 -> waits retry-after; without it -> throttled backoff", () =>
  scenario(async ({ w, device }) => {
    w.sim.dpsThrottle(100, 45);
    await w.advanceUntil(() => w.sim.counters().dps.throttled >= 2, 400_000, 1000);
    const throttled = w.sim.events().filter((e) => e.type === "dps-response" && e.text.includes("429")).map((e) => e.atMs);
    assert.ok(throttled[1] - throttled[0] >= 45_000, "second request no earlier than retry-after");
    w.sim.endDpsThrottle();
    await w.advanceUntil(connected(device), 400_000);
  }, { connect: false }));

rows("DPS 5xx, refused or timed out -> first wait >= 5 s, then DPS again", () =>
  scenario(async ({ w, device }) => {
    await w.sim.dpsOutage(120, "refuse");
    await w.advanceUntil(() => w.connectTimes("global").length >= 3, 400_000, 1000);
    const t = w.connectTimes("global");
    for (let i = 1; i < t.length; i++) assert.ok(t[i] - t[i - 1] >= 5000, `wait ${t[i] - t[i - 1]}`);
    await w.sim.endDpsOutage();
    await w.advanceUntil(connected(device), 400_000);
  }, { connect: false }));

rows("DPS 401/403/404, failed, disabled -> BadCredential / DeviceDisabled, slow retry", () =>
  scenario(async ({ w, device }) => {
    w.sim.setEnrollmentDisabled("dev1", true);
    await w.advanceUntil(() => device.stats().reason === "DeviceDisabled", 400_000, 1000);
    const attempts = w.connectTimes("global").length;
    await w.advance(30 * MIN);
    assert.is(w.connectTimes("global").length, attempts, "no hammering");
  }, { connect: false }));

rows("hub CONNACK accepted -> Connected, full twin GET, unacknowledged telemetry resent", () =>
  scenario(async ({ w, device }) => {
    assert.ok(w.sim.counters().devices.dev1.twinGets >= 1);
    w.sim.dropPubacks("dev1", 1);
    device.sendTelemetry("keep me");
    await w.advanceUntil(() => w.sim.telemetry("dev1").length === 1, 10_000, 100);
    w.sim.dropDevice("dev1");
    await w.until(() => device.stats().status !== "Connected");
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 1, 120_000);
    const records = w.sim.telemetry("dev1");
    assert.is(records[records.length - 1].dup, true, "resent with DUP after the reconnect");
    assert.ok(w.sim.counters().devices.dev1.twinGets >= 2, "a GET after every connect");
  }));

rows("hub failures (refused, CONNACK 3) -> backoff on the same hub, growing, jittered", () =>
  scenario(async ({ w, device }) => {
    await w.sim.hubOutage(HUB_A, 8 * 60, "connack3");
    w.sim.dropHub(HUB_A);
    await w.advance(8 * MIN);
    const t = w.connectTimes(HUB_A).slice(1);
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    assert.ok(gaps.length >= 4, `${gaps.length} retries`);
    assert.ok(gaps[gaps.length - 1] > gaps[0], `growing: ${gaps}`);
    assert.is(w.connectTimes("global").length, 1, "no DPS for a short outage");
    await w.advanceUntil(connected(device), 10 * MIN);
  }));

rows("10 failures AND 15 minutes on the hub -> DPS due within a spread, the hub still retried until then", () =>
  scenario(async ({ w, device }) => {
    const start = w.time.nowMs();
    await w.sim.hubOutage(HUB_A, 3 * 3600, "refuse");
    w.sim.dropHub(HUB_A);
    await w.advance(14 * MIN);
    assert.is(w.connectTimes("global").length, 1, "not before 15 minutes");
    await w.advanceUntil(() => w.connectTimes("global").length >= 2, 30 * MIN, 10_000);
    assert.ok(w.connectTimes("global")[1] - start >= 15 * MIN);
    const firstDue = w.timeline.find(([, l]) => l.startsWith("DPS due in"));
    assert.ok(firstDue, "the DPS round was scheduled");
    await w.advance(120 * MIN);
    const fallbacks = w.timeline.filter(([, l]) => l.startsWith("DPS due in")).length;
    assert.ok(fallbacks >= 2 && fallbacks <= 8, `${fallbacks} DPS rounds in ~2.5 h`);
    await w.sim.endHubOutage(HUB_A);
    await w.advanceUntil(connected(device), 60 * MIN, 10_000);
  }));

rows("hub CONNACK 5 twice with a fresh token and a synced clock -> re-register through DPS", () =>
  scenario(async ({ w, device }) => {
    const before = dpsRegistrations(w);
    w.sim.rejectDevice("dev1", true);
    w.sim.dropDevice("dev1");
    await w.advanceUntil(() => dpsRegistrations(w) > before, 10 * MIN);
    assert.ok(w.statuses.includes("Disconnected/Reprovisioning"));
    assert.ok(w.sim.counters().devices.dev1.connacks[5] >= 2);
    w.sim.rejectDevice("dev1", false);
    await w.advanceUntil(connected(device), 10 * MIN);
  }));

rows("hub CONNACK 1, 2, 4 -> BadCredential, slow retry (hub-only)", async () => {
  for (const code of [1, 2, 4]) {
    const host = "odd-hub.azure-devices.net";
    const server = await connackServer(host, code);
    const w = await createWorld();
    try {
      const { device } = w.boot({ connectionString: `HostName=${host};DeviceId=dev9;SharedAccessKey=${Buffer.alloc(32, 3).toString("base64")}` }, { hosts: { [host]: server.address } });
      await w.advanceUntil(() => device.stats().reason === "BadCredential", 60_000, 1000);
      const attempts = w.connectTimes().length;
      await w.advance(30 * MIN);
      assert.is(w.connectTimes().length, attempts, `CONNACK ${code}: no retry within 30 minutes`);
    } finally {
      await w.stop();
      server.close();
    }
  }
});

rows("token at 80 % of its lifetime -> clean DISCONNECT, new token, reconnect; not a failure, outbox kept", () =>
  scenario(async ({ w, device }) => {
    const connections = w.sim.counters().devices.dev1.connections;
    device.sendTelemetry("before renewal");
    await w.advance(479_000);
    assert.is(w.sim.counters().devices.dev1.connections, connections, "not before 80 %");
    await w.advanceUntil(() => w.sim.counters().devices.dev1.connections === connections + 1, 10_000, 500);
    assert.ok(w.sim.events().some((e) => e.type === "disconnect" && e.text.includes("DISCONNECT")), "a clean DISCONNECT");
    assert.ok(w.statuses.includes("Connecting/ExpiredSasToken"));
    assert.ok(!w.statuses.some((s) => s.startsWith("Disconnected")), "never reported as a failure");
    assert.is(w.sim.counters().devices.dev1.tokenExpiries, 0, "renewed before the hub had to drop it");
    device.sendTelemetry("after renewal");
    await w.advanceUntil(() => device.stats().telemetryAcknowledged === 2, 10_000, 100);
  }, { extra: { tokenLifetimeSeconds: 600 } }));

rows("Reprovision direct method -> 200, cache cleared, DPS now", () =>
  scenario(async ({ w, device }) => {
    const before = dpsRegistrations(w);
    const call = await w.delivered(device, () => w.sim.invokeMethod("dev1", "Reprovision"));
    assert.is((await call.result).status, 200);
    await w.advanceUntil(() => dpsRegistrations(w) === before + 1, MIN, 500);
    await w.advanceUntil(connected(device), 10 * MIN);
  }));

rows("twin responses 429 / 5xx -> retry-after / backoff with a first wait >= 5 s", () =>
  scenario(async ({ w, device }) => {
    w.sim.failTwin("dev1", 503, 1);
    w.sim.dropDevice("dev1");
    await w.until(() => device.stats().status !== "Connected");
    await w.advanceUntil(() => w.sim.events().some((e) => e.type === "twin-get" && e.code === 503), 10 * MIN, 1000);
    const failedAt = (w.sim.events().find((e) => e.type === "twin-get" && e.code === 503) as { atMs: number }).atMs;
    const getsBefore = w.sim.events().filter((e) => e.type === "twin-get").length;
    await w.advanceUntil(() => w.sim.events().filter((e) => e.type === "twin-get").length > getsBefore, 10 * MIN, 500);
    const retryAt = w.sim.events().filter((e) => e.type === "twin-get")[getsBefore].atMs;
    assert.ok(retryAt - failedAt >= 5000, `retried after ${retryAt - failedAt} ms`);
  }));

rows.run();

const modes = suite("reconnection: hub-only mode and retry policies");

modes("hub-only (connection string): connects without DPS, backs off the same way", async () => {
  const w = await createWorld();
  try {
    const dev = w.sim.addDevice("solo", { hub: HUB_A });
    const { device } = w.boot({ connectionString: `HostName=${HUB_A};DeviceId=solo;SharedAccessKey=${dev.key}` });
    await w.advanceUntil(connected(device), 30_000, 500);
    assert.is(w.sim.counters().dps.connections, 0);
    w.sim.dropDevice("solo");
    await w.until(() => device.stats().status !== "Connected");
    await w.advanceUntil(connected(device), 10 * MIN);
  } finally {
    await w.stop();
  }
});

modes("retry mode none -> Stopped after the first failure", () =>
  scenario(async ({ w, device }) => {
    w.sim.dropDevice("dev1");
    await w.until(() => device.stats().status === "Stopped");
    assert.is(device.stats().reason, "RetryExpired");
  }, { extra: { retry: { mode: "none" } } }));

modes("disconnected past the operation timeout -> RetryExpired, still retrying", () =>
  scenario(async ({ w, device }) => {
    await w.sim.hubOutage(HUB_A, 3600, "refuse");
    w.sim.dropHub(HUB_A);
    await w.advanceUntil(() => device.stats().reason === "RetryExpired", 20 * MIN, 5000);
    const attempts = w.connectTimes().length;
    await w.advance(10 * MIN);
    assert.ok(w.connectTimes().length > attempts, "keeps trying");
  }, { extra: { retry: { operationTimeoutSeconds: 600 } } }));

modes.run();
