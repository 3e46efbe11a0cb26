// The fleet simulator's event queue: a two-level timing wheel over typed arrays, sized for
// millions of pending events. Times are integer milliseconds in [0, 2^31). Each entry id
// (0 .. capacity-1) is pending at most once: pushing it again moves it. Level 1 has one slot
// per millisecond of the current block (2^20 ms, 17.5 minutes, by default: most retry waits
// fall within it, so most entries are linked once); level 2 one slot per later block. When the clock enters a block, that block's level-2 slot is spread
// into level 1. Push, remove and pop are O(1); empty milliseconds are skipped a block at a
// time when level 1 is empty. Entries due in the same millisecond come out last-pushed first
// (deterministic).
//
// With a million devices the queue is bound by memory latency, so it touches as few places as
// it can: a level-1 slot holds its first entry's id itself (most hold one or none), and the
// rest in a singly linked list of nodes from a pool; a move or a removal only marks the old
// place dead (the entry records its one live place), where a doubly linked list would touch
// the neighbours' entries, random places in memory, on every push and removal. Dead places
// are dropped when the clock reaches them. A level-2 slot keeps its entries in chunks of 14 ids
// side by side (spreading a block reads them in order, newest first, as a linked list of the
// pushes would give them, without a cache miss per entry to find the next one). Each entry has
// 4 bytes of the caller's beside its time (`bytes`, at ENTRY_BYTES x id + USER_BYTE): state
// read with the entry costs no other cache miss. A scout walks level 1 ahead of the clock so
// that the caller can load the coming events' data early (scout()).

const NONE = -1;
/** An entry held by level-1 slot s itself records INLINE - s as its place. */
const INLINE = -2;
/** Level 1's size by default: 2^20 ms, so that its slots (8 MB) stay in the processor's
 *  cache: a push into level 1 reads its slot. */
export const FINE_BITS = 20;
/** An entry in a level-2 chunk records LATER - its index in the chunk pool as its place. */
const LATER = INLINE - (1 << 24) - 1;
/** A level-2 chunk's ints: the next (older) chunk of its slot, its count, its ids. */
const CHUNK = 16;
const CHUNK_IDS = CHUNK - 2;
/** The scout has not begun this slot's nodes. */
const SCOUT_FRESH = -3;
/** Slots (or nodes) the scout looks at per call at most. */
const SCOUT_STEPS = 32;
/** An entry's ints: its live node, its time, the caller's 4 bytes, padding. */
const STRIDE = 4;
export const ENTRY_BYTES = 4 * STRIDE;
export const USER_BYTE = 8;

export class Wheel {
  readonly capacity: number;
  /** The clock: no entry due before it remains. */
  now = 0;
  /** Per entry, side by side (one cache line): its live place (NONE: not pending; a node, or
   *  INLINE - s for the id held by level-1 slot s itself), its time, the caller's bytes. */
  private readonly entry: Int32Array;
  /** The entries as bytes: the caller's 4 bytes of entry id are at ENTRY_BYTES x id + USER_BYTE. */
  readonly bytes: Uint8Array;
  /** Per node, side by side: its entry, the next node in its slot. */
  private nodes: Int32Array;
  /** Unused nodes: a stack of their numbers (popping it reads one place, where a list linked
   *  through the nodes would read a node that may be anywhere in memory). */
  private freeNodes = new Int32Array(0);
  private freeTop = 0;
  /** Level 2's entries, in chunks of CHUNK_IDS (a linked list of nodes would make spreading a
   *  block a chain of dependent cache misses), and the unused chunks (linked). */
  private chunks = new Int32Array(0);
  private freeChunk = NONE;
  /** Per slot, side by side: the id it holds itself (level 1 only), its first node. Level 1
   *  (one slot per ms of the block), then level 2 (one per block). */
  private readonly slots: Int32Array;
  private readonly bits: number;
  private readonly fine: number;
  /** Places in level 1, dead ones included (0: skip to the next block). */
  private fineCount = 0;
  /** Entries pending. */
  size = 0;
  /** The scout's place: the millisecond and the next node there (or SCOUT_FRESH, or NONE for
   *  the id the slot holds itself). */
  private scoutT = 0;
  private scoutK = SCOUT_FRESH;
  /** Entries the scout returned that pop() has not (an estimate: some of them moved, and
   *  entries pushed behind the scout are popped too, so it never goes below 0: a count gone
   *  negative let the scout run ahead to the end of the block, where what it loaded was
   *  evicted before use); 0 when the clock overtook the scout. */
  scoutLead = 0;

