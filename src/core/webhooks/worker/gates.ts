/**
 * Per-receiver fairness for the delivery worker. Every claimed delivery waits in its gate (one per
 * endpoint, or per URL for status_callback targets); a gate sends at most its limit at a time (pace.ts),
 * and free slots are handed to gates in turn. A slow receiver therefore holds at most its own limit of
 * slots, and the rest keep flowing to everyone else.
 */

export interface Gate<T> {
  readonly key: string;
  /** Claimed, not yet started. */
  readonly queue: T[];
  /** Sending now. */
  active: number;
  /**
   * Held count (queued + sending) at or below which the owner asks for more; -1 (as created): do not
   * ask. The scheduler only keeps it.
   */
  refillAt: number;
}

export class GateScheduler<T> {
  private readonly gates = new Map<string, Gate<T>>();
  /** Gates with queued work, in turn order. */
  private ready: Gate<T>[] = [];
  private turn = 0;
  private count = 0;

  /** @param limitOf Items the gate `key` may have started and not done at once. */
  constructor(private readonly limitOf: (key: string) => number) {}

  add(key: string, item: T): void {
    let gate = this.gates.get(key);
    if (gate === undefined) {
      gate = { key, queue: [], active: 0, refillAt: -1 };
      this.gates.set(key, gate);
    }
    if (gate.queue.length === 0) this.ready.push(gate);
    gate.queue.push(item);
    this.count++;
  }

  /** The next item to start, taking gates in turn and skipping those at their limit; or undefined. */
  next(): { gate: Gate<T>; item: T } | undefined {
    for (let looked = 0; looked < this.ready.length; looked++) {
      if (this.turn >= this.ready.length) this.turn = 0;
      const gate = this.ready[this.turn];
      if (gate === undefined) break;
      if (gate.active >= this.limitOf(gate.key)) {
        this.turn++;
        continue;
      }
      const item = gate.queue.shift();
      if (item === undefined) break;
      gate.active++;
      if (gate.queue.length === 0) this.ready.splice(this.turn, 1);
      else this.turn++;
      return { gate, item };
    }
    return undefined;
  }

  /** An item of `gate` finished; forgets the gate when it has nothing left. */
  done(gate: Gate<T>): void {
    gate.active--;
    this.count--;
    if (gate.active === 0 && gate.queue.length === 0) this.gates.delete(gate.key);
  }

  /** Removes and returns everything queued (not started) in one gate. */
  dropQueued(key: string): T[] {
    const gate = this.gates.get(key);
    if (gate === undefined) return [];
    const dropped = gate.queue.splice(0);
    this.count -= dropped.length;
    this.ready = this.ready.filter((g) => g !== gate);
    if (gate.active === 0) this.gates.delete(key);
    return dropped;
  }

  /** Removes the items queued (not started) in one gate for which `drop` is true; returns how many. */
  removeQueued(key: string, drop: (item: T) => boolean): number {
    const gate = this.gates.get(key);
    if (gate === undefined) return 0;
    const kept = gate.queue.filter((item) => !drop(item));
    const removed = gate.queue.length - kept.length;
    if (removed === 0) return 0;
    if (kept.length === 0) {
      this.dropQueued(key);
      return removed;
    }
    gate.queue.splice(0, gate.queue.length, ...kept);
    this.count -= removed;
    return removed;
  }

  /** Removes and returns everything queued in every gate. */
  dropAllQueued(): T[] {
    const dropped: T[] = [];
    for (const key of [...this.gates.keys()]) dropped.push(...this.dropQueued(key));
    return dropped;
  }

  /** Items queued or sending, across gates. */
  get size(): number {
    return this.count;
  }

  /** The gate of `key`, while it holds anything. */
  get(key: string): Gate<T> | undefined {
    return this.gates.get(key);
  }

  /** Every gate holding items (queued or sending). */
  all(): IterableIterator<Gate<T>> {
    return this.gates.values();
  }
}

/** Items a gate holds: queued and sending. */
export function held(gate: Gate<unknown>): number {
  return gate.queue.length + gate.active;
}
