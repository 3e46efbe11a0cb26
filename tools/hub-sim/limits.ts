// Rate limiters on the simulator clock (IoT Hub and DPS quotas): a token bucket for hub connection
// shaping, a sliding window for DPS registrations per minute and polls per 10 s.

/** Token bucket: `ratePerSecond` tokens per second, at most `burst` stored. Starts full. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number = Math.max(1, ratePerSecond),
  ) {
    this.tokens = this.burst;
  }

  private refill(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.ratePerSecond) / 1000);
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** At most `limit` events in any `windowMs`; tells how long until the next one fits. */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  private prune(nowMs: number): void {
    while (this.times.length > 0 && this.times[0] <= nowMs - this.windowMs) this.times.shift();
  }

  /** Records the event and returns 0 if it fits, else the ms until it would (nothing recorded). */
  tryAdd(nowMs: number): number {
    this.prune(nowMs);
    if (this.times.length < this.limit) {
      this.times.push(nowMs);
      return 0;
    }
    return Math.max(1, this.times[0] + this.windowMs - nowMs);
  }
}

/** retry-after in whole seconds, at least 1, for a wait in ms. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
