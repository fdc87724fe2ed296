import { ResponseTimeoutError, SessionClosedError, WindowWaitTimeoutError } from "./errors.js";

/** Highest SMPP sequence number (§5.1.4); the counter wraps to 1 after it. */
export const MAX_SEQUENCE = 0x7fffffff;

/** Options of {@link Window}. */
export interface WindowOptions {
  /** Most requests holding a slot at once (the SMPP "window"). Required; at least 1. */
  size: number;
  /**
   * How often, in milliseconds, expired requests and waiters are looked for. Timeouts fire up to this
   * much late; one timer serves the whole window instead of one per request. Default 50.
   */
  sweepIntervalMs?: number;
  /** Sequence number the first {@link Window.nextSequence} call returns after. Default 0 (first is 1). */
  initialSequence?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

interface Entry<T> {
  seq: number;
  command: string;
  deadline: number;
  timeoutMs: number;
  slot: boolean;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

interface Waiter {
  deadline: number;
  waitMs: number;
  done: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Outstanding requests of one SMPP session keyed by sequence number, in the manner of cloudhopper's
 * window: at most `size` of them hold a slot, a caller waits (FIFO, bounded) for a slot rather than
 * failing, each entry has its own response timeout, and closing fails every entry and every waiter.
 *
 * Requests that must go out whatever the load (bind, enquire_link, unbind) are tracked without a slot.
 * The window never touches a socket: the session allocates a sequence number, tracks it, writes the PDU
 * and hands responses to {@link resolve}.
 */
export class Window<T> {
  readonly size: number;
  private readonly entries = new Map<number, Entry<T>>();
  private readonly spare: Entry<T>[] = [];
  private waiters: Waiter[] = [];
  private waitersHead = 0;
  private waitingCount = 0;
  private used = 0;
  private seq: number;
  private closedReason: string | undefined;
  private readonly sweepIntervalMs: number;
  private readonly now: () => number;
  /** Coarse clock, refreshed by each sweep, so the request path never reads the time. */
  private clock: number;
  private timer: NodeJS.Timeout | undefined;
  private drainers: Array<() => void> | undefined;

  constructor(options: WindowOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError("window size must be >= 1");
    this.size = options.size;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 50;
    this.seq = options.initialSequence ?? 0;
    this.now = options.now ?? (() => performance.now());
    this.clock = this.now();
  }

  /** Slots in use: tracked requests that hold one plus slots acquired and not yet tracked. */
  get inFlight(): number {
    return this.used;
  }

  /** Slots a caller could take right now. */
  get free(): number {
    return this.waitingCount > 0 ? 0 : this.size - this.used;
  }

  /** Callers queued for a slot. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Requests awaiting a response, with or without a slot. */
  get outstanding(): number {
    return this.entries.size;
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Takes a slot when one is free and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    if (this.used < this.size && this.waitingCount === 0 && this.closedReason === undefined) {
      this.used++;
      return true;
    }
    return false;
  }

  /**
   * Takes a slot, queueing behind earlier callers for at most `waitMs` milliseconds. Rejects with
   * {@link WindowWaitTimeoutError} when none frees up in time, or {@link SessionClosedError} when the
   * window is closed or {@link rejectAll} runs meanwhile.
   */
  acquire(waitMs: number): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.closedReason !== undefined) {
      return Promise.reject(new SessionClosedError(this.closedReason, false));
    }
    return new Promise<void>((resolve, reject) => {
      this.startTimer();
      this.waiters.push({ deadline: this.clock + waitMs, waitMs, done: false, resolve, reject });
      this.waitingCount++;
    });
  }

  /** Gives back a slot from {@link acquire}/{@link tryAcquire} that will not be used. */
  release(): void {
    this.used--;
    if (this.waitingCount > 0) this.handOff();
  }

  /** The sequence number {@link nextSequence} gave last (0 before the first). */
  get lastSequence(): number {
    return this.seq;
  }

  /** The next sequence number, 1…0x7FFFFFFF, wrapping and skipping numbers still outstanding. */
  nextSequence(): number {
    let seq = this.seq;
    do {
      seq = seq >= MAX_SEQUENCE ? 1 : seq + 1;
    } while (this.entries.has(seq));
    this.seq = seq;
    return seq;
  }

