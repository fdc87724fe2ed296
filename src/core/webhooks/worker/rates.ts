/**
 * Sends finished per gate over about the last second: the worker sizes each receiver's backlog by it.
 * A receiver that answers fast is given enough claimed rows to keep sending while the next claim runs;
 * one that answers slowly, or not at all, keeps only the small fixed backlog, so it cannot hold the
 * rows (and the claim room) that others need.
 */

interface Window {
  /** Start of the current window, in ms (the caller's clock). */
  start: number;
  /** Sends finished in the current window. */
  count: number;
  /** Sends finished in the window before, when it ended just before this one; else 0. */
  previous: number;
}

export class SendRates {
  private readonly windows = new Map<string, Window>();

  /** @param windowMs Length of a counting window in ms. Default 1000. */
  constructor(private readonly windowMs = 1000) {}

  /** One send of `key` finished at `now` (ms). */
  record(key: string, now: number): void {
    const window = this.current(key, now);
    if (window === undefined) this.windows.set(key, { start: now, count: 1, previous: 0 });
    else window.count++;
  }

  /**
   * Sends per second of `key` at `now`: the last complete window's count, or the current window's
   * if that is already higher (a receiver speeding up is seen at once). 0 once a whole window passed
   * without a send.
   */
  perSecond(key: string, now: number): number {
    const window = this.current(key, now);
    if (window === undefined) return 0;
    return (Math.max(window.previous, window.count) * 1000) / this.windowMs;
  }

  /** Keys with a recent send (the others are forgotten). */
  keys(now: number): string[] {
    const keys: string[] = [];
    for (const key of [...this.windows.keys()]) if (this.current(key, now) !== undefined) keys.push(key);
    return keys;
  }

  /** The window of `key` rolled forward to `now`; undefined (and forgotten) after a window without sends. */
  private current(key: string, now: number): Window | undefined {
    const window = this.windows.get(key);
    if (window === undefined) return undefined;
    const elapsed = now - window.start;
    if (elapsed < this.windowMs) return window;
    if (elapsed >= this.windowMs * 2) {
      this.windows.delete(key);
      return undefined;
    }
    if (window.count === 0) {
      this.windows.delete(key);
      return undefined;
    }
    window.previous = window.count;
    window.count = 0;
    window.start += this.windowMs;
    return window;
  }
}
