// The boot stub: what Espruino runs at power-on (BOOT_RECORD ".bootcde", written by
// npm run flash from dist/boot.js). It picks the application slot with the boot rule of
// ota/slots.ts (bootSelect: counts a try of an unconfirmed update, or returns to the previous
// slot once the update used its tries) and runs that slot's record.
//
// How the application runs: eval of the record straight from Storage, a flash-backed string,
// so function bodies stay in memory-mapped flash (reference/espruino.md sections 6-7). The
// eval must happen at the top level of .bootcde, as a one-line `eval(read(...))` stub does:
// Espruino's eval runs in the calling function's scope and every function then carries a
// copy of the whole scope chain, so an eval inside this module's function would keep the
// stub alive for good and cost the application JsVars per closure. This module therefore
// only computes a short statement (bootStatement) and returns it as its default export; the
// pipeline (tools/build, evalResult) turns the bundle into `eval(<this module>)`, and that
// statement runs at .bootcde's top level once this module's function has returned.
//
// Failure handling, never a boot loop:
// - no slot record at all: one line naming the fix, then nothing runs;
// - the application throws while it starts: the error is printed; when it is an
//   unconfirmed update, the board reboots at once (each boot counts a try, and after
//   DEFAULT_MAX_TRIES the stub returns to the previous slot);
// - an unconfirmed update that never confirms because its update agent never started
//   (nothing else enforces the confirmation window): a guard timer reboots after
//   STUB_GUARD_MS unless a newer selector was stored since this boot (the confirmation).
//   The agent's own window is at most 10 minutes (config.ts caps
//   ota.confirmWindowSeconds at 600 s), so the guard acts only when the agent does not.
// The stub reboots only when that makes progress: this boot's try was stored and the
// previous slot's record exists. Otherwise it prints the error and leaves the board up.
import {
  bootSelect, pickSelector, slotRecord, DEFAULT_MAX_TRIES, SELECTOR_RECORD, SELECTOR_RECORD_2, Selector, SelectorPick, RecordStore,
} from "./ota/slots";

// This file is also type-checked by the Node configuration (firmware/**): it declares the
// interpreter globals it uses instead of relying on the Espruino typings. (E.reboot() and
// print appear only in the code text it builds.)
declare function require(name: "Storage"): StorageApi;
/** Espruino evaluates a string timer at the top level when it fires. */
declare function setTimeout(code: string, ms: number): number;

interface StorageApi {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}

/** The guard: longer than any confirmation window the configuration allows (600 s, config.ts). */
const STUB_GUARD_MS = 15 * 60 * 1000;
/** Espruino keeps 28 characters of a name and drops the rest silently. */
const MAX_NAME = 28;
const PREFIX = "azure-iot boot: ";

const storage = require("Storage");

const store: RecordStore = {
  read: function (name: string) {
    return storage.read(name);
  },
  write: function (name: string, data: string) {
    if (data.length === 0 || name.length > MAX_NAME) return false;
    try {
      return storage.write(name, data) !== false;
    } catch (e) {
      return false;
    }
  },
};

/**
 * The selectors as stored (slots.ts loadSelector reads `.selector` straight off the object
 * pickSelector returns). Espruino 2v29 throws ReferenceError when code reads a property
 * holding undefined from an object nothing else holds (measured:
 * `function f(){return {a:void 0}} f().a`), which is what loadSelector does when there is
 * no valid selector. Callers keep the result in a variable.
 */
function stored(): SelectorPick {
  return pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2));
}

/**
 * True when a reboot moves the unconfirmed update s towards its rollback: this boot's try
 * was stored (before: the selector before bootSelect), so the count reaches the limit, and
 * the previous slot is there to return to. Otherwise a reboot would only loop.
 */
function rebootRollsBack(s: Selector | undefined, before: Selector | undefined): boolean {
  return s !== undefined && before !== undefined && s.pending && s.tries > before.tries && s.previous !== "" &&
    store.read(slotRecord(s.previous)) !== undefined;
}

/**
 * The guard, as top-level code for a string timer (a function here would hold this whole
 * module, about 200 JsVars, for the 15 minutes): the application confirming itself, or
 * anything else changing the selector, stores a selector with a higher seq into the other
 * copy (slots.ts storeSelector); when none is there, reboot.
 */
function guardCode(other: string, seq: number): string {
  const say = PREFIX + "the update is still unconfirmed after " + STUB_GUARD_MS / 60000 + " min: rebooting (another trial, or back to the previous application)";
  return "(function(n){if(!n||!(n.seq>" + seq + ")){print(" + JSON.stringify(say) + ");E.reboot()}})(require(\"Storage\").readJSON(" +
    JSON.stringify(other) + ",1))";
}

/** Chooses the slot and returns the statement that runs it ("" when there is none). */
function bootStatement(): string {
  const first = stored();
  const before = first.selector === undefined ? undefined : first.selector;
  const name = bootSelect(store, DEFAULT_MAX_TRIES);
  if (name === "") {
    console.log(PREFIX + "no application in Storage (" + slotRecord("a") + " and " + slotRecord("b") +
      " are missing). Flash it from the project: npm run flash -- --port <port> --config device.json");
    return "";
  }
  const now = stored();
  const s = now.selector === undefined ? undefined : now.selector;
  const pending = s !== undefined && s.pending && slotRecord(s.active) === name;
  const rollback = pending && rebootRollsBack(s, before);
  if (rollback) setTimeout(guardCode(now.writeTo, (s as Selector).seq), STUB_GUARD_MS);
  const failed = PREFIX + name + (pending ? " (an unconfirmed update)" : "") + " stopped with an error: ";
  const then = rollback ? "; rebooting (another trial, or back to the previous application)" : "; not restarting it";
  // AZSLOT: the file whose on-demand modules AZLOAD reads (the loader heads .bootcde).
  return "AZSLOT=" + JSON.stringify(name) + ";try{eval(require(\"Storage\").read(" + JSON.stringify(name) + "))}catch(e){print(" + JSON.stringify(failed) + "+e+" +
    JSON.stringify(then) + ")" + (rollback ? ";E.reboot()" : "") + "}";
}

export default bootStatement();
