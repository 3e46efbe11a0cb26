// Short property names in the minified bundles: the listed names are renamed where the
// client's modules write them as `.name` or `{name: ...}`, a listed name used as a string
// there stops the build, and no name of the configuration, the application's API, the HAL or
// the boot stub is on the list.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MARK, SHORT_PROPERTIES, SHORT_PREFIX, isClientModule, markProperties, shortPropertyNames, shortenProperties } from "../../tools/build/short-properties.mjs";

const root = resolve(import.meta.dirname, "../..");
const source = (file: string) => readFileSync(join(root, file), "utf8");

/** The member names of one TypeScript interface (nested object types included). */
function interfaceNames(file: string, name: string): string[] {
  const text = source(file);
  const start = text.indexOf("export interface " + name + " {");
  assert.ok(start >= 0, name + " in " + file);
  const end = text.indexOf("\n}\n", start);
  return [...text.slice(start, end).matchAll(/^\s*(\w+)\??\s*[:(]/gm)].map((m) => m[1]);
}

const rename = suite("markProperties and shortenProperties: the client's listed names shortened");
rename("a member and a key -> marked in a client module, then the short name (minified) or the name again (debug)", () => {
  const code = "function w(){var hubFailures=1,o={hubFailures:hubFailures,other:2};o.hubFailures++;return [o.hubFailures,o.other,\"text\"]}";
  const marked = markProperties(code, ["hubFailures"]);
  const m = "hubFailures" + MARK;
  assert.is(marked, "function w(){var hubFailures=1,o={" + m + ":hubFailures,other:2};o." + m + "++;return [o." + m + ",o.other,\"text\"]}");
  const short = shortPropertyNames(["hubFailures"]).get("hubFailures");
  assert.is(short, SHORT_PREFIX + "0");
  const minified = shortenProperties(marked, ["hubFailures"], true);
  assert.is(minified, "function w(){var hubFailures=1,o={" + short + ":hubFailures,other:2};o." + short + "++;return [o." + short + ",o.other,\"text\"]}");
  assert.equal(new Function(minified + "; return w();")(), [2, 2, "text"]);
  assert.is(shortenProperties(marked, ["hubFailures"], false), code);
});
rename("a listed name as a string in a client module (a computed key, `in`, a quoted key) -> a build error", () => {
  assert.throws(() => markProperties("o[\"hubFailures\"]=1", ["hubFailures"]), /the string "hubFailures"/);
  assert.throws(() => markProperties("var b=\"hubFailures\" in o", ["hubFailures"]), /the string "hubFailures"/);
  assert.throws(() => markProperties("var o={\"hubFailures\":1}", ["hubFailures"]), /the string "hubFailures"/);
});
rename("a short name the code already uses -> a build error in the minified output", () => {
  assert.throws(() => shortenProperties("o." + SHORT_PREFIX + "0=1", ["hubFailures"], true), /already has a property/);
  assert.is(shortenProperties("o." + SHORT_PREFIX + "0=1", ["hubFailures"], false), "o." + SHORT_PREFIX + "0=1");
});
rename("only the client's modules are marked: an application's own code keeps its names", () => {
  assert.ok(isClientModule(root, join(root, "firmware/device/index.ts")));
  assert.ok(isClientModule(root, join(root, "hal/espruino.ts")));
  assert.ok(isClientModule(root, join(root, "test/espruino/mqtt.probe.ts")));
  assert.not.ok(isClientModule(root, join(root, "examples/thermostat/main.ts")));
  assert.not.ok(isClientModule(root, join(root, "firmware-app/main.ts")));
});
rename.run();

const list = suite("SHORT_PROPERTIES: only the client's own names, each one worth a JsVar");
list("each name is longer than 8 characters (a shorter one fits in its variable), listed once", () => {
  for (const name of SHORT_PROPERTIES) assert.ok(name.length > 8, name);
  assert.is(new Set(SHORT_PROPERTIES).size, SHORT_PROPERTIES.length);
});
list("no name of the configuration (the file or its resolved form), the application's API, the HAL or the boot stub", () => {
  const external = new Set([
    ...interfaceNames("firmware/config.ts", "DeviceConfig"),
    ...interfaceNames("firmware/config.ts", "ResolvedConfig"),
    ...interfaceNames("hal/types.ts", "Hal"),
    ...interfaceNames("hal/types.ts", "Clock"),
    ...interfaceNames("hal/types.ts", "Timers"),
    ...interfaceNames("hal/espruino.ts", "EspruinoHalOptions"),
    ...interfaceNames("hal/espruino.ts", "EspruinoBoard"),
    ...["Store", "SocketOptions", "SocketEvents", "Socket", "Net", "Network", "MemoryFigures", "System"].flatMap((n) => interfaceNames("hal/types.ts", n)),
    ...interfaceNames("firmware/device/api.ts", "DeviceOptions"),
    ...interfaceNames("firmware/device/api.ts", "DeviceStats"),
    ...interfaceNames("firmware/device/api.ts", "Device"),
    ...interfaceNames("firmware/ota/slots.ts", "Selector"),
  ]);
  for (const name of ["keepAliveSeconds", "outboxMaxBytes", "sendTelemetry", "telemetryAcknowledged", "clearTimer", "utcSeconds", "writeChunk", "previousVersion"]) assert.ok(external.has(name), name);
  const boot = source("firmware/boot.ts");
  for (const name of SHORT_PROPERTIES) {
    assert.not.ok(external.has(name), name);
    assert.not.ok(new RegExp("\\b" + name + "\\b").test(boot), name + " in the boot stub");
  }
});
list("the minified bundles carry none of the names, the debug bundles all that they use", () => {
  const names = new RegExp("\\.(" + SHORT_PROPERTIES.join("|") + ")\\b");
  for (const file of ["warm", "mod-provisioning", "mod-updates", "mod-config"]) {
    assert.not.ok(names.test(source("dist/" + file + ".js")), file + ".js");
  }
  assert.ok(names.test(source("dist/warm.debug.js")));
});
list.run();
