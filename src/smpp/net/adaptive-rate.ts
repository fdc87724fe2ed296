/**
 * The send rate a session keeps to after the SMSC throttled it (ESME_RTHROTTLED, ESME_RMSGQFUL):
 * additive-increase, multiplicative-decrease, as TCP does with its window.
 *
 * Without it a session paused, then wrote a full window again, and most of it came back throttled:
 * against an SMSC limited to 50/s, 150 messages cost 381 throttled answers (window 20); against 30/s
 * with a window of 100, about 11 per message. SMSCs count such answers against a bind, and some
 * unbind it. So each throttling episode sets a limit just under the rate the SMSC accepted over the
 * last second; every second without throttling raises it by a quarter, and after a minute without any
 * the limit is lifted. An SMSC that accepted (almost) nothing in that second says nothing about its
 * rate: then only the session's pause, which grows per episode, applies. An admin's max_tps (a fixed
 * token bucket in the pool) still applies on top.
 */
import { TokenBucket } from "./token-bucket.js";

export interface AdaptiveRateOptions {
  /** Share of the rate accepted over the last second that a throttling episode keeps. Default 0.85. */
  decrease?: number;
  /** Growth of the limit per second without throttling, as a share of the limit. Default 0.25. */
  increase?: number;
  /** The limit is lifted after this long without throttling, in ms. Default 60000. */
  liftAfterMs?: number;
  /** Lowest limit, per second. Default 1. */
  minRate?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** Accepted requests in the last second below which a throttling episode tells nothing of the rate. */
const MIN_EVIDENCE = 5;
/** Rate that serves every waiter at the next tick: what a lifted limit drains its queue with. */
const UNLIMITED = 1e9;

export class AdaptiveRate {
  private readonly decrease: number;
  private readonly increase: number;
  private readonly liftAfterMs: number;
  private readonly minRate: number;
  private readonly now: () => number;
  private current: number | undefined;
  private bucket: TokenBucket | undefined;
  private throttledAt = 0;
  private grownAt = 0;
  /** Accepted requests in the current second and the one before (a sliding estimate over both). */
  private windowStart: number;
  private count = 0;
  private previous = 0;

  constructor(options: AdaptiveRateOptions = {}) {
    this.decrease = options.decrease ?? 0.85;
    this.increase = options.increase ?? 0.25;
    this.liftAfterMs = options.liftAfterMs ?? 60_000;
    this.minRate = options.minRate ?? 1;
    this.now = options.now ?? (() => performance.now());
    this.windowStart = this.now();
  }

  /** Requests per second allowed now; undefined while no limit applies. */
  get limit(): number | undefined {
    return this.current;
  }

  /** Requests accepted over about the last second. */
  private acceptedPerSecond(): number {
    const now = this.now();
    this.roll(now);
    const share = Math.max(0, 1 - (now - this.windowStart) / 1000);
    return this.count + this.previous * share;
  }

  /** The SMSC accepted a request. */
  accepted(): void {
    const now = this.now();
    this.roll(now);
    this.count++;
    if (this.current !== undefined) this.grow(now);
  }

  /** A throttling episode began (once per episode, not per throttled answer). */
  throttled(): void {
    const now = this.now();
    const seen = this.acceptedPerSecond();
    const base = seen >= MIN_EVIDENCE ? Math.min(this.current ?? seen, seen) : this.current;
    if (base === undefined) return;
    this.current = Math.max(this.minRate, base * this.decrease);
    this.throttledAt = now;
    this.grownAt = now;
    this.applyRate();
  }

  /**
   * True when a request may be written now; otherwise a promise of whether the permit came within
   * `waitMs`. Permits are handed out in order.
   */
  permit(waitMs: number): true | Promise<boolean> {
    if (this.bucket === undefined) return true;
    if (this.current === undefined && this.bucket.waiting === 0) {
      this.bucket = undefined;
      return true;
    }
    if (this.bucket.tryTake()) return true;
    return this.bucket.take(waitMs);
  }

  /** Answers every waiting permit `false` (the session is going away). */
  close(): void {
    this.bucket?.close();
    this.bucket = undefined;
  }

  private grow(now: number): void {
    if (now - this.throttledAt >= this.liftAfterMs) {
      this.current = undefined;
      // Waiters queued under the old limit are served at once; the bucket goes when they are.
      this.bucket?.setRate(UNLIMITED, UNLIMITED);
      return;
    }
    const seconds = (now - this.grownAt) / 1000;
    if (seconds < 1 || this.current === undefined) return;
    this.current *= (1 + this.increase) ** Math.floor(seconds);
    this.grownAt += Math.floor(seconds) * 1000;
    this.applyRate();
  }

  private applyRate(): void {
    if (this.current === undefined) return;
    // A burst of one: no calendar second sees more than the limit and a request.
    if (this.bucket === undefined)
      this.bucket = new TokenBucket({ rate: this.current, burst: 1, now: this.now });
    else this.bucket.setRate(this.current, 1);
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < 1000) return;
    this.previous = elapsed < 2000 ? this.count : 0;
    this.count = 0;
    this.windowStart += Math.floor(elapsed / 1000) * 1000;
  }
}
