// Short property names in the minified bundles: the listed names are renamed where they are
// written as `.name` or `{name: ...}`, a listed name used as a string stops the build, and no
// name of the configuration file, the application's API or the boot stub is on the list.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SHORT_PROPERTIES, SHORT_PREFIX, shortPropertyNames, shortenProperties } from "../../tools/build/short-properties.mjs";

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

const rename = suite("shortenProperties: listed names shortened where written as names");
rename("a member and a key -> the short name; other names, locals and strings untouched", () => {
  const code = "function w(){var hubFailures=1,o={hubFailures:hubFailures,other:2};o.hubFailures++;return [o.hubFailures,o.other,\"text\"]}";
  const short = shortPropertyNames(["hubFailures"]).get("hubFailures");
  assert.is(short, SHORT_PREFIX + "0");
  const out = shortenProperties(code, ["hubFailures"]);
  assert.is(out, "function w(){var hubFailures=1,o={" + short + ":hubFailures,other:2};o." + short + "++;return [o." + short + ",o.other,\"text\"]}");
  assert.equal(new Function(out + "; return w();")(), [2, 2, "text"]);
});
rename("a listed name as a string (a computed key, `in`, a quoted key) -> a build error", () => {
  assert.throws(() => shortenProperties("o[\"hubFailures\"]=1", ["hubFailures"]), /the string "hubFailures"/);
  assert.throws(() => shortenProperties("var b=\"hubFailures\" in o", ["hubFailures"]), /the string "hubFailures"/);
  assert.throws(() => shortenProperties("var o={\"hubFailures\":1}", ["hubFailures"]), /the string "hubFailures"/);
});
rename("a short name the code already uses -> a build error", () => {
  assert.throws(() => shortenProperties("o." + SHORT_PREFIX + "0=1", ["hubFailures"]), /already has a property/);
});
rename.run();

const list = suite("SHORT_PROPERTIES: only the client's own names, each one worth a JsVar");
list("each name is longer than 8 characters (a shorter one fits in its variable), listed once", () => {
  for (const name of SHORT_PROPERTIES) assert.ok(name.length > 8, name);
  assert.is(new Set(SHORT_PROPERTIES).size, SHORT_PROPERTIES.length);
});
list("no name of the configuration file, the application's API or the boot stub", () => {
  const external = new Set([
    ...interfaceNames("firmware/config.ts", "DeviceConfig"),
    ...interfaceNames("firmware/device/api.ts", "DeviceOptions"),
    ...interfaceNames("firmware/device/api.ts", "DeviceStats"),
    ...interfaceNames("firmware/device/api.ts", "Device"),
    ...interfaceNames("firmware/ota/slots.ts", "Selector"),
  ]);
  assert.ok(external.has("keepAliveSeconds") && external.has("sendTelemetry") && external.has("telemetryAcknowledged") && external.has("previousVersion"));
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
