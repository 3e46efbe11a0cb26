// firmware/config.ts: the board and demo-application fields read by firmware/main.ts (Wi-Fi,
// hosts, LED, watchdog, status and telemetry intervals): defaults, accepted values, and one
// message per bad field.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { resolveConfig, DeviceConfig, ResolvedConfig, DEFAULTS } from "../firmware/config";
import { configRules } from "../firmware/config-check";

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
  ["hosts a list", { hosts: ["127.0.0.1:1"] }, /^hosts must be a JSON object/],
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

const gap = suite("resolveConfig: retry.hubMinGapSeconds");
gap("absent -> no added gap; 60 -> 60,000 ms for the policy", () => {
  assert.is(ok({}).hubMinGapMs, 0);
  assert.is(ok({ retry: { hubMinGapSeconds: 60 } }).hubMinGapMs, 60_000);
});
gap("out of range or not whole -> one message naming it", () => {
  assert.equal(errors({ retry: { hubMinGapSeconds: 3601 } }), ["retry.hubMinGapSeconds must be a whole number from 0 to 3600"]);
  assert.equal(errors({ retry: { hubMinGapSeconds: 1.5 } }), ["retry.hubMinGapSeconds must be a whole number from 0 to 3600"]);
});
gap.run();

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
  assert.match(errors({ ota: "on" }).join(), /ota must be a JSON object/);
  assert.match(errors({ ota: { key: KEY, confirmWindowSeconds: 3600 } }).join(), /ota.confirmWindowSeconds must be a whole number from 60 to 600/);
  assert.match(errors({ ota: { key: KEY, maxBytes: 10 } }).join(), /ota.maxBytes must be a whole number from 1024 to 4194304/);
  assert.ok(!errors({ ota: { key: KEY, maxBytes: 10 } }).join().includes(KEY));
});
updates.run();

