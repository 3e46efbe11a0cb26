// Running out of variables is visible and survived (issue: the client used to hang silently
// when the pool ran dry). The real device on the interpreter, its hub refused so telemetry
// queues in a RAM outbox; then the pool is filled until less than 1/16 of it is free. The
// device must say so (log line, status reason LowMemory), drop the older half of the outbox,
// keep running, and say when memory is back. (probe: run from Storage, as the device runs
// its application: built as the application is, the configuration checker an on-demand
// module; from a file the whole client would not fit in the pool.)
import { check, figure, done, expectOutOfMemory } from "./probe-kit";
import { createEspruinoHal, createEspruinoStore, loadModule } from "../../hal/espruino";
import { LOG_INFO, Store } from "../../hal/types";
import { createDevice } from "../../firmware/device/index";
import { ResolvedConfig } from "../../firmware/config";

const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// The checker as main.ts loads it: evaluated from the slot file, then dropped (it also
// writes the TLS material, none here, to its records in the store).
const resolveConfig = loadModule("config") as (raw: unknown, store: Store) => ResolvedConfig | string[];
const config = resolveConfig({
  connectionString: "HostName=low-memory.azure-devices.net;DeviceId=d1;SharedAccessKey=" + key,
  hosts: { "low-memory.azure-devices.net": "127.0.0.1:1" },
  outbox: { persist: false, maxMessages: 40 },
  // Plain TCP: on Linux a TLS attempt borrows about 2,400 variables from the pool.
  tls: false,
  port: 1,
}, createEspruinoStore()) as ResolvedConfig;
check("configuration resolved", !Array.isArray(config), String(config));

// The stock Linux build (BOARD "LINUX") doubles its pool whenever it runs out; a board's is
// fixed. Grown first to a classic ESP32's size, the pool stays the size the device and the
// filler below measure against.
const grow: number[][] = [];
while (process.env.BOARD === "LINUX" && process.memory().total < 16384 && grow.length < 40000) grow.push([0]);
grow.splice(0, grow.length);

const hal = createEspruinoHal({ logLevel: LOG_INFO, hosts: config.hosts });
const device = createDevice(config, hal);
const reasons: string[] = [];
device.onStatus(function (_status: string, reason: string) {
  reasons.push(reason);
});
device.start();
for (let i = 0; i < 40; i++) device.sendTelemetry("{\"n\":" + i + "}");
check("40 messages queued", device.stats().outboxSize === 40, String(device.stats().outboxSize));

// On a C3-sized pool 1/16 is 255 variables, fewer than a connection attempt takes: the
// device's next attempt runs out there, and what is checked is that it is survived.
expectOutOfMemory();
let filler: Uint8Array[] = [];
const total = process.memory().total;
// Just under the threshold (1/16 of the pool free), leaving the interpreter room to run.
while (process.memory().free > (total >> 4) - 100) filler.push(new Uint8Array(128));
figure("free_when_filled", process.memory().free);



// The device looks at memory at its next event (a retry of the refused hub here): waited for,
// up to 20 s, since when that comes depends on the backoff's random draw.
let waited = 0;
function whenLow(then: () => void): void {
  if (reasons.indexOf("LowMemory") >= 0 || waited >= 20000) then();
  else {
    waited += 250;
    setTimeout(function () {
      whenLow(then);
    }, 250);
  }
}

whenLow(function () {
  check("LowMemory reported", reasons.indexOf("LowMemory") >= 0, reasons.join(","));
  check("the older half of the outbox dropped", device.stats().outboxSize === 20 && device.stats().telemetryDropped === 20,
    device.stats().outboxSize + " queued, " + device.stats().telemetryDropped + " dropped");
  filler = [];
  setTimeout(function () {
    device.sendTelemetry("{\"after\":1}");
    check("still accepting telemetry", device.stats().outboxSize === 21, String(device.stats().outboxSize));
    check("recovery reported", reasons[reasons.length - 1] !== "LowMemory", reasons.join(","));
    device.stop();
    done();
  }, 2500);
});
