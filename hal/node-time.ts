// Time for the Node HAL: the real clock, a scaled clock (npm start: 15 minutes in seconds),
// and a virtual clock that tests advance by hand. All three give the HAL's Clock and
// Timers from one place, so the device, the simulator and the test agree on "now".

export interface TimeSource {
  /** Monotonic milliseconds for the device. */
  nowMs(): number;
  /** Wall-clock epoch milliseconds (what UTC seconds and the simulator's SAS checks use). */
  epochMs(): number;
  isSynced(): boolean;
  setTimer(ms: number, callback: () => void): number;
  clearTimer(id: number): void;
}

/** Real time, optionally running `speed` times faster than the wall clock. */
export class ScaledTime implements TimeSource {
  private readonly realStart = performance.now();
  private readonly epochStart: number;
  private readonly handles = new Map<number, NodeJS.Timeout>();
  private nextId = 1;
  private synced = true;
  /** Node may fire a timer a fraction early; time never reads earlier than a fired deadline. */
  private floor = 0;

  constructor(readonly speed = 1, epochStartMs = Date.now()) {
    if (!(speed > 0)) throw new Error("speed must be > 0");
    this.epochStart = epochStartMs;
  }

  nowMs(): number {
    return Math.max(this.floor, Math.floor((performance.now() - this.realStart) * this.speed));
  }

  epochMs(): number {
    return this.epochStart + this.nowMs();
  }

  isSynced(): boolean {
    return this.synced;
  }

  setSynced(synced: boolean): void {
    this.synced = synced;
  }

  setTimer(ms: number, callback: () => void): number {
    const id = this.nextId++;
    const due = this.nowMs() + Math.max(0, ms);
    const handle = setTimeout(() => {
      this.handles.delete(id);
      if (due > this.floor) this.floor = due;
      callback();
    }, Math.max(0, ms) / this.speed);
    this.handles.set(id, handle);
    return id;
  }

  clearTimer(id: number): void {
    const handle = this.handles.get(id);
    if (handle) clearTimeout(handle);
    this.handles.delete(id);
  }

  /** Cancels every pending timer (when a run ends). */
  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}

interface VirtualTimer {
  id: number;
  due: number;
  callback: () => void;
}

/**
 * Time that moves only when a test says so. advance() fires due timers in order; between
 * timers it yields to Node's event loop so real socket traffic (loopback TLS to the
 * simulator) is processed as it would be while that much time passes.
 */
export class VirtualTime implements TimeSource {
  private now = 0;
  private timers: VirtualTimer[] = [];
  private nextId = 1;
  private synced = true;

  constructor(private readonly epochStart = Date.now()) {}

  nowMs(): number {
    return this.now;
  }

  epochMs(): number {
    return this.epochStart + this.now;
  }

  isSynced(): boolean {
    return this.synced;
  }

  setSynced(synced: boolean): void {
    this.synced = synced;
  }

  setTimer(ms: number, callback: () => void): number {
    const id = this.nextId++;
    this.timers.push({ id, due: this.now + Math.max(0, Math.floor(ms)), callback });
    return id;
  }

  clearTimer(id: number): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Milliseconds until the next timer, or undefined when none is armed. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (min === undefined || t.due < min) min = t.due;
    return min === undefined ? undefined : min - this.now;
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by ms, firing every timer that falls due (in due order, ties in
   * arming order). Before each firing it waits for `idle` (real I/O settling, e.g. the Node
   * HAL's quiet()), or gives sockets a few event-loop turns when none is given.
   */
  async advance(ms: number, idle?: () => Promise<void>): Promise<void> {
    const end = this.now + ms;
    let sameInstant = 0;
    for (;;) {
      if (idle) await idle();
      else await settle();
      let next: VirtualTimer | undefined;
      for (const t of this.timers) if (t.due <= end && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      // A timer that keeps re-arming itself for "now" is a busy loop on a real device.
      sameInstant = next.due > this.now ? 0 : sameInstant + 1;
      if (sameInstant > 1000) throw new Error(`timer loop: over 1000 timers fired at ${this.now} ms without time passing`);
      this.now = Math.max(this.now, next.due);
      next.callback();
    }
    this.now = end;
    if (idle) await idle();
    else await settle();
  }
}

/** Lets pending I/O callbacks run: a few event-loop turns, plus real time if asked. */
export async function settle(realMs = 0): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  if (realMs > 0) await new Promise((r) => setTimeout(r, realMs));
}
