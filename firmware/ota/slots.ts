// Application slots A/B in Storage, the boot selector, and the download progress record
// (OTA here means replacing the application bundle in Storage).
//
// Why two selector copies: Espruino Storage rewrites a file by erasing the old one first and
// then writing the new one (jsflash.c jsfWriteFile), so a power loss in between leaves no
// record, or a record whose tail is still erased flash (0xFF). The selector therefore lives
// in two records, SELECTOR_RECORD and SELECTOR_RECORD_2, each with a sequence number. Readers
// take the valid copy with the higher seq; writers overwrite the other copy (the older or the
// broken one). A torn write only ever destroys the older copy, so every power loss leaves
// either the state before the write or the state after it.
//
// The boot rule (bootDecision, run by the boot stub before anything else):
//   no valid selector                          -> slot a, nothing written
//   pending, tries >= maxTries, previous known -> roll back: active = previous, pending off,
//                                                 rejected = the failed version
//   pending otherwise                          -> tries + 1, boot the new slot
//   not pending                                -> boot the active slot
// The application confirms a pending slot (confirm) once it reached Connected; the agent
// (agent.ts) decides when. bootSelect() is the whole stub procedure over a tiny store.
// maxTries 2 (DEFAULT_MAX_TRIES) gives the new application two boots to prove itself: a
// power loss inside its first confirmation window (a field device losing power for a moment)
// does not reject a good version, and a bad build costs at most two windows. maxTries 1
// would roll back, and reject that version, on any reboot before the confirmation.
// A rolled-back version is refused until a different version is announced.
import { isVersion } from "./manifest";
import { ERR_OTA_SELECTOR_CORRUPT, ERR_OTA_PROGRESS_CORRUPT } from "../status";

/** Storage names (<= 28 characters: Espruino silently truncates longer ones). */
export const SLOT_A_RECORD = "azapp.a.js";
export const SLOT_B_RECORD = "azapp.b.js";
export const SELECTOR_RECORD = "azboot.json";
export const SELECTOR_RECORD_2 = "azboot2.json";
export const PROGRESS_RECORD = "azota.json";

/** Boots on an unconfirmed slot before the stub rolls back (1: roll back on the next boot). */
export const DEFAULT_MAX_TRIES = 2;
/** The bound on the tries counter kept in the selector. */
const MAX_TRIES_STORED = 1000;
const MAX_SEQ = 0x7fffffff;

export interface Selector {
  /** Write sequence: of two valid copies the higher wins. */
  seq: number;
  /** The slot to boot: "a" or "b". */
  active: string;
  /** The active slot was just installed and has not confirmed itself yet. */
  pending: boolean;
  /** Boots of the pending slot so far. */
  tries: number;
  /** The slot to return to ("a", "b" or "" for none). */
  previous: string;
  /** Version of the active slot's application ("" when unknown). */
  version: string;
  /** Version in the previous slot. */
  previousVersion: string;
  /** A version that was installed and rolled back ("" for none): not installed again. */
  rejected: string;
}

/** Where an interrupted download stands; written every few KB while downloading. */
export interface Progress {
  /** The slot being written. */
  slot: string;
  version: string;
  sha256: string;
  size: number;
  /** Bytes written from the start of the file. */
  offset: number;
}

/** The minimal record store bootSelect/loadSelector/storeSelector need (hal Store fits). */
export interface RecordStore {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}

export interface BootDecision {
  /** "a" or "b". */
  slot: string;
  /** A selector to store before booting (tries counted, or a rollback). */
  write?: Selector;
}

export function slotRecord(slot: string): string {
  return slot === "b" ? SLOT_B_RECORD : SLOT_A_RECORD;
}

function otherSlot(slot: string): string {
  return slot === "b" ? "a" : "b";
}

/** The slot an update is written to: the one not active ("b" when there is no selector). */
export function inactiveSlot(selector: Selector | undefined): string {
  return otherSlot(selector ? selector.active : "a");
}

function isSlot(v: unknown): boolean {
  return v === "a" || v === "b";
}

function isCount(v: unknown, max: number): boolean {
  return typeof v === "number" && v === Math.floor(v) && v >= 0 && v <= max;
}

function isVersionOrEmpty(v: unknown): boolean {
  return v === "" || isVersion(v);
}

