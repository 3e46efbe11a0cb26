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
// are dropped when the clock reaches them. Each entry has 4 bytes of the caller's beside its time (`bytes`,
// at ENTRY_BYTES x id + USER_BYTE): state read with the entry costs no other cache miss.

const NONE = -1;
/** An entry held by level-1 slot s itself records INLINE - s as its place. */
const INLINE = -2;
/** Level 1's size by default: 2^20 ms, so that its slots (8 MB) stay in the processor's
 *  cache: a push into level 1 reads its slot. */
export const FINE_BITS = 20;
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
  /** Unused nodes, linked through their next field. */
  private free = NONE;
  /** Per slot, side by side: the id it holds itself (level 1 only), its first node. Level 1
   *  (one slot per ms of the block), then level 2 (one per block). */
  private readonly slots: Int32Array;
  private readonly bits: number;
  private readonly fine: number;
  /** Places in level 1, dead ones included (0: skip to the next block). */
  private fineCount = 0;
  /** Entries pending. */
  size = 0;

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
   * The entry that level-1 slot `now + ms` holds itself (likely due then), or -1; it reads the
   * entry's time too. Nothing changes: the caller looks ahead to load what the coming events
   * will need while the current one runs (independent cache misses overlap; the simulator is
   * bound by their latency).
   */
  ahead(ms: number): number {
    const t = this.now + ms;
    if (t >>> this.bits !== this.now >>> this.bits) return NONE;
    const id = this.slots[2 * (t & (this.fine - 1))];
    if (id === NONE) return NONE;
    return this.entry[STRIDE * id + 1] === t ? id : NONE;
  }

  /** Puts entry id in t's slot: in the level-1 slot itself when it is free, else a node. */
  private place(id: number, t: number): void {
    const slots = this.slots;
    let s: number;
    if (t >>> this.bits === this.now >>> this.bits) {
      s = t & (this.fine - 1);
      this.fineCount++;
      if (slots[2 * s] === NONE) {
        slots[2 * s] = id;
        this.entry[STRIDE * id] = INLINE - s;
        return;
      }
    } else {
      s = this.fine + (t >>> this.bits);
    }
    let k = this.free;
    if (k === NONE) {
      this.grow(this.nodes.length >> 1);
      k = this.free;
    }
    const nodes = this.nodes;
    this.free = nodes[2 * k + 1];
    nodes[2 * k] = id;
    nodes[2 * k + 1] = slots[2 * s + 1];
    slots[2 * s + 1] = k;
    this.entry[STRIDE * id] = k;
  }

  private release(k: number): void {
    this.nodes[2 * k + 1] = this.free;
    this.free = k;
  }

  /** Adds n nodes to the pool. */
  private grow(n: number): void {
    const old = this.nodes;
    const first = old.length >> 1;
    const count = n > 16 ? n : 16;
    const nodes = new Int32Array(old.length + 2 * count);
    nodes.set(old);
    for (let k = first; k < first + count; k++) nodes[2 * k + 1] = k + 1 < first + count ? k + 1 : this.free;
    this.free = first;
    this.nodes = nodes;
  }

  private advance(to: number): void {
    const block = to >>> this.bits;
    const crossed = block !== this.now >>> this.bits;
    this.now = to;
    if (!crossed) return;
    // Spread the new block's level-2 slot into level 1, dropping dead nodes.
    const s = this.fine + block;
    const slots = this.slots;
    let k = slots[2 * s + 1];
    slots[2 * s + 1] = NONE;
    const entry = this.entry;
    while (k !== NONE) {
      const next = this.nodes[2 * k + 1];
      const id = this.nodes[2 * k];
      const live = entry[STRIDE * id] === k;
      this.release(k);
      if (live) this.place(id, entry[STRIDE * id + 1]);
      k = next;
    }
  }
}
