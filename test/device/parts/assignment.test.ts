// The assigned-hub store (firmware/device/assignment.ts) on a fake HAL store: the record
// saved, read back, written only when it changes, forgotten; a corrupt record, one made for
// other credentials and a hub off the allow-list are ignored (DPS runs instead).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createAssignmentStore, AssignmentStore } from "../../../firmware/device/assignment";
import { HUB_CACHE_NAME } from "../../../firmware/azure/hub-cache";
import { DeviceConfig, ResolvedConfig } from "../../../firmware/config";
import { testCore, dpsConfig, hubConfig, TestCore, HUB, KEY } from "./kit";

function storeCore(config: ResolvedConfig = dpsConfig()): { core: TestCore; store: AssignmentStore } {
  const core = testCore(config);
  return { core, store: createAssignmentStore(core) };
}

/** A second device on the same flash (a reboot with another configuration). */
function reboot(core: TestCore, extra: Partial<DeviceConfig> = {}): { core: TestCore; store: AssignmentStore } {
  const next = storeCore(dpsConfig(extra));
  next.core.hal.records.clear();
  for (const [k, v] of core.hal.records) next.core.hal.records.set(k, v);
  return next;
}

const store = suite("device part assignment");

store("hub only -> the configured hub, flash not read", () => {
  const { core, store } = storeCore(hubConfig("HostName=" + HUB + ";DeviceId=dev9;SharedAccessKey=" + KEY));
  core.hal.records.set(HUB_CACHE_NAME, "garbage");
  assert.equal(store.load(), { hub: HUB, deviceId: "dev9" });
  assert.equal(core.hal.lines, []);
});

store("DPS, nothing stored -> undefined, quietly", () => {
  const { core, store } = storeCore();
  assert.is(store.load(), undefined);
  assert.equal(core.hal.lines, []);
});

store("saved -> one write, read back on the next boot", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  assert.is(core.stats.cacheWrites, 1);
  assert.ok(core.hal.records.has(HUB_CACHE_NAME));
  const next = reboot(core);
  assert.equal(next.store.load(), { hub: HUB, deviceId: "dev1" });
  assert.ok(next.core.hal.lines.some((l) => l.includes("hub cache: dev1 on " + HUB)));
});

store("the same assignment saved again -> no write; another one -> written", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  store.save(HUB, "dev1");
  assert.is(core.stats.cacheWrites, 1, "flash is not worn by a repeat");
  store.save("hub-b.azure-devices.net", "dev1");
  assert.is(core.stats.cacheWrites, 2);
  assert.equal(store.load(), { hub: "hub-b.azure-devices.net", deviceId: "dev1" });
});

store("forgotten -> the record erased, DPS next time", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  store.forget();
  assert.not.ok(core.hal.records.has(HUB_CACHE_NAME));
  assert.is(store.load(), undefined);
});

store("a corrupt record -> ignored with a warning naming it corrupt", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  const r = core.hal.records.get(HUB_CACHE_NAME)!;
  core.hal.records.set(HUB_CACHE_NAME, r.slice(0, 10) + String.fromCharCode(r.charCodeAt(10) ^ 1) + r.slice(11));
  assert.is(store.load(), undefined);
  assert.ok(core.hal.lines.some((l) => l.includes("hub cache ignored: corrupt")));
});

store("a record made for another key -> ignored as foreign", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  const other = reboot(core, { dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: Buffer.alloc(32, 8).toString("base64") } });
  assert.is(other.store.load(), undefined);
  assert.ok(other.core.hal.lines.some((l) => l.includes("made for other credentials")));
});

store("a record made for another registration id -> ignored as foreign", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  const other = reboot(core, { dps: { idScope: "0ne00000001", registrationId: "dev2", symmetricKey: KEY } });
  assert.is(other.store.load(), undefined);
  assert.ok(other.core.hal.lines.some((l) => l.includes("made for other credentials")));
});

store("a cached hub no longer on the allow-list -> ignored", () => {
  const { core, store } = storeCore();
  store.save(HUB, "dev1");
  const next = reboot(core, { hubSuffixes: [".example.net"] });
  assert.is(next.store.load(), undefined);
  assert.ok(next.core.hal.lines.some((l) => l.includes(HUB + " is not on the allow-list")));
});

store("the flash write fails -> logged, not counted", () => {
  const { core, store } = storeCore();
  core.hal.store.write = () => false;
  store.save(HUB, "dev1");
  assert.is(core.stats.cacheWrites, 0);
  assert.ok(core.hal.lines.some((l) => l.includes("hub cache: write failed")));
});

store("an assignment that cannot be encoded -> logged, nothing written", () => {
  const { core, store } = storeCore();
  store.save(HUB, "");
  store.save("h".repeat(300), "dev1");
  assert.is(core.hal.records.size, 0);
  assert.is(core.hal.lines.filter((l) => l.includes("cannot encode the assignment")).length, 2);
});

store.run();
