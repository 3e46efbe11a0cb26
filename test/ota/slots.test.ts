// Slots, the boot selector and the progress record: codecs, the boot decision table, the
// two-copy selector, and power loss at every flash operation of an update's selector writes
// (each leaves a bootable slot that the selector names).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  parseSelector, encodeSelector, pickSelector, bootDecision, bootSelect, stageUpdate, confirm, inactiveSlot, slotRecord,
  loadSelector, storeSelector, parseProgress, encodeProgress, resumeSplit,
  SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD, DEFAULT_MAX_TRIES,
  type Selector, type Progress,
} from "../../firmware/ota/slots";
import { ERR_OTA_SELECTOR_CORRUPT, ERR_OTA_PROGRESS_CORRUPT } from "../../firmware/status";
import { FlashStore, crashPoints, replay } from "./kit";

function sel(fields: Partial<Selector> = {}): Selector {
  return { seq: 1, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "", ...fields };
}

const HASH = "ab".repeat(32);

// ---------------------------------------------------------------------------------------

const names = suite("slots: names");

names("record names -> at most 28 characters, distinct", () => {
  const all = [SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD];
  for (const n of all) assert.ok(n.length <= 28, n);
  assert.is(new Set(all).size, all.length);
  assert.is(slotRecord("a"), "azapp.a.js");
  assert.is(slotRecord("b"), "azapp.b.js");
});

names("inactiveSlot -> the other one; no selector -> b", () => {
  assert.is(inactiveSlot(undefined), "b");
  assert.is(inactiveSlot(sel({ active: "a" })), "b");
  assert.is(inactiveSlot(sel({ active: "b", previous: "a" })), "a");
});

names.run();

// ---------------------------------------------------------------------------------------

const codec = suite("slots: selector and progress codecs");

codec("encodeSelector -> fixed compact JSON; parse round trip", () => {
  const s = sel({ seq: 7, active: "b", pending: true, tries: 1, previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "1.1" });
  const text = encodeSelector(s);
  assert.is(text, '{"seq":7,"active":"b","pending":true,"tries":1,"previous":"a","version":"1.2.0","previousVersion":"1.0.0","rejected":"1.1"}');
  assert.equal(JSON.parse(text), s);
  assert.equal(parseSelector(text), s);
});

codec("bad selectors -> ERR_OTA_SELECTOR_CORRUPT", () => {
  const good = encodeSelector(sel());
  const bad: Array<[string, string | undefined]> = [
    ["undefined", undefined],
    ["empty", ""],
    ["not JSON", "{seq:1}"],
    ["an array", "[1]"],
    ["torn: erased tail", good.slice(0, 30) + "\xff".repeat(good.length - 30)],
    ["torn: missing closing brace", good.slice(0, -1)],
    ["NUL bytes", good.slice(0, 10) + "\0" + good.slice(11)],
    ["active c", encodeSelector(sel({ active: "c" }))],
    ["previous equal to active", encodeSelector(sel({ previous: "a" }))],
    ["pending a string", good.replace('"pending":false', '"pending":"no"')],
    ["tries negative", encodeSelector(sel({ tries: -1 }))],
    ["tries fractional", encodeSelector(sel({ tries: 0.5 }))],
    ["seq missing", good.replace('"seq":1,', "")],
    ["version not a version", encodeSelector(sel({ version: "1.x" }))],
    ["rejected not a version", encodeSelector(sel({ rejected: "abc" }))],
    ["too long", "{" + '"x":"' + "a".repeat(600) + '"}'],
  ];
  for (const [what, text] of bad) assert.is(parseSelector(text), ERR_OTA_SELECTOR_CORRUPT, what);
});

codec("progress -> round trip; bad records -> ERR_OTA_PROGRESS_CORRUPT", () => {
  const p: Progress = { slot: "b", version: "1.2.0", sha256: HASH, size: 5000, offset: 4096 };
  const text = encodeProgress(p);
  assert.is(text, '{"slot":"b","version":"1.2.0","sha256":"' + HASH + '","size":5000,"offset":4096}');
  assert.equal(parseProgress(text), p);
  for (const [what, t] of [
    ["torn", text.slice(0, 20) + "\xff".repeat(20)],
    ["offset beyond size", encodeProgress({ ...p, offset: 5001 })],
    ["size 0", encodeProgress({ ...p, size: 0, offset: 0 })],
    ["slot c", encodeProgress({ ...p, slot: "c" })],
    ["upper-case hash", encodeProgress({ ...p, sha256: HASH.toUpperCase() })],
    ["short hash", encodeProgress({ ...p, sha256: "ab" })],
    ["bad version", encodeProgress({ ...p, version: "" })],
    ["missing", undefined],
  ] as Array<[string, string | undefined]>) {
    assert.is(parseProgress(t), ERR_OTA_PROGRESS_CORRUPT, what);
  }
});

