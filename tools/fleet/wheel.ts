// The fleet simulator's event queue: a two-level timing wheel over typed arrays, sized for
// millions of pending events. Times are integer milliseconds in [0, 2^31). Each entry id
// (0 .. capacity-1) is in at most one slot at a time: pushing it again moves it. Level 1 has
// one slot per millisecond of the current 65.536 s block; level 2 one slot per later block.
// When the clock enters a block, that block's level-2 slot is spread into level 1. Push,
// remove and pop are O(1); empty milliseconds are skipped a block at a time when level 1 is
// empty. Entries due in the same millisecond come out last-pushed first (deterministic).

const FINE = 65536;
const NONE = -1;

export class Wheel {
  readonly capacity: number;
  /** The clock: no entry due before it remains. */
  now = 0;
  /** Per entry, side by side (one cache line touched per entry): next, prev, slot, due. */
  private readonly e: Int32Array;
  private readonly head = new Int32Array(2 * FINE).fill(NONE);
  private fineCount = 0;
  /** Entries pending. */
  size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.e = new Int32Array(4 * capacity);
    for (let i = 0; i < capacity; i++) this.e[4 * i + 2] = NONE;
  }

  /** When entry id is due, or -1 when it is not pending. */
  dueAt(id: number): number {
    return this.e[4 * id + 2] === NONE ? -1 : this.e[4 * id + 3];
  }

  /** Schedules id at t (clamped to now; t < 2^31). Replaces a pending time for id. */
  push(id: number, t: number): void {
    const e = this.e;
    const k = 4 * id;
    if (e[k + 2] !== NONE) this.remove(id);
    if (t < this.now) t = this.now;
    e[k + 3] = t;
    let s: number;
    if (t >>> 16 === this.now >>> 16) {
      s = t & 0xffff;
      this.fineCount++;
    } else {
      s = FINE + ((t >>> 16) & 0xffff);
    }
    const h = this.head[s];
    e[k] = h;
    e[k + 1] = NONE;
    if (h !== NONE) e[4 * h + 1] = id;
    this.head[s] = id;
    e[k + 2] = s;
    this.size++;
  }

  /** Unschedules id (no-op when it is not pending). */
  remove(id: number): void {
    const e = this.e;
    const k = 4 * id;
    const s = e[k + 2];
    if (s === NONE) return;
    const n = e[k];
    const p = e[k + 1];
    if (p === NONE) this.head[s] = n;
    else e[4 * p] = n;
    if (n !== NONE) e[4 * n + 1] = p;
    e[k + 2] = NONE;
    if (s < FINE) this.fineCount--;
    this.size--;
  }

  /** The next entry due at or before `until` (advancing the clock to it), or -1 with the
   *  clock at until + 1 when none is. */
  pop(until: number): number {
    for (;;) {
      const now = this.now;
      if (now > until) return NONE;
      let to: number;
      if (this.fineCount > 0) {
        const id = this.head[now & 0xffff];
        if (id !== NONE) {
          this.remove(id);
          return id;
        }
        to = now + 1;
      } else {
        to = ((now >>> 16) + 1) * FINE;
      }
      if (to > until + 1) to = until + 1;
      this.advance(to);
    }
  }

  private advance(to: number): void {
    const block = to >>> 16;
    const crossed = block !== this.now >>> 16;
    this.now = to;
    if (!crossed) return;
    // Spread the new block's level-2 slot into level 1.
    const s = FINE + (block & 0xffff);
    let id = this.head[s];
    this.head[s] = NONE;
    const e = this.e;
    while (id !== NONE) {
      const n = e[4 * id];
      e[4 * id + 2] = NONE;
      this.size--;
      this.push(id, e[4 * id + 3]);
      id = n;
    }
  }
}