  /** fineBits: level 1 covers 2^fineBits ms (16 to 24). */
  constructor(capacity: number, fineBits = FINE_BITS) {
    this.capacity = capacity;
    this.bits = fineBits;
    this.fine = 1 << fineBits;
    this.slots = new Int32Array(2 * (this.fine + (1 << (31 - fineBits)))).fill(NONE);
    this.entry = new Int32Array(STRIDE * capacity);
    for (let id = 0; id < capacity; id++) this.entry[STRIDE * id] = NONE;
    this.bytes = new Uint8Array(this.entry.buffer);
    this.nodes = new Int32Array(0);
    this.grow(capacity);
  }

  /** When entry id is due, or -1 when it is not pending. */
  dueAt(id: number): number {
    return this.entry[STRIDE * id] === NONE ? -1 : this.entry[STRIDE * id + 1];
  }

  /** Schedules id at t (clamped to now; t < 2^31). Replaces a pending time for id. */
  push(id: number, t: number): void {
    const entry = this.entry;
    if (entry[STRIDE * id] === NONE) this.size++;
    if (t < this.now) t = this.now;
    entry[STRIDE * id + 1] = t;
    this.place(id, t);
  }

  /** Unschedules id (no-op when it is not pending). */
  remove(id: number): void {
    if (this.entry[STRIDE * id] === NONE) return;
    this.entry[STRIDE * id] = NONE;
    this.size--;
  }

  /** The next entry due at or before `until` (advancing the clock to it), or -1 with the
   *  clock at until + 1 when none is. */
  pop(until: number): number {
    const slots = this.slots;
    const entry = this.entry;
    for (;;) {
      const now = this.now;
      if (now > until) return NONE;
      let to: number;
      if (this.fineCount > 0) {
        // Last pushed first: the nodes, then the id the slot holds itself (its first).
        const s = now & (this.fine - 1);
        const nodes = this.nodes;
        let k = slots[2 * s + 1];
        while (k !== NONE) {
          const id = nodes[2 * k];
          slots[2 * s + 1] = nodes[2 * k + 1];
          this.release(k);
          this.fineCount--;
          if (entry[STRIDE * id] === k) {
            entry[STRIDE * id] = NONE;
            this.size--;
            if (this.scoutLead > 0) this.scoutLead--;
            return id;
          }
          k = slots[2 * s + 1];
        }
        const id = slots[2 * s];
        if (id !== NONE) {
          slots[2 * s] = NONE;
          this.fineCount--;
          if (entry[STRIDE * id] === INLINE - s) {
            entry[STRIDE * id] = NONE;
            this.size--;
            if (this.scoutLead > 0) this.scoutLead--;
            return id;
          }
        }
        to = now + 1;
      } else {
        to = ((now >>> this.bits) + 1) * this.fine;
      }
      if (to > until + 1) to = until + 1;
      this.advance(to);
    }
  }

  /**
   * The next entry of a scout that walks level 1 ahead of the clock in the order pop() would
   * take the entries as they stand now, one per call (or -1 when it found none within a few
   * slots, or reached the end of the block). Nothing changes: the caller loads what the coming
   * events will need while the current one runs (independent cache misses overlap; the
   * simulator is bound by their latency). A hint only: an entry may have moved since, one
   * pushed later is not seen, and a scout that the clock overtook starts again at the clock.
   */
  scout(): number {
    const slots = this.slots;
    const nodes = this.nodes;
    const now = this.now;
    let t = this.scoutT;
    let k = this.scoutK;
    if (t < now) {
      t = now;
      k = SCOUT_FRESH;
      this.scoutLead = 0;
    }
    const end = ((now >>> this.bits) + 1) * this.fine;
    for (let steps = 0; steps < SCOUT_STEPS && t < end; steps++) {
      const s = t & (this.fine - 1);
      if (k === SCOUT_FRESH) k = slots[2 * s + 1];
      if (k !== NONE) {
        const id = nodes[2 * k];
        // A released node (id NONE) has a stale next field: leave the slot's nodes.
        k = id === NONE ? NONE : nodes[2 * k + 1];
        if (id !== NONE) {
          this.scoutT = t;
          this.scoutK = k;
          this.scoutLead++;
          return id;
        }
        continue;
      }
      // The slot's nodes are done: the id it holds itself, then the next millisecond.
      const id = slots[2 * s];
      t++;
      k = SCOUT_FRESH;
      if (id !== NONE) {
        this.scoutT = t;
        this.scoutK = k;
        this.scoutLead++;
        return id;
      }
    }
    this.scoutT = t;
    this.scoutK = k;
    return NONE;
  }

