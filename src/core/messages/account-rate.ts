/**
 * Per-account acceptance rate (`accounts.max_tps`), in memory on each instance: a token bucket per
 * account holding one second's worth of messages, refilled at max_tps. A batch takes one token per
 * message; one larger than the bucket is admitted only when the bucket is full, and the debt it leaves
 * holds the account back until paid. Nothing here touches the database or a timer.
 */

interface Bucket {
  rate: number;
  tokens: number;
  /** Clock reading of the last refill, ms. */
  at: number;
}

export interface AccountRateOptions {
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

export class AccountRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(options: AccountRateOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Takes `count` tokens of the account's bucket. Returns null when admitted, else the whole seconds
   * (≥ 1) after which the same request would be. `maxTps` null means unlimited.
   */
  admit(accountId: string, maxTps: number | null, count: number): number | null {
    if (maxTps === null || maxTps <= 0) {
      this.buckets.delete(accountId);
      return null;
    }
    const now = this.now();
    let bucket = this.buckets.get(accountId);
    if (bucket === undefined) {
      bucket = { rate: maxTps, tokens: maxTps, at: now };
      this.buckets.set(accountId, bucket);
    } else {
      // A changed max_tps applies from now; the bucket never holds more than one second of the new rate.
      bucket.tokens = Math.min(maxTps, bucket.tokens + ((now - bucket.at) * bucket.rate) / 1000);
      bucket.rate = maxTps;
      bucket.at = now;
    }
    const needed = Math.min(count, maxTps);
    if (bucket.tokens >= needed) {
      bucket.tokens -= count;
      return null;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / maxTps));
  }

  /**
   * Gives back `count` tokens an admitted request took but did not use: it was answered from its
   * Idempotency-Key or nothing was stored. A client retrying a request must not lose its allowance for
   * new ones. Never fills the bucket past one second's worth.
   */
  refund(accountId: string, count: number): void {
    const bucket = this.buckets.get(accountId);
    if (bucket !== undefined) bucket.tokens = Math.min(bucket.rate, bucket.tokens + count);
  }
}
