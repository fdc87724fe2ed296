/**
 * How many requests one receiver (gate) may have in flight. Every receiver may always use `base`
 * (WEBHOOK_ENDPOINT_CONCURRENCY); one that answered its last `base` requests with a 2xx, each within
 * {@link FAST_MS}, may use up to `burst` × base while it keeps doing so. A fixed cap made a fast
 * receiver's ceiling `base` / round trip: on a busy machine (answers in ~10 ms) 16 slots carried
 * ~1,600 webhooks/s, less than the service produced, and the excess went the slow way, through the
 * database and a claim. Any slow answer, other status, timeout or connection error puts the receiver
 * back to `base` at once, so a receiver that slows down or hangs holds more than `base` slots only with
 * the requests already under way (at most one timeout long), and one that never answered fast never does.
 */
import type { SendOutcome } from "./send.js";

/** An answer slower than this (ms) does not count as fast. */
export const FAST_MS = 1000;
/** Receivers remembered as fast; beyond it the memory is cleared (they earn it again). */
const REMEMBERED_LIMIT = 10_000;

export class ReceiverPace {
  /** Fast answers in a row per gate; gates without one are absent. */
  private readonly streaks = new Map<string, number>();

  /**
   * @param base Requests in flight any receiver may have.
   * @param burst Multiple of `base` a receiver that answers fast may have.
   */
  constructor(
    private readonly base: number,
    private readonly burst: number,
  ) {}

  /** Requests the gate `key` may have in flight now. */
  limit(key: string): number {
    return (this.streaks.get(key) ?? 0) >= this.base ? this.base * this.burst : this.base;
  }

  /** An attempt to the gate `key` ended. */
  observe(key: string, outcome: SendOutcome): void {
    const code = outcome.statusCode;
    if (code !== null && code >= 200 && code < 300 && outcome.durationMs <= FAST_MS) {
      if (this.streaks.size >= REMEMBERED_LIMIT && !this.streaks.has(key)) this.streaks.clear();
      this.streaks.set(key, (this.streaks.get(key) ?? 0) + 1);
    } else {
      this.streaks.delete(key);
    }
  }
}
