// Running out of variables is visible and survived (issue: the client used to hang silently
// when the pool ran dry). The real device on the interpreter, its hub refused so telemetry
// queues in a RAM outbox; then the pool is filled until less than 1/16 of it is free. The
// device must say so (log line, status reason LowMemory), drop the older half of the outbox,
// keep running, and say when memory is back. (probe: run from Storage, as the device runs
// its application: from a file the whole client would not fit in the pool.)
import { check, figure, done } from "./probe-kit";
import { createEspruinoHal } from "../../hal/espruino";
import { LOG_INFO } from "../../hal/types";
import { createDevice } from "../../firmware/device/index";
import { resolveConfig, ResolvedConfig } from "../../firmware/config";

const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const config = resolveConfig({
  connectionString: "HostName=low-memory.azure-devices.net;DeviceId=d1;SharedAccessKey=" + key,
  hosts: { "low-memory.azure-devices.net": "127.0.0.1:1" },
  outbox: { persist: false, maxMessages: 40 },
  // Plain TCP: on Linux a TLS attempt borrows about 2,400 variables from the pool.
  tls: false,
  port: 1,
}) as ResolvedConfig;
check("configuration resolved", !Array.isArray(config), String(config));

const hal = createEspruinoHal({ logLevel: LOG_INFO, hosts: config.hosts });
const device = createDevice(config, hal);
const reasons: string[] = [];
device.onStatus(function (_status: string, reason: string) {
  reasons.push(reason);
});
device.start();
for (let i = 0; i < 40; i++) device.sendTelemetry("{\"n\":" + i + "}");
check("40 messages queued", device.stats().outboxSize === 40, String(device.stats().outboxSize));

let filler: Uint8Array[] = [];
const total = process.memory().total;
// Just under the threshold (1/16 of the pool free), leaving the interpreter room to run.
while (process.memory().free > (total >> 4) - 100) filler.push(new Uint8Array(128));
figure("free_when_filled", process.memory().free);

setTimeout(function () {
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
}, 2500);
