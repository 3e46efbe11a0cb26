import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as names from "../firmware/storage-names";

const records = suite("storage names");
records("every name -> at most 28 characters (Espruino drops the rest silently)", () => {
  for (const [key, name] of Object.entries(names)) assert.ok(name.length > 0 && name.length <= 28, key + " = " + name);
});
records("names -> distinct, ASCII, and the boot stub is Espruino's .bootcde", () => {
  const values = Object.values(names);
  assert.is(new Set(values).size, values.length);
  for (const name of values) assert.ok(/^[\x21-\x7e]+$/.test(name), name);
  assert.is(names.BOOT_RECORD, ".bootcde");
  assert.is(names.CONFIG_RECORD, "azdevice.json");
  assert.is(names.APP_RECORD, "azapp.js");
});
records.run();