  /** Puts entry id in t's slot: in the level-1 slot itself when it is free, else a node; a
   *  later block's entry goes into that block's chunks. */
  private place(id: number, t: number): void {
    const slots = this.slots;
    if (t >>> this.bits !== this.now >>> this.bits) {
      this.placeLater(id, this.fine + (t >>> this.bits));
      return;
    }
    const s = t & (this.fine - 1);
    this.fineCount++;
    if (slots[2 * s] === NONE) {
      slots[2 * s] = id;
      this.entry[STRIDE * id] = INLINE - s;
      return;
    }
    if (this.freeTop === 0) this.grow(this.nodes.length >> 1);
    const k = this.freeNodes[--this.freeTop];
    const nodes = this.nodes;
    nodes[2 * k] = id;
    nodes[2 * k + 1] = slots[2 * s + 1];
    slots[2 * s + 1] = k;
    this.entry[STRIDE * id] = k;
  }

  /** Appends entry id to level-2 slot s's newest chunk (a new one when it is full). */
  private placeLater(id: number, s: number): void {
    const slots = this.slots;
    let c = slots[2 * s + 1];
    if (c === NONE || this.chunks[CHUNK * c + 1] === CHUNK_IDS) {
      let f = this.freeChunk;
      if (f === NONE) {
        this.growChunks();
        f = this.freeChunk;
      }
      this.freeChunk = this.chunks[CHUNK * f];
      this.chunks[CHUNK * f] = c;
      this.chunks[CHUNK * f + 1] = 0;
      slots[2 * s + 1] = f;
      c = f;
    }
    const chunks = this.chunks;
    const at = CHUNK * c + 2 + chunks[CHUNK * c + 1]++;
    chunks[at] = id;
    this.entry[STRIDE * id] = LATER - at;
  }

  /** Doubles the chunk pool. */
  private growChunks(): void {
    const old = this.chunks;
    const first = old.length / CHUNK;
    const count = first > 16 ? first : 16;
    const chunks = new Int32Array(old.length + CHUNK * count);
    chunks.set(old);
    for (let c = first; c < first + count; c++) chunks[CHUNK * c] = c + 1 < first + count ? c + 1 : this.freeChunk;
    this.freeChunk = first;
    this.chunks = chunks;
  }

  private release(k: number): void {
    // Marked free for the scout (its next field is stale).
    this.nodes[2 * k] = NONE;
    this.freeNodes[this.freeTop++] = k;
  }

  /** Adds n nodes to the pool. */
  private grow(n: number): void {
    const old = this.nodes;
    const first = old.length >> 1;
    const count = n > 16 ? n : 16;
    const nodes = new Int32Array(old.length + 2 * count);
    nodes.set(old);
    const stack = new Int32Array(first + count);
    stack.set(this.freeNodes.subarray(0, this.freeTop));
    // The new nodes in ascending order from the top of the stack.
    for (let k = first + count - 1; k >= first; k--) {
      nodes[2 * k] = NONE;
      stack[this.freeTop++] = k;
    }
    this.freeNodes = stack;
    this.nodes = nodes;
  }

  private advance(to: number): void {
    const block = to >>> this.bits;
    const crossed = block !== this.now >>> this.bits;
    this.now = to;
    if (!crossed) return;
    // Spread the new block's level-2 slot into level 1, newest first as pushed (so the order
    // within a millisecond is that of a linked list of the pushes), dropping dead entries.
    // The ids of a chunk are side by side: their entries' loads overlap.
    const s = this.fine + block;
    const slots = this.slots;
    let c = slots[2 * s + 1];
    slots[2 * s + 1] = NONE;
    const entry = this.entry;
    while (c !== NONE) {
      const chunks = this.chunks;
      const base = CHUNK * c;
      const next = chunks[base];
      for (let at = base + 1 + chunks[base + 1]; at > base + 1; at--) {
        const id = chunks[at];
        if (entry[STRIDE * id] === LATER - at) this.place(id, entry[STRIDE * id + 1]);
      }
      chunks[base] = this.freeChunk;
      this.freeChunk = c;
      c = next;
    }
  }
}