// Every field of a wrong type is a listed problem naming it, never an exception; every
// numeric setting has a type and a range (firmware/config-check.ts), the same for all.
const typed = suite("resolveConfig: wrong types and ranges");
const WRONG: unknown[] = [null, "1", true, [1], {}, 7, -1, 1.5, 1e300, 1e-300];
const FIELDS = [
  "dps", "connectionString", "certificate", "privateKey", "modelId", "ca", "tls", "port", "keepAliveSeconds", "tokenLifetimeSeconds",
  "hubSuffixes", "retry", "fleet", "outbox", "maxInboundBytes", "methodTimeoutSeconds", "ota", "wifi", "hosts", "led",
  "watchdogSeconds", "statusIntervalSeconds", "telemetryIntervalSeconds",
];
const NESTED: Record<string, string[]> = {
  dps: ["idScope", "registrationId", "endpoint", "symmetricKey", "certificate", "privateKey", "payload"],
  retry: ["mode", "maxAttempts", "operationTimeoutSeconds", "stopOnRetryExpired", "hubMinGapSeconds"],
  fleet: ["devices", "hubConnectionsPerSecond", "dpsRegistrationsPerMinute", "load"],
  outbox: ["maxMessages", "maxBytes", "persist", "maxFlashBytes", "whenFull"],
  ota: ["key", "confirmWindowSeconds", "maxBytes"],
  wifi: ["ssid", "password"],
};
const GOOD: Record<string, Record<string, unknown>> = {
  dps: BASE.dps as Record<string, unknown>, retry: { mode: "exponential" }, fleet: { devices: 10 }, outbox: {}, ota: { key: KEY }, wifi: { ssid: "Lab" },
};
typed("every top-level field, set to null, a string, true, a list, an object or a stray number -> a listed problem or a valid value, no exception", () => {
  for (const field of FIELDS) {
    for (const value of WRONG) {
      const base: Record<string, unknown> = field === "dps" ? {} : { ...BASE };
      let r: ResolvedConfig | string[];
      try {
        r = resolveConfig({ ...base, [field]: value });
      } catch (e) {
        throw new Error(field + "=" + JSON.stringify(value) + " threw " + (e as Error).message);
      }
      if (Array.isArray(r)) assert.ok(r.some((line) => line.indexOf(field) >= 0), field + "=" + JSON.stringify(value) + ": " + r.join("; "));
    }
  }
});
typed("every nested field, set to the same values -> a listed problem naming it or a valid value, no exception", () => {
  for (const parent of Object.keys(NESTED)) {
    for (const field of NESTED[parent]) {
      for (const value of WRONG) {
        const config = { ...BASE, [parent]: { ...GOOD[parent], [field]: value } };
        let r: ResolvedConfig | string[];
        try {
          r = resolveConfig(config);
        } catch (e) {
          throw new Error(parent + "." + field + "=" + JSON.stringify(value) + " threw " + (e as Error).message);
        }
        if (Array.isArray(r)) assert.ok(r.some((line) => line.indexOf(parent) >= 0), parent + "." + field + "=" + JSON.stringify(value) + ": " + r.join("; "));
      }
    }
  }
});
typed("retry null and outbox null (the issue's crash) -> listed, with the fix", () => {
  assert.equal(errors({ retry: null }), ["retry must be a JSON object"]);
  assert.equal(errors({ outbox: null }), ["outbox must be a JSON object"]);
  assert.equal(errors({ retry: { stopOnRetryExpired: "yes" } }), ["retry.stopOnRetryExpired must be true or false"]);
});
typed("the issue's fleet block of strings, true and a list -> four problems, no plan", () => {
  assert.equal(errors({ fleet: { devices: "1", hubConnectionsPerSecond: "100", dpsRegistrationsPerMinute: true, load: [1] } }), [
    "fleet.devices must be a whole number from 1 to 10000000",
    "fleet.hubConnectionsPerSecond must be a number from 1 to 100000",
    "fleet.dpsRegistrationsPerMinute must be a number from 10 to 1000000",
    "fleet.load must be a number from 0.01 to 1",
  ]);
  assert.equal(errors({ fleet: { devices: 1, hubConnectionsPerSecond: 1e300, dpsRegistrationsPerMinute: 1e-300, load: 1e-300 } }).length, 3);
});
typed("a fleet with devices only -> the services' default rates, load 1; without devices -> a problem", () => {
  assert.equal(ok({ fleet: { devices: 500 } }).fleet, { devices: 500, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 });
  assert.match(errors({ fleet: { load: 0.5 } }).join(), /fleet\.devices is needed/);
});
typed("every numeric rule: its bounds accepted; below, above, a fraction (whole numbers) and a string refused", () => {
  for (const row of configRules()) {
    const [path, kind, minText, maxText] = row.split(" ");
    if (kind !== "i" && kind !== "n") continue;
    const min = Number(minText);
    const max = Number(maxText);
    const at = (v: unknown): Record<string, unknown> => {
      const [a, b] = path.split(".");
      return b === undefined ? { [a]: v } : { [a]: { ...GOOD[a], [b]: v } };
    };
    for (const v of [min, max]) if (!(path === "watchdogSeconds" && v > 0 && v < 5)) ok(at(v) as Partial<DeviceConfig>);
    const bad: unknown[] = [min - 1, max + 1, max * 10, String(min), null, 1e300, -1e300];
    if (kind === "i") bad.push(min + 0.5);
    for (const v of bad) assert.ok(errors(at(v)).some((line) => line.indexOf(path + " must be") === 0), path + "=" + JSON.stringify(v));
  }
});
typed("device ids from a connection string follow Azure's rules", () => {
  const cs = (id: string) => "HostName=h.azure-devices.net;DeviceId=" + id + ";SharedAccessKey=" + KEY;
  for (const id of ["dev#1", "dev+1", "dev 1", "d".repeat(129)]) {
    assert.match(resolveConfig({ connectionString: cs(id) }).toString(), /DeviceId and ModuleId must be 1-128/, id);
  }
  assert.not.ok(Array.isArray(resolveConfig({ connectionString: cs("a-.%_*?!(),:=@$'Z" + "d".repeat(100)) })));
});
typed.run();

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
    "outbox.maxFlashBytes must be a whole number from 8192 to 524288",
    "outbox.whenFull must be dropOldest or refuseNew",
  ]);
});
outboxFields.run();