/** Parses JSON text of an object, refusing what a torn flash write leaves behind: bytes
 *  outside printable ASCII (erased flash reads 0xFF) or a text that does not end in "}". */
function parseRecord(text: string | undefined): { [k: string]: unknown } | undefined {
  if (typeof text !== "string" || text.length < 2 || text.length > 512 || text.charCodeAt(text.length - 1) !== 125) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return value as { [k: string]: unknown };
}

/** The selector in text, or ERR_OTA_SELECTOR_CORRUPT (torn, not JSON, a field missing or
 *  out of range, previous equal to active). */
export function parseSelector(text: string | undefined): Selector | number {
  const o = parseRecord(text);
  if (!o) return ERR_OTA_SELECTOR_CORRUPT;
  if (!isCount(o.seq, MAX_SEQ) || !isSlot(o.active) || typeof o.pending !== "boolean" || !isCount(o.tries, MAX_TRIES_STORED) ||
    !(o.previous === "" || isSlot(o.previous)) || o.previous === o.active ||
    !isVersionOrEmpty(o.version) || !isVersionOrEmpty(o.previousVersion) || !isVersionOrEmpty(o.rejected)) {
    return ERR_OTA_SELECTOR_CORRUPT;
  }
  return {
    seq: o.seq as number,
    active: o.active as string,
    pending: o.pending as boolean,
    tries: o.tries as number,
    previous: o.previous as string,
    version: o.version as string,
    previousVersion: o.previousVersion as string,
    rejected: o.rejected as string,
  };
}

/** Compact JSON, fields in a fixed order (every string field is a slot or a version). */
export function encodeSelector(s: Selector): string {
  return "{\"seq\":" + s.seq + ",\"active\":\"" + s.active + "\",\"pending\":" + (s.pending ? "true" : "false") +
    ",\"tries\":" + s.tries + ",\"previous\":\"" + s.previous + "\",\"version\":\"" + s.version +
    "\",\"previousVersion\":\"" + s.previousVersion + "\",\"rejected\":\"" + s.rejected + "\"}";
}

export interface SelectorPick {
  selector: Selector | undefined;
  /** The record the next selector must be written to (never the one holding `selector`). */
  writeTo: string;
}

/** Of the two copies' texts, the valid one with the higher seq (the first on a tie), and
 *  the record to overwrite next. */
export function pickSelector(text1: string | undefined, text2: string | undefined): SelectorPick {
  const s1 = parseSelector(text1);
  const s2 = parseSelector(text2);
  const v1 = typeof s1 !== "number";
  const v2 = typeof s2 !== "number";
  if (v1 && (!v2 || (s1 as Selector).seq >= (s2 as Selector).seq)) return { selector: s1 as Selector, writeTo: SELECTOR_RECORD_2 };
  if (v2) return { selector: s2 as Selector, writeTo: SELECTOR_RECORD };
  return { selector: undefined, writeTo: SELECTOR_RECORD };
}

function copySelector(s: Selector): Selector {
  return {
    seq: s.seq,
    active: s.active,
    pending: s.pending,
    tries: s.tries,
    previous: s.previous,
    version: s.version,
    previousVersion: s.previousVersion,
    rejected: s.rejected,
  };
}

function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? MAX_SEQ : seq + 1;
}

/** THE boot rule (see the header). maxTries below 1 counts as 1. */
export function bootDecision(selector: Selector | undefined, maxTries: number): BootDecision {
  if (!selector) return { slot: "a" };
  if (!selector.pending) return { slot: selector.active };
  const limit = maxTries < 1 ? 1 : maxTries;
  if (selector.tries >= limit && selector.previous !== "") {
    const back = copySelector(selector);
    back.seq = nextSeq(selector.seq);
    back.active = selector.previous;
    back.pending = false;
    back.tries = 0;
    back.previous = "";
    back.version = selector.previousVersion;
    back.previousVersion = "";
    back.rejected = selector.version;
    return { slot: back.active, write: back };
  }
  if (selector.tries >= limit) return { slot: selector.active }; // nothing to return to
  const counted = copySelector(selector);
  counted.seq = nextSeq(selector.seq);
  counted.tries = selector.tries + 1;
  return { slot: selector.active, write: counted };
}

