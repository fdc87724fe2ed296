/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained rate, e.g. an upstream's max_tps). Must be > 0. */
  rate: number;
  /**
   * Most tokens held at once, i.e. the largest burst. Default `max(1, ceil(rate / 20))`: 50 ms worth,
   * so no one-second window sees more than about 5 % above `rate`.
   */
  burst?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

interface Waiter {
  deadline: number;
  resolve: (granted: boolean) => void;
}

/** Longest a waiter's deadline can be overlooked while the bucket waits for its next token, in ms. */
const MAX_TIMER_MS = 100;

/**
 * A token bucket shared by callers on one event loop. {@link tryTake} is the allocation-free fast path;
 * {@link take} queues FIFO behind earlier callers and is served by ONE timer for all of them.
 */
export class TokenBucket {
  private rate: number;
  private burst: number;
  private tokens: number;
  private at: number;
  private readonly now: () => number;
  private waiters: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private scannedAt = 0;

  constructor(options: TokenBucketOptions) {
    this.now = options.now ?? (() => performance.now());
    this.rate = checkRate(options.rate);
    this.burst = options.burst ?? defaultBurst(this.rate);
    this.tokens = this.burst;
    this.at = this.now();
  }

  /** Tokens per second. */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Callers queued in {@link take}. */
  get waiting(): number {
    return this.waiters.length - this.head;
  }

  /** Changes the rate (and burst, default derived from the rate) for every later token. */
  setRate(rate: number, burst?: number): void {
    this.refill();
    this.rate = checkRate(rate);
    this.burst = burst ?? defaultBurst(this.rate);
    this.tokens = Math.min(this.tokens, this.burst);
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule();
    }
  }

  /** Takes a token if one is there and nobody is queued ahead. */
  tryTake(): boolean {
    if (this.head < this.waiters.length) return false;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Resolves true with a token, in FIFO order, or false when none came within `waitMs` (or on close). */
  take(waitMs: number): Promise<boolean> {
    if (this.tryTake()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.waiters.push({ deadline: this.now() + waitMs, resolve });
      this.schedule();
    });
  }

  /** Answers every waiter `false` and stops the timer. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters.slice(this.head);
    this.waiters = [];
    this.head = 0;
    for (const waiter of waiters) waiter.resolve(false);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.head >= this.waiters.length) return;
    const untilToken = ((1 - this.tokens) * 1000) / this.rate;
    const delay = Math.max(1, Math.min(MAX_TIMER_MS, Math.ceil(untilToken)));
    this.timer = setTimeout(() => this.serve(), delay);
    this.timer.unref();
  }

  private serve(): void {
    this.timer = undefined;
    this.refill();
    const now = this.at;
    while (this.head < this.waiters.length) {
      const waiter = this.waiters[this.head] as Waiter;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.head++;
        waiter.resolve(true);
      } else if (waiter.deadline <= now) {
        this.head++;
        waiter.resolve(false);
      } else {
        break;
      }
    }
    // Waiters further back may have run out of time too; looked at now and then, not on every token.
    if (now - this.scannedAt >= MAX_TIMER_MS) this.expireQueued(now);
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    this.schedule();
  }

  private expireQueued(now: number): void {
    this.scannedAt = now;
    const kept: Waiter[] = [];
    for (let i = this.head; i < this.waiters.length; i++) {
      const waiter = this.waiters[i] as Waiter;
      if (waiter.deadline <= now) waiter.resolve(false);
      else kept.push(waiter);
    }
    this.waiters = kept;
    this.head = 0;
  }
}

function checkRate(rate: number): number {
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError("token bucket rate must be > 0");
  return rate;
}

function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 20));
}
