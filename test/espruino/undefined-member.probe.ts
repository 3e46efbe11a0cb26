// An Espruino 2v29 quirk the boot stub (firmware/boot.ts) works around: reading a property
// that holds undefined from an object nothing else holds (a call's result, a literal)
// throws ReferenceError "<name> is not defined" instead of giving undefined. A missing
// property reads as undefined; an object held in a variable is fine. slots.ts loadSelector
// (`pickSelector(...).selector`) hits it when no valid selector is stored; terser's
// collapse_vars can also turn `var p = f(); return p.a` back into `f().a`, so a workaround
// reads the variable twice. The quirk itself is reported as NOTE lines (a fixed interpreter
// would not fail the probe); the checks cover the workarounds.
import { check, probe, done } from "./probe-kit";
import { pickSelector, loadSelector, SELECTOR_RECORD, SELECTOR_RECORD_2, type RecordStore } from "../../firmware/ota/slots";

console.log("VERSION " + process.version);

const storage = require("Storage");

/** { a: undefined, b: 1 }, built so that terser cannot see the undefined (it would fold the
 *  read away): a record that does not exist reads as undefined. */
function withUndefined(): { a: unknown; b: number } {
  return { a: storage.read("no-such-record"), b: 1 };
}

function throwsOnRead(read: () => unknown): string {
  try {
    read();
    return "reads undefined";
  } catch (e) {
    return "throws " + String((e as { message?: string }).message || e);
  }
}

console.log("NOTE undefined-valued property of a call's result: " + throwsOnRead(function () {
  return withUndefined().a;
}));

storage.erase(SELECTOR_RECORD);
storage.erase(SELECTOR_RECORD_2);
const store: RecordStore = {
  read: function (name: string) {
    return storage.read(name);
  },
  write: function () {
    return false;
  },
};
console.log("NOTE slots.loadSelector with no selector stored: " + throwsOnRead(function () {
  return loadSelector(store);
}));

probe("held in a variable (read twice) -> undefined, no error", function () {
  const o = withUndefined();
  return o.a === undefined && o.b === 1;
});
probe("missing property of a call's result -> undefined, no error", function () {
  return (withUndefined() as { c?: unknown }).c === undefined;
});
probe("pickSelector with no selector, held -> selector undefined, writes go to the first copy", function () {
  const pick = pickSelector(storage.read(SELECTOR_RECORD), storage.read(SELECTOR_RECORD_2));
  return (pick.selector === undefined && pick.writeTo === SELECTOR_RECORD) || JSON.stringify(pick);
});
check("done", true);
done();
