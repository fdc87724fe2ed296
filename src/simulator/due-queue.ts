/**
 * Receipts waiting for their due time, in a binary heap ordered by due time with a single timer for the
 * earliest: constant delays cost O(1) per receipt, jittered ones O(log n), and a million pending
 * receipts still mean one timer.
 */
export class DueQueue<T> {
  private readonly heap: { due: number; order: number; item: T }[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private closed = false;

  /**
   * @param fire called with each item once its due time has passed, in due order (ties in insertion order).
   * @param now clock in milliseconds. Default `Date.now`.
   */
  constructor(
    private readonly fire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Fires `item` after `delayMs` milliseconds. */
  add(item: T, delayMs: number): void {
    if (this.closed) return;
    const due = this.now() + Math.max(0, delayMs);
    this.push({ due, order: this.order++, item });
    if (due < this.timerDue) this.arm(due);
  }

  /** Drops everything pending and stops the timer. */
  close(): void {
    this.closed = true;
    this.heap.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(due: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.run(), Math.max(0, due - this.now()));
    // The listener keeps a running simulator alive; pending receipts alone should not.
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = this.now();
    while (this.heap.length > 0 && !this.closed) {
      const top = this.heap[0];
      if (top === undefined || top.due > now) break;
      this.pop();
      this.fire(top.item);
    }
    const next = this.heap[0];
    if (next !== undefined && !this.closed) this.arm(next.due);
  }

  private less(a: { due: number; order: number }, b: { due: number; order: number }): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  private push(node: { due: number; order: number; item: T }): void {
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (p === undefined || !this.less(node, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = node;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const left = h[l];
      const right = h[r];
      let child = l;
      let c = left;
      if (right !== undefined && left !== undefined && this.less(right, left)) {
        child = r;
        c = right;
      }
      if (c === undefined || !this.less(c, last)) break;
      h[i] = c;
      i = child;
    }
    h[i] = last;
  }
}
