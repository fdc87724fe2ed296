/**
 * Which uses of API keys are worth a write, decided without a clock or a database: a key's use is kept
 * when nothing was written for it within `intervalMs`, or merged into its use already waiting; every
 * other use is dropped. So each key costs at most one write per interval on this instance, however
 * busy it is, and a `last_used_at` lags the true last use by at most about one interval.
 */

/** A use waiting to be written: the key and the time of its latest use (ms since the epoch). */
export interface PendingUse {
  keyId: string;
  at: number;
}

export class KeyUseThrottle {
  /** Latest use per key waiting for the next write. */
  private readonly pending = new Map<string, number>();
  /** Time of the use last taken for writing, per key; only keys taken within the last interval. */
  private readonly written = new Map<string, number>();

  /** @param intervalMs least time between two writes of one key; ms. */
  constructor(private readonly intervalMs: number) {}

  /** Notes a use of `keyId` at `at` (ms); false when it was dropped (the key was written too recently). */
  note(keyId: string, at: number): boolean {
    const waiting = this.pending.get(keyId);
    if (waiting !== undefined) {
      this.pending.set(keyId, Math.max(waiting, at));
      return true;
    }
    const last = this.written.get(keyId);
    if (last !== undefined && at - last < this.intervalMs) return false;
    this.pending.set(keyId, at);
    return true;
  }

  /** Uses waiting for a write. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Hands out every waiting use for one write, counting them as written at their use time; `now` (ms)
   * forgets keys whose last write no longer throttles anything, so memory follows the keys in use.
   */
  take(now: number): PendingUse[] {
    for (const [keyId, at] of this.written) {
      if (now - at >= this.intervalMs) this.written.delete(keyId);
    }
    const taken = [...this.pending].map(([keyId, at]) => ({ keyId, at }));
    this.pending.clear();
    for (const use of taken) this.written.set(use.keyId, use.at);
    return taken;
  }

  /** Puts back uses whose write failed, to go with the next one (a newer use of the key wins). */
  giveBack(uses: readonly PendingUse[]): void {
    for (const use of uses) {
      const waiting = this.pending.get(use.keyId);
      this.pending.set(use.keyId, Math.max(waiting ?? use.at, use.at));
    }
  }
}
