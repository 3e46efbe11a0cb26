// Provisioning through DPS and the flash-backed hub cache (issue 7), end to end: the real
// device core on the Node HAL, real TLS on loopback, the simulator, a shared virtual clock.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createWorld, dpsConfig, World } from "./harness";
import { HUB_CACHE_NAME } from "../../firmware/azure/hub-cache";
import { createPrng } from "../helpers/prng";

const HUB_A = "hub-a.azure-devices.net";
const HUB_B = "hub-b.azure-devices.net";

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const w = await createWorld();
  try {
    await fn(w);
  } finally {
    await w.stop();
  }
}

const connected = (d: { stats(): { status: string } }) => () => d.stats().status === "Connected";
const registrations = (w: World, id: string) => w.sim.counters().dps.byRegistration[id]?.registrations ?? 0;
const cacheFile = (w: World) => join(w.storeDir, encodeURIComponent(HUB_CACHE_NAME));

const boots = suite("provisioning: first and warm boot");

boots("first boot -> one DPS registration, hub connected, cache written", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    const { device, hal } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(device), 200_000);
    assert.is(registrations(w, "dev1"), 1);
    assert.equal(device.assignment(), { hub: HUB_A, deviceId: "dev1" });
    assert.ok(hal.store.read(HUB_CACHE_NAME), "cache written");
    assert.is(device.stats().cacheWrites, 1);
    assert.is(hal.connectLog[0], "global.azure-devices-provisioning.net:8883");
  }));

boots("warm boot -> hub connected with zero DPS registrations, one TLS connection", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    const first = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(first.device), 200_000);
    const before = w.sim.counters().dps.registrations;
    const second = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(second.device), 10_000, 100);
    assert.is(w.sim.counters().dps.registrations, before, "no DPS call on a warm boot");
    assert.equal(second.hal.connectLog, [`${HUB_A}:8883`], "one connection, straight to the hub");
    assert.is(second.device.stats().cacheWrites, 0);
  }));

boots("changed credentials -> the cache is foreign: one DPS round", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    const first = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(first.device), 200_000);
    const rotated = w.sim.enrollIndividual("dev1", { key: Buffer.alloc(32, 7).toString("base64") });
    const second = w.boot(dpsConfig(w.sim, "dev1", rotated.key));
    await w.advanceUntil(connected(second.device), 200_000);
    assert.is(registrations(w, "dev1"), 2);
    assert.ok(w.logs.some((l) => l.includes("hub cache ignored: made for other credentials")));
    assert.is(second.device.stats().cacheWrites, 1, "the new binding is written");
  }));

for (const [name, bytes] of [
  ["random bytes", () => Buffer.from(createPrng(3).bytes(120))],
  ["truncated", (valid: Buffer) => valid.subarray(0, valid.length - 5)],
  ["empty", () => Buffer.alloc(0)],
] as Array<[string, (valid: Buffer) => Buffer]>) {
  boots(`corrupt cache (${name}) -> one line in the log, one DPS round, no crash`, () =>
    withWorld(async (w) => {
      const e = w.sim.enrollIndividual("dev1");
      const first = w.boot(dpsConfig(w.sim, "dev1", e.key));
      await w.advanceUntil(connected(first.device), 200_000);
      const valid = Buffer.from(first.hal.store.read(HUB_CACHE_NAME) as string, "latin1");
      writeFileSync(cacheFile(w), bytes(valid));
      const second = w.boot(dpsConfig(w.sim, "dev1", e.key));
      await w.advanceUntil(connected(second.device), 200_000);
      assert.is(registrations(w, "dev1"), 2);
      assert.is(second.device.stats().cacheWrites, 1, "replaced after the DPS round");
      if (name !== "empty") assert.is(w.logs.filter((l) => l.includes("hub cache ignored")).length, 1);
    }));
}

boots.run();

const moves = suite("provisioning: hub changes");