codec.run();

// ---------------------------------------------------------------------------------------

const decide = suite("slots: bootDecision table");

decide("no selector -> slot a, nothing written", () => {
  assert.equal(bootDecision(undefined, 1), { slot: "a" });
});

decide("not pending -> the active slot, nothing written", () => {
  assert.equal(bootDecision(sel({ active: "b", previous: "a" }), 1), { slot: "b" });
  assert.equal(bootDecision(sel({ active: "a", rejected: "2.0" }), 1), { slot: "a" });
});

decide("pending, tries below the limit -> the new slot, tries + 1, seq + 1", () => {
  const s = sel({ seq: 4, active: "b", pending: true, tries: 0, previous: "a", version: "1.2.0", previousVersion: "1.0.0" });
  assert.equal(bootDecision(s, 1), { slot: "b", write: { ...s, seq: 5, tries: 1 } });
  assert.equal(bootDecision({ ...s, tries: 2 }, 3), { slot: "b", write: { ...s, seq: 5, tries: 3 } });
});

decide("pending, tries at the limit -> roll back: previous active, rejected = new version", () => {
  const s = sel({ seq: 5, active: "b", pending: true, tries: 1, previous: "a", version: "1.2.0", previousVersion: "1.0.0" });
  assert.equal(bootDecision(s, 1), {
    slot: "a",
    write: { seq: 6, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "1.2.0" },
  });
});

decide("pending with no previous slot -> keeps booting the active slot, tries bounded", () => {
  const s = sel({ active: "b", pending: true, tries: 0, previous: "", version: "2.0" });
  assert.equal(bootDecision(s, 1), { slot: "b", write: { ...s, seq: 2, tries: 1 } });
  assert.equal(bootDecision({ ...s, tries: 1 }, 1), { slot: "b" });
});

decide("maxTries below 1 -> counts as 1", () => {
  const s = sel({ active: "b", pending: true, tries: 0, previous: "a", version: "2.0" });
  assert.is(bootDecision(s, 0).slot, "b");
  assert.is(bootDecision({ ...s, tries: 1 }, 0).slot, "a");
  assert.is(DEFAULT_MAX_TRIES, 2);
});

decide("stageUpdate -> inactive slot, pending, way back kept; no selector -> from slot a", () => {
  assert.equal(stageUpdate(undefined, "1.2.0", "1.0.0"), {
    seq: 1, active: "b", pending: true, tries: 0, previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "",
  });
  const s = sel({ seq: 9, active: "b", previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "1.1" });
  assert.equal(stageUpdate(s, "1.3.0"), {
    seq: 10, active: "a", pending: true, tries: 0, previous: "b", version: "1.3.0", previousVersion: "1.2.0", rejected: "1.1",
  });
  assert.is(stageUpdate(undefined, "2", "not a version").previousVersion, "");
});

decide("confirm -> not pending, tries 0, nothing rejected, seq + 1", () => {
  const s = sel({ seq: 3, active: "b", pending: true, tries: 1, previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "1.1" });
  assert.equal(confirm(s), { ...s, seq: 4, pending: false, tries: 0, rejected: "" });
});

decide.run();

// ---------------------------------------------------------------------------------------

const copies = suite("slots: two selector copies");

copies("pickSelector -> the valid copy with the higher seq; write goes to the other", () => {
  const old = encodeSelector(sel({ seq: 3 }));
  const neu = encodeSelector(sel({ seq: 4, active: "b", previous: "a" }));
  assert.equal(pickSelector(old, neu), { selector: parseSelector(neu) as Selector, writeTo: SELECTOR_RECORD });
  assert.equal(pickSelector(neu, old), { selector: parseSelector(neu) as Selector, writeTo: SELECTOR_RECORD_2 });
  assert.equal(pickSelector(old, "{torn\xff"), { selector: parseSelector(old) as Selector, writeTo: SELECTOR_RECORD_2 });
  assert.equal(pickSelector(undefined, old), { selector: parseSelector(old) as Selector, writeTo: SELECTOR_RECORD });
  assert.equal(pickSelector(undefined, "x"), { selector: undefined, writeTo: SELECTOR_RECORD });
  assert.is(pickSelector(old, old).writeTo, SELECTOR_RECORD_2, "tie -> first wins");
});