  /**
   * Tracks a request written (or about to be written) with `seq`. It settles with its response, or
   * rejects with {@link ResponseTimeoutError} after about `timeoutMs`, or {@link SessionClosedError}.
   * With `slot` true it holds a slot the caller acquired; the slot is given back when it settles.
   */
  track(seq: number, command: string, timeoutMs: number, slot: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedReason !== undefined) {
        if (slot) this.release();
        reject(new SessionClosedError(this.closedReason, false));
        return;
      }
      // Before the deadline is read off the coarse clock: an idle window has no sweep running, so its
      // clock may be as old as the idle spell, and a deadline from it could be past already.
      this.startTimer();
      const entry = this.spare.pop();
      if (entry === undefined) {
        this.entries.set(seq, {
          seq,
          command,
          deadline: this.clock + timeoutMs,
          timeoutMs,
          slot,
          resolve,
          reject,
        });
      } else {
        entry.seq = seq;
        entry.command = command;
        entry.deadline = this.clock + timeoutMs;
        entry.timeoutMs = timeoutMs;
        entry.slot = slot;
        entry.resolve = resolve;
        entry.reject = reject;
        this.entries.set(seq, entry);
      }
    });
  }

  /** The command of the outstanding request `seq`, or undefined. */
  commandOf(seq: number): string | undefined {
    return this.entries.get(seq)?.command;
  }

  /** Settles request `seq` with its response. False when `seq` is not outstanding (late or foreign). */
  resolve(seq: number, value: T): boolean {
    const entry = this.entries.get(seq);
    if (entry === undefined) return false;
    const resolve = entry.resolve;
    this.remove(entry);
    resolve(value);
    return true;
  }

  /** Fails request `seq`. False when `seq` is not outstanding. */
  reject(seq: number, err: Error): boolean {
    const entry = this.entries.get(seq);
    if (entry === undefined) return false;
    const reject = entry.reject;
    this.remove(entry);
    reject(err);
    return true;
  }

  /**
   * Fails every outstanding request (outcome unknown: they were written) and every waiter (nothing was
   * sent) with a {@link SessionClosedError} carrying `reason`. The window stays usable, e.g. for the
   * next connection of the session.
   */
  rejectAll(reason: string): void {
    // Waiters go first, so that the slots freed below are not handed to them.
    this.rejectWaiters(reason);
    const entries = [...this.entries.values()];
    for (const entry of entries) {
      const reject = entry.reject;
      this.remove(entry);
      reject(new SessionClosedError(reason, true));
    }
    this.stopTimerIfIdle();
  }

  /**
   * Fails every caller still waiting for a slot (nothing of theirs was sent) and leaves outstanding
   * requests alone: the first step of a graceful close.
   */
  rejectWaiters(reason: string): void {
    const waiters = this.waiters;
    const head = this.waitersHead;
    this.waiters = [];
    this.waitersHead = 0;
    this.waitingCount = 0;
    for (let i = head; i < waiters.length; i++) {
      const waiter = waiters[i];
      if (waiter === undefined || waiter.done) continue;
      waiter.done = true;
      waiter.reject(new SessionClosedError(reason, false));
    }
  }

  /** {@link rejectAll}, then refuse every later acquire and track with `reason`. */
  close(reason: string): void {
    this.closedReason = reason;
    this.rejectAll(reason);
    this.stopTimer();
  }

  /** Resolves true once nothing is outstanding, or false after `waitMs` milliseconds. */
  drain(waitMs: number): Promise<boolean> {
    if (this.entries.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        resolve(false);
      }, waitMs);
      timer.unref();
      const done = () => {
        if (settled) return;
        clearTimeout(timer);
        resolve(true);
      };
      if (this.drainers === undefined) this.drainers = [done];
      else this.drainers.push(done);
    });
  }

  private remove(entry: Entry<T>): void {
    this.entries.delete(entry.seq);
    const slot = entry.slot;
    entry.resolve = noop;
    entry.reject = noop;
    this.spare.push(entry);
    if (slot) this.release();
    if (this.entries.size === 0 && this.drainers !== undefined) {
      const drainers = this.drainers;
      this.drainers = undefined;
      for (const done of drainers) done();
    }
  }

  private handOff(): void {
    while (this.waitingCount > 0 && this.used < this.size) {
      const waiter = this.waiters[this.waitersHead];
      this.waitersHead++;
      if (waiter === undefined || waiter.done) continue;
      waiter.done = true;
      this.waitingCount--;
      this.used++;
      waiter.resolve();
    }
    this.compactWaiters();
  }

  private compactWaiters(): void {
    while (this.waitersHead < this.waiters.length && this.waiters[this.waitersHead]?.done === true) {
      this.waitersHead++;
    }
    if (this.waitersHead === this.waiters.length) {
      this.waiters = [];
      this.waitersHead = 0;
    } else if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.waitersHead);
      this.waitersHead = 0;
    }
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.clock = this.now();
    this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private stopTimerIfIdle(): void {
    if (this.entries.size === 0 && this.waitingCount === 0) this.stopTimer();
  }

  /** Fails the requests of a sweep that are still waiting (entries are reused: seq and deadline tell). */
  private expire(expired: readonly Entry<T>[], deadlines: readonly number[]): void {
    for (const [i, entry] of expired.entries()) {
      if (this.entries.get(entry.seq) !== entry || entry.deadline !== deadlines[i]) continue;
      const { reject, command, seq, timeoutMs } = entry;
      this.remove(entry);
      reject(new ResponseTimeoutError(command, seq, timeoutMs));
    }
    this.stopTimerIfIdle();
  }

  private sweep(): void {
    const now = this.now();
    this.clock = now;
    const expired: Entry<T>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.deadline <= now) expired.push(entry);
    }
    if (expired.length > 0) {
      // Decided after this turn of the event loop has read its sockets: when the loop was held up (a
      // long GC, a busy process), the response may already be waiting unread, and failing the request
      // first would make an answered submit look unanswered, so it would be sent again.
      const deadlines = expired.map((entry) => entry.deadline);
      setImmediate(() => this.expire(expired, deadlines));
    }
    if (this.waitingCount > 0) {
      for (let i = this.waitersHead; i < this.waiters.length; i++) {
        const waiter = this.waiters[i];
        if (waiter === undefined || waiter.done || waiter.deadline > now) continue;
        waiter.done = true;
        this.waitingCount--;
        waiter.reject(new WindowWaitTimeoutError(waiter.waitMs));
      }
      this.compactWaiters();
    }
    this.stopTimerIfIdle();
  }
}

function noop(): void {}
