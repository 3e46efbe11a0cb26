// tools/flash/config-checks.ts: what the flasher may print of a configuration, and which
// values it treats as secrets (none may appear in the bundle or in any output).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { maskConfig, secretsOf } from "../../tools/flash/config-checks";

const KEY = Buffer.alloc(32, 7).toString("base64");
const OTA = Buffer.alloc(32, 9).toString("base64");

const masking = suite("config checks: secrets");
masking("device key, Wi-Fi password and OTA key -> hidden in the printable copy, listed as secrets", () => {
  const config = { dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY }, wifi: { ssid: "home", password: "hunter2hunter2" }, ota: { key: OTA } };
  const printed = JSON.stringify(maskConfig(config));
  for (const secret of [KEY, OTA, "hunter2hunter2"]) assert.not.ok(printed.includes(secret), secret);
  assert.ok(printed.includes('"ota":{"key":"<hidden, 44 characters>"}'), printed);
  assert.equal(secretsOf(config).sort(), [KEY, OTA, "hunter2hunter2"].sort());
});
masking.run();