copies("storeSelector / loadSelector -> alternate copies, the newest always loads", () => {
  const store = new FlashStore();
  let s = sel({ seq: 0 });
  const targets: string[] = [];
  for (let i = 0; i < 5; i++) {
    s = { ...s, seq: s.seq + 1 };
    const before = pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2)).writeTo;
    assert.ok(storeSelector(store, s));
    targets.push(before);
    assert.equal(loadSelector(store), s);
  }
  assert.equal(targets, [SELECTOR_RECORD, SELECTOR_RECORD_2, SELECTOR_RECORD, SELECTOR_RECORD_2, SELECTOR_RECORD]);
});

copies("every pair of stored copies -> bootSelect boots an existing slot the winning selector names", () => {
  const valid = [
    sel({ seq: 1 }),
    sel({ seq: 2, active: "b", pending: true, tries: 0, previous: "a", version: "2.0" }),
    sel({ seq: 3, active: "b", pending: true, tries: 1, previous: "a", version: "2.0", previousVersion: "1.0.0" }),
    sel({ seq: 4, active: "b", previous: "a", version: "2.0" }),
    sel({ seq: 5, active: "a", pending: true, tries: 5, previous: "", version: "3.0" }),
  ];
  const texts: Array<string | undefined> = [undefined, "", "garbage", "{\"seq\":9,\"act\xff\xff\xff"];
  for (const v of valid) {
    const t = encodeSelector(v);
    texts.push(t, t.slice(0, t.length >> 1) + "\xff".repeat(t.length - (t.length >> 1)));
  }
  let cases = 0;
  for (const t1 of texts) {
    for (const t2 of texts) {
      for (const slots of [["a", "b"], ["a"], ["b"]]) {
        const store = new FlashStore();
        if (t1 !== undefined && t1 !== "") store.files.set(SELECTOR_RECORD, t1);
        if (t2 !== undefined && t2 !== "") store.files.set(SELECTOR_RECORD_2, t2);
        for (const slot of slots) store.files.set(slotRecord(slot), "app " + slot);
        const pick = pickSelector(t1, t2);
        const winner = pick.selector ? (pick.writeTo === SELECTOR_RECORD_2 ? t1 : t2) : undefined;
        const booted = bootSelect(store, 1);
        cases++;
        assert.ok(booted === SLOT_A_RECORD || booted === SLOT_B_RECORD, "a slot record");
        assert.ok(store.read(booted) !== undefined, "it exists");
        const expected = slotRecord(bootDecision(pick.selector, 1).slot);
        if (slots.length === 2) assert.is(booted, expected, "the decision's slot when both exist");
        // The copy that won is never overwritten by the stub.
        if (winner !== undefined) assert.ok(store.read(SELECTOR_RECORD) === winner || store.read(SELECTOR_RECORD_2) === winner);
        // After the stub, the stored selector (if any) names the slot that runs, or the stub had to fall back.
        const after = loadSelector(store);
        if (after && slots.length === 2) assert.is(slotRecord(after.active), booted);
      }
    }
  }
  assert.ok(cases > 500);
});

copies("no slot at all -> \"\"", () => {
  assert.is(bootSelect(new FlashStore(), 1), "");
});

copies.run();

// ---------------------------------------------------------------------------------------

const power = suite("slots: power loss during selector writes");

/** Flash of a device running 1.0.0 from slot a (as flashed), with 2.0 already in slot b. */
function flashed(): FlashStore {
  const store = new FlashStore();
  store.files.set(SLOT_A_RECORD, "app 1.0.0");
  store.files.set(SLOT_B_RECORD, "app 2.0");
  storeSelector(store, sel({ seq: 1, version: "1.0.0" }));
  return new FlashStore(store.snapshot());
}

