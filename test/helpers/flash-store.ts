// A Store that behaves like Espruino's Storage on NOR flash, for tests of anything that must
// survive a power cut (the flash outbox, device tests): a record is created at its full size
// in erased bytes (0xFF) and later chunks may only program bytes still erased (or rewrite the
// same value), as Storage.write(name, data, offset, size) does. A power cut tears the write
// it interrupts at a random byte: a prefix reaches flash, the rest stays erased; after it no
// operation changes anything until powerOn(). It also counts what a flash would wear.
import { createHash } from "node:crypto";
import type { Store } from "../../hal/types";
import type { Prng } from "./prng";

/** Storage's header on every record (measured on espruino-esp32: fileBytes = size + 32). */
export const FLASH_RECORD_HEADER = 32;

export interface FlashStoreCounters {
  /** Mutating operations attempted (write, writeChunk, erase), powered or not. */
  ops: number;
  /** Bytes handed to write/writeChunk that reached flash. */
  programmed: number;
  /** Flash taken by new records: their size plus Storage's 32-byte header (what, once erased,
   *  becomes trash that compaction reclaims: the figure that drives erase cycles). */
  allocated: number;
  /** Records erased (become trash). */
  erased: number;
}

export interface FlashStore extends Store {
  readonly counters: FlashStoreCounters;
  readonly powered: boolean;
  /** Cuts the power during the nth mutating operation from now (1 = the next one). */
  cutAt(n: number): void;
  /** Cuts the power now (between operations). */
  powerOff(): void;
  powerOn(): void;
  /** Overwrites one byte as a flash fault would (no rules, no counting). */
  corrupt(name: string, offset: number, value: number): void;
  /** The raw bytes of a record (a copy), or undefined. */
  bytes(name: string): Uint8Array | undefined;
  /** What the last cut did, for test messages. */
  lastCut: string;
}

export function createFlashStore(prng: Prng): FlashStore {
  const records = new Map<string, Uint8Array>();
  const counters: FlashStoreCounters = { ops: 0, programmed: 0, allocated: 0, erased: 0 };
  let powered = true;
  let cutIn = 0;
  let lastCut = "";
  const valid = (name: string) => name.length > 0 && name.length <= 28;

  /** Counts the operation; returns how many of its n bytes reach flash (n = all, -1 = none). */
  function begin(what: string, n: number): number {
    counters.ops++;
    if (!powered) return -1;
    if (cutIn > 0 && --cutIn === 0) {
      powered = false;
      // Torn: 0..n-1 bytes of it land, never all of it.
      const landed = n > 0 ? prng.int(n) : -1;
      lastCut = `${what}: ${landed < 0 ? "nothing" : landed + "/" + n + " bytes"} written`;
      return landed;
    }
    return n;
  }

  function program(target: Uint8Array, data: Uint8Array, offset: number, count: number): void {
    for (let i = 0; i < count; i++) target[offset + i] = data[i];
    counters.programmed += count;
  }

  function create(name: string, size: number): Uint8Array {
    if (records.has(name)) counters.erased++;
    const r = new Uint8Array(size).fill(0xff);
    records.set(name, r);
    counters.allocated += size + FLASH_RECORD_HEADER;
    return r;
  }

  return {
    counters,
    get powered() {
      return powered;
    },
    get lastCut() {
      return lastCut;
    },
    cutAt(n: number) {
      cutIn = n;
    },
    powerOff() {
      powered = false;
    },
    powerOn() {
      powered = true;
      cutIn = 0;
    },
    corrupt(name, offset, value) {
      const r = records.get(name);
      if (r && offset < r.length) r[offset] = value;
    },
    bytes(name) {
      const r = records.get(name);
      return r ? r.slice() : undefined;
    },
    read(name) {
      const r = records.get(name);
      return r ? Buffer.from(r).toString("latin1") : undefined;
    },
    write(name, data) {
      if (!valid(name) || data.length === 0) return false;
      const bytes = Buffer.from(data, "latin1");
      // Storage writes the header (name, size) first: a record torn at byte 0 still exists.
      const landed = begin(`write ${name}`, bytes.length);
      if (landed < 0) return false;
      program(create(name, bytes.length), bytes, 0, landed);
      return landed === bytes.length;
    },
    erase(name) {
      // Storage marks the header as trash in one write: a cut leaves it done or not done.
      const landed = begin(`erase ${name}`, 2);
      if (landed <= 0) return;
      if (records.delete(name)) counters.erased++;
    },
    writeChunk(name, data, offset, totalSize) {
      if (!valid(name) || data.length === 0 || offset < 0 || offset + data.length > totalSize) return false;
      let target = records.get(name);
      if (offset > 0) {
        if (!target || target.length !== totalSize) return false;
        for (let i = 0; i < data.length; i++) {
          const have = target[offset + i];
          if (have !== 0xff && have !== data[i]) return false;
        }
      }
      const landed = begin(`chunk ${name}@${offset}`, data.length);
      if (landed < 0) return false;
      if (offset === 0) target = create(name, totalSize);
      program(target as Uint8Array, data, offset, landed);
      return landed === data.length;
    },
    list(prefix) {
      return [...records.keys()].filter((n) => n.startsWith(prefix)).sort();
    },
    digest(name) {
      const r = records.get(name);
      return r ? new Uint8Array(createHash("sha256").update(r).digest()) : undefined;
    },
  };
}