moves("device moved to another hub -> old hub refuses, device re-registers and caches the new hub", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    const { device, hal } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(device), 200_000);
    const cachedBefore = hal.store.read(HUB_CACHE_NAME);
    w.sim.moveDevice("dev1", HUB_B);
    await w.advanceUntil(() => device.assignment()?.hub === HUB_B && connected(device)(), 30 * 60_000);
    assert.ok(w.sim.counters().devices.dev1.connacks[5] >= 2, "the old hub answered CONNACK 5");
    assert.is(registrations(w, "dev1"), 2);
    assert.not.equal(hal.store.read(HUB_CACHE_NAME), cachedBefore, "cache now names hub B");
    const warm = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(warm.device), 10_000, 100);
    assert.equal(warm.hal.connectLog, [`${HUB_B}:8883`]);
  }));

moves("1,000 reconnects with an unchanged assignment -> zero cache writes", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    const { device, hal } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(connected(device), 200_000);
    let writes = 0;
    const write = hal.store.write.bind(hal.store);
    hal.store.write = (name, data) => {
      if (name === HUB_CACHE_NAME) writes++;
      return write(name, data);
    };
    const connectionsBefore = w.sim.counters().devices.dev1.connections;
    for (let i = 0; i < 1000; i++) {
      w.sim.dropDevice("dev1");
      await w.until(() => device.stats().status !== "Connected");
      await w.advanceUntil(connected(device), 30 * 60_000, 5000);
    }
    assert.is(w.sim.counters().devices.dev1.connections - connectionsBefore, 1000);
    assert.is(writes, 0);
    assert.is(device.stats().cacheWrites, 1, "only the first DPS round wrote it");
  }));

moves.run();

const dpsErrors = suite("provisioning: DPS errors");

dpsErrors("DPS 429 with retry-after -> the next request comes no earlier than retry-after", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    w.sim.dpsThrottle(60, 40);
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(() => w.sim.counters().dps.throttled >= 1, 200_000, 500);
    const throttledAt = w.time.nowMs();
    const connectsBefore = w.sim.counters().dps.connections;
    await w.advanceUntil(() => w.sim.counters().dps.connections > connectsBefore, 200_000, 500);
    assert.ok(w.time.nowMs() - throttledAt >= 40_000, `came back after ${w.time.nowMs() - throttledAt} ms`);
    w.sim.endDpsThrottle();
    await w.advanceUntil(connected(device), 400_000);
  }));

dpsErrors("DPS 5xx -> first retry waits at least 5 s", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1");
    await w.sim.dpsOutage(30, "503");
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(() => w.logs.some((l) => l.startsWith("DPS: 503")), 200_000, 500);
    const failedAt = w.time.nowMs();
    const connectsBefore = w.sim.counters().dps.connections;
    await w.advanceUntil(() => w.sim.counters().dps.connections > connectsBefore, 200_000, 250);
    assert.ok(w.time.nowMs() - failedAt >= 5000, `retried after ${w.time.nowMs() - failedAt} ms`);
    await w.advanceUntil(connected(device), 400_000);
  }));

dpsErrors("DPS 401 (wrong key) -> BadCredential, slow retry", () =>
  withWorld(async (w) => {
    w.sim.enrollIndividual("dev1");
    const { device } = w.boot(dpsConfig(w.sim, "dev1", Buffer.alloc(32, 1).toString("base64")));
    await w.advanceUntil(() => device.stats().reason === "BadCredential", 200_000, 500);
    const attempts = w.sim.counters().dps.connections;
    await w.advance(20 * 60_000);
    assert.is(w.sim.counters().dps.connections, attempts, "no hammering: nothing within 20 minutes");
  }));

dpsErrors("enrollment disabled -> DeviceDisabled, slow retry", () =>
  withWorld(async (w) => {
    const e = w.sim.enrollIndividual("dev1", { disabled: true });
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key));
    await w.advanceUntil(() => device.stats().reason === "DeviceDisabled", 200_000, 500);
    const attempts = w.sim.counters().dps.connections;
    await w.advance(20 * 60_000);
    assert.is(w.sim.counters().dps.connections, attempts);
  }));

dpsErrors.run();