/** The stored selector names a slot whose content is that selector's version. */
function assertKnown(files: Map<string, string>, label: string): string {
  const store = new FlashStore(files);
  const booted = bootSelect(store, 1);
  assert.ok(booted !== "", label + ": something boots");
  const s = loadSelector(store);
  const runs = (store.read(booted) as string).slice(4);
  if (s) {
    assert.is(slotRecord(s.active), booted, label + ": the selector names the slot that runs");
    assert.is(s.version, runs, label + ": and its version");
  } else {
    assert.is(booted, SLOT_A_RECORD, label + ": no selector -> slot a");
  }
  return runs;
}

power("switch, boot, confirm: every crash point -> a known slot, the version each phase implies", () => {
  const store = flashed();
  const initial = store.snapshot();
  const staged = stageUpdate(loadSelector(store), "2.0", "1.0.0");
  storeSelector(store, staged);
  const switched = store.ops.length;
  assert.is(bootSelect(store, 1), SLOT_B_RECORD);
  const counted = store.ops.length;
  storeSelector(store, confirm(loadSelector(store) as Selector));
  const points = crashPoints(store.ops);
  assert.ok(points.length >= 12);
  for (const p of points) {
    const runs = assertKnown(replay(initial, store.ops, p), p.label);
    // Before the switch is stored: 1.0.0. Stored, trial boot not yet counted: 2.0 boots (its
    // trial). Counted but not confirmed: the trial is used up, so the stub rolls back (a
    // power loss inside the confirmation window counts as a failed trial with maxTries 1).
    // Confirmed: 2.0.
    const expected = p.done < switched ? "1.0.0" : p.done < counted ? "2.0" : p.done < store.ops.length ? "1.0.0" : "2.0";
    assert.is(runs, expected, p.label);
  }
});

power("maxTries 2 -> a power loss inside the confirmation window keeps the new version", () => {
  const store = flashed();
  storeSelector(store, stageUpdate(loadSelector(store), "2.0", "1.0.0"));
  assert.is(bootSelect(store, 2), SLOT_B_RECORD, "trial 1 (power lost before confirming)");
  assert.is(bootSelect(store, 2), SLOT_B_RECORD, "trial 2");
  assert.is(bootSelect(store, 2), SLOT_A_RECORD, "then the way back");
});

power("rollback path: every crash point -> a known slot, and it ends on 1.0.0", () => {
  const staging = flashed();
  storeSelector(staging, stageUpdate(loadSelector(staging), "2.0", "1.0.0"));
  const initial = staging.snapshot();
  const store = new FlashStore(initial);
  assert.is(bootSelect(store, 1), SLOT_B_RECORD, "first boot of 2.0");
  assert.is(bootSelect(store, 1), SLOT_A_RECORD, "second boot: rolled back");
  assert.is(loadSelector(store)?.rejected, "2.0");
  for (const p of crashPoints(store.ops)) {
    const files = replay(initial, store.ops, p);
    assertKnown(files, p.label);
    // Keep rebooting from there: within two more boots the device runs 1.0.0, 2.0 rejected.
    const again = new FlashStore(files);
    bootSelect(again, 1);
    const last = bootSelect(again, 1);
    assert.is(last, SLOT_A_RECORD, p.label);
    assert.is(loadSelector(again)?.rejected, "2.0", p.label);
  }
});

power.run();

// ---------------------------------------------------------------------------------------

const resume = suite("slots: resumeSplit");

resume("stored bytes equal then erased -> index of the first erased byte", () => {
  const data = new Uint8Array([1, 2, 3, 4]);
  assert.is(resumeSplit("\xff\xff\xff\xff", data), 0);
  assert.is(resumeSplit("\x01\x02\xff\xff", data), 2);
  assert.is(resumeSplit("\x01\x02\x03\x04", data), 4);
  assert.is(resumeSplit("\x01\x02\x03\x04\x05", data), 4, "longer stored text -> only the chunk's span counts");
});

resume("data bytes 0xFF over erased flash -> still fine", () => {
  assert.is(resumeSplit("\x01\xff\xff", new Uint8Array([1, 0xff, 7])), 2);
});

resume("a differing byte, or written bytes after the split -> -1", () => {
  assert.is(resumeSplit("\x01\x09\xff\xff", new Uint8Array([1, 2, 3, 4])), -1);
  assert.is(resumeSplit("\x01\xff\x03\xff", new Uint8Array([1, 2, 3, 4])), -1);
  assert.is(resumeSplit("\x01", new Uint8Array([1, 2])), -1, "too short");
});

resume.run();
