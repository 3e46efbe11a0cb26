// firmware/config.ts: the board and demo-application fields read by firmware/main.ts (Wi-Fi,
// hosts, LED, watchdog, status and telemetry intervals): defaults, accepted values, and one
// message per bad field.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { resolveConfig, DeviceConfig, ResolvedConfig, DEFAULTS } from "../firmware/config";

const KEY = Buffer.alloc(32, 7).toString("base64");
const BASE: DeviceConfig = { dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY } };

function ok(extra: Partial<DeviceConfig>): ResolvedConfig {
  const r = resolveConfig({ ...BASE, ...extra });
  assert.ok(!Array.isArray(r), JSON.stringify(r));
  return r as ResolvedConfig;
}

function errors(extra: Record<string, unknown>): string[] {
  const r = resolveConfig({ ...BASE, ...extra });
  assert.ok(Array.isArray(r), "accepted");
  return r as string[];
}

const defaults = suite("resolveConfig: board defaults");
defaults("no board fields -> no Wi-Fi, no hosts, LED auto, no watchdog, 60 s status and telemetry", () => {
  const r = ok({});
  assert.equal([r.wifiSsid, r.wifiPassword, r.hosts, r.led, r.watchdogSeconds], ["", "", undefined, "", 0]);
  assert.is(r.statusIntervalSeconds, DEFAULTS.statusIntervalSeconds);
  assert.is(r.telemetryIntervalSeconds, 60);
});
defaults.run();

const accepted = suite("resolveConfig: board fields accepted");
accepted("wifi, hosts, led, watchdog, intervals -> resolved", () => {
  const r = ok({
    wifi: { ssid: "Lab", password: "lab-secret-42" }, hosts: { "hub-a.azure-devices.net": "127.0.0.1:8883" },
    led: "D2", watchdogSeconds: 30, statusIntervalSeconds: 5, telemetryIntervalSeconds: 0,
  });
  assert.equal([r.wifiSsid, r.wifiPassword, r.hosts, r.led, r.watchdogSeconds, r.statusIntervalSeconds, r.telemetryIntervalSeconds],
    ["Lab", "lab-secret-42", { "hub-a.azure-devices.net": "127.0.0.1:8883" }, "D2", 30, 5, 0]);
});
accepted("open network (no password) and led off -> accepted", () => {
  const r = ok({ wifi: { ssid: "Cafe" }, led: "off", watchdogSeconds: 0 });
  assert.equal([r.wifiSsid, r.wifiPassword, r.led, r.watchdogSeconds], ["Cafe", "", "off", 0]);
});
accepted.run();

const rejected = suite("resolveConfig: bad board fields");
const cases: Array<[string, Record<string, unknown>, RegExp]> = [
  ["wifi without ssid", { wifi: { password: "x" } }, /^wifi needs an ssid/],
  ["wifi ssid of 33 characters", { wifi: { ssid: "x".repeat(33) } }, /^wifi needs an ssid/],
  ["wifi password a number", { wifi: { ssid: "Lab", password: 12345678 } }, /^wifi.password must be a string/],
  ["hosts value without a port", { hosts: { "a.example": "127.0.0.1" } }, /^hosts must map/],
  ["hosts a list", { hosts: ["127.0.0.1:1"] }, /^hosts must map/],
  ["led lower-case name", { led: "d2" }, /^led must be a pin name/],
  ["watchdog of 2 s", { watchdogSeconds: 2 }, /^watchdogSeconds must be 5-3600/],
  ["status interval 0", { statusIntervalSeconds: 0 }, /^statusIntervalSeconds must be/],
  ["telemetry interval 1.5", { telemetryIntervalSeconds: 1.5 }, /^telemetryIntervalSeconds must be/],
  ["modelId a prefix of dtmi:", { modelId: "dtm" }, /^modelId must be a DTMI/],
];
for (const [name, extra, message] of cases) {
  rejected(`${name} -> one message naming the field`, () => {
    const e = errors(extra);
    assert.is(e.length, 1, e.join("; "));
    assert.match(e[0], message);
  });
}
rejected.run();

const updates = suite("resolveConfig: ota");
updates("no ota -> updates off (no key); defaults for the window and the size", () => {
  const r = ok({});
  assert.equal([r.otaKey, r.otaConfirmWindowMs, r.otaMaxBytes], ["", 300_000, 512 * 1024]);
});
updates("ota with a key, window and size -> resolved", () => {
  const r = ok({ ota: { key: KEY, confirmWindowSeconds: 120, maxBytes: 200_000 } });
  assert.equal([r.otaKey, r.otaConfirmWindowMs, r.otaMaxBytes], [KEY, 120_000, 200_000]);
});
updates("bad ota fields -> one message each, never the key", () => {
  assert.match(errors({ ota: { key: "c2hvcnQ=" } }).join(), /ota.key must be a base64 key of at least 16 bytes/);
  assert.match(errors({ ota: "on" }).join(), /ota must be an object with a key/);
  assert.match(errors({ ota: { key: KEY, confirmWindowSeconds: 3600 } }).join(), /ota.confirmWindowSeconds must be 60-600/);
  assert.match(errors({ ota: { key: KEY, maxBytes: 10 } }).join(), /ota.maxBytes must be 1 KB to 4 MB/);
  assert.ok(!errors({ ota: { key: KEY, maxBytes: 10 } }).join().includes(KEY));
});
updates.run();

const outboxFields = suite("resolveConfig: outbox persistence");
outboxFields("persist on by default, 256 KB of flash, oldest dropped; each field resolved; bad values named", () => {
  const d = ok({});
  assert.equal([d.outboxPersist, d.outboxMaxFlashBytes, d.outboxRefuseNew], [true, DEFAULTS.outboxMaxFlashBytes, false]);
  assert.equal([d.outboxMaxMessages, d.outboxMaxBytes], [1000, 192 * 1024], "in flash the bounds cost no RAM");
  const r = ok({ outbox: { persist: false, maxFlashBytes: 64 * 1024, whenFull: "refuseNew" } });
  assert.equal([r.outboxPersist, r.outboxMaxFlashBytes, r.outboxRefuseNew], [false, 64 * 1024, true]);
  assert.equal([r.outboxMaxMessages, r.outboxMaxBytes], [64, 16 * 1024], "in RAM the bounds stay small");
  assert.equal([ok({ outbox: { maxMessages: 5, maxBytes: 1000 } }).outboxMaxMessages, ok({ outbox: { persist: false, maxBytes: 1000 } }).outboxMaxBytes], [5, 1000]);
  assert.is(ok({ outbox: { whenFull: "dropOldest" } }).outboxRefuseNew, false);
  assert.equal(errors({ outbox: { persist: "yes", maxFlashBytes: 1024, whenFull: "dropNewest" } }), [
    "outbox.persist must be true or false",
    "outbox.maxFlashBytes must be 8 KB to 512 KB",
    "outbox.whenFull must be \"dropOldest\" or \"refuseNew\"",
  ]);
});
outboxFields.run();