/** The selector that boots an update just written to the inactive slot: pending, no tries
 *  yet, the old active slot kept as the way back. currentVersion names the running
 *  application when there is no selector yet (a freshly flashed device runs slot a). */
export function stageUpdate(selector: Selector | undefined, version: string, currentVersion?: string): Selector {
  const base: Selector = selector ? selector : {
    seq: 0, active: "a", pending: false, tries: 0, previous: "",
    version: isVersion(currentVersion) ? (currentVersion as string) : "", previousVersion: "", rejected: "",
  };
  return {
    seq: nextSeq(base.seq),
    active: otherSlot(base.active),
    pending: true,
    tries: 0,
    previous: base.active,
    version: version,
    previousVersion: base.version,
    rejected: base.rejected,
  };
}

/** The selector once the new application proved itself: not pending, nothing rejected. */
export function confirm(selector: Selector): Selector {
  const s = copySelector(selector);
  s.seq = nextSeq(selector.seq);
  s.pending = false;
  s.tries = 0;
  s.rejected = "";
  return s;
}

/** The selector as stored (undefined when neither copy is valid). */
export function loadSelector(store: RecordStore): Selector | undefined {
  // Held in a variable and read twice: on 2v29, reading a member that holds undefined
  // straight off a call's result throws ReferenceError (test/espruino/undefined-member.probe.ts),
  // and terser would fold a single read back into that form.
  const pick = pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2));
  return pick.selector !== undefined ? pick.selector : undefined;
}

/** Writes s over the older (or broken) copy; false when the store refused. */
export function storeSelector(store: RecordStore, s: Selector): boolean {
  const pick = pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2));
  return store.write(pick.writeTo, encodeSelector(s));
}

/**
 * The boot stub's whole procedure: read the selector, apply bootDecision, store what it says,
 * and name the slot record to run. When that record is missing the other slot is tried.
 * Returns the record name, or "" when neither slot exists.
 */
export function bootSelect(store: RecordStore, maxTries: number): string {
  const pick = pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2));
  const decision = bootDecision(pick.selector, maxTries);
  if (decision.write) store.write(pick.writeTo, encodeSelector(decision.write));
  const name = slotRecord(decision.slot);
  if (store.read(name) !== undefined) return name;
  const other = slotRecord(otherSlot(decision.slot));
  return store.read(other) !== undefined ? other : "";
}

/** The progress record in text, or ERR_OTA_PROGRESS_CORRUPT. */
export function parseProgress(text: string | undefined): Progress | number {
  const o = parseRecord(text);
  if (!o) return ERR_OTA_PROGRESS_CORRUPT;
  const hash = o.sha256;
  if (!isSlot(o.slot) || !isVersion(o.version) || typeof hash !== "string" || hash.length !== 64 ||
    !isCount(o.size, MAX_SEQ) || !isCount(o.offset, o.size as number) || (o.size as number) < 1) {
    return ERR_OTA_PROGRESS_CORRUPT;
  }
  for (let i = 0; i < 64; i++) {
    const c = hash.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return ERR_OTA_PROGRESS_CORRUPT;
  }
  return { slot: o.slot as string, version: o.version as string, sha256: hash, size: o.size as number, offset: o.offset as number };
}

export function encodeProgress(p: Progress): string {
  return "{\"slot\":\"" + p.slot + "\",\"version\":\"" + p.version + "\",\"sha256\":\"" + p.sha256 +
    "\",\"size\":" + p.size + ",\"offset\":" + p.offset + "}";
}

/**
 * Resuming after a power loss rewrites bytes that reached flash after the last progress
 * record, and Espruino Storage refuses to write over flash that is not erased. Given the
 * bytes now stored where a chunk goes (Storage.read(name, offset, bytes.length)), returns
 * the index in `bytes` from which to write: everything before it is already stored exactly,
 * everything from it on is still erased (0xFF). bytes.length means nothing is left to write;
 * -1 means the stored bytes differ (start the file again from 0).
 */
export function resumeSplit(stored: string, bytes: Uint8Array): number {
  const n = bytes.length;
  if (stored.length < n) return -1;
  let i = 0;
  while (i < n && stored.charCodeAt(i) === bytes[i]) i++;
  for (let k = i; k < n; k++) if (stored.charCodeAt(k) !== 0xff) return -1;
  return i;
}
