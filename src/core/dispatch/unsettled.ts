/**
 * The bound on what a crash sends twice (DESIGN.md §2, issue 5). A part is *unsettled* from the moment
 * its submit_sm may be written until the result writer has COMMITTED what came back: a `kill -9` in
 * between loses the answer, and the restarted process sends the part again. The session window only
 * bounds parts awaiting their submit_sm_resp; results are stored in batches after the window slot is
 * free, so without this gate the answered-but-unstored parts came on top of it. Each upstream gets one
 * gate of `sessions × window` permits (read at every grant, so it follows a PATCH of the upstream):
 * what a crash can resend is at most that many parts per upstream.
 *
 * Permits are taken per message, all its parts at once, first come first served: a message never
 * holds some permits while it waits for more, so messages cannot deadlock each other, and the ones
 * granted finish their submits and are committed, which frees the gate for the next. A message with
 * more parts than the gate is granted alone, once the gate is empty (it cannot wait for more room than
 * there is): only then is the bound exceeded, by that message's extra parts.
 */

/** Permits held by one attempt; released per part known not sent, the rest once the result is committed. */
export interface UnsettledPermit {
  /** Permits still held. */
  readonly held: number;
  /** Gives back `n` permits (default: all still held); never more than are held, so safe to repeat. */
  release(n?: number): void;
}

interface Waiter {
  parts: number;
  grant: (permit: UnsettledPermit | undefined) => void;
}

export class UnsettledGate {
  private unsettledParts = 0;
  private readonly waiters: Waiter[] = [];
  private peakParts = 0;

  /** @param capacity permits of this upstream now (sessions × window); read at every grant. */
  constructor(private readonly capacity: () => number) {}

  /** Parts submitted (or being submitted) whose outcome is not committed yet. */
  get unsettled(): number {
    return this.unsettledParts;
  }

  /** Messages waiting for permits. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The most parts ever unsettled at once. */
  get peak(): number {
    return this.peakParts;
  }

  /**
   * Takes `parts` permits, waiting (first come first served) until they are free. Resolves undefined
   * when {@link cancelWaiting} gave up the wait: the message was not sent.
   */
  acquire(parts: number): Promise<UnsettledPermit | undefined> {
    return new Promise((grant) => {
      this.waiters.push({ parts: Math.max(0, parts), grant });
      this.grant();
    });
  }

  /**
   * Takes `parts` permits only if they are free now and nobody waits for them; undefined otherwise.
   * For a message that should not queue here (its upstream has no bound session to send it on).
   */
  tryAcquire(parts: number): UnsettledPermit | undefined {
    const n = Math.max(0, parts);
    if (this.waiters.length > 0) return undefined;
    if (this.unsettledParts > 0 && this.unsettledParts + n > Math.max(1, this.capacity())) return undefined;
    this.unsettledParts += n;
    this.peakParts = Math.max(this.peakParts, this.unsettledParts);
    return this.permit(n);
  }

  /**
   * Grants what fits now. Acquires and releases do this themselves; call it when the capacity may have
   * grown with nothing moving (a PATCH while every permit waits on a slow commit).
   */
  recheck(): void {
    this.grant();
  }

  /** Resolves every waiting {@link acquire} with undefined (the dispatcher is stopping). */
  cancelWaiting(): void {
    for (const waiter of this.waiters.splice(0)) waiter.grant(undefined);
  }

  private grant(): void {
    if (this.waiters.length === 0) return;
    const capacity = Math.max(1, this.capacity());
    for (;;) {
      const head = this.waiters[0];
      if (head === undefined) return;
      const fits = this.unsettledParts + head.parts <= capacity;
      if (!fits && this.unsettledParts > 0) return;
      this.waiters.shift();
      this.unsettledParts += head.parts;
      this.peakParts = Math.max(this.peakParts, this.unsettledParts);
      head.grant(this.permit(head.parts));
    }
  }

  private permit(parts: number): UnsettledPermit {
    let held = parts;
    return {
      get held() {
        return held;
      },
      release: (n = held) => {
        const k = Math.min(Math.max(0, n), held);
        if (k === 0) return;
        held -= k;
        this.unsettledParts -= k;
        this.grant();
      },
    };
  }
}

/** One {@link UnsettledGate} per upstream, made on first use. */
export class UnsettledGates {
  private readonly gates = new Map<string, UnsettledGate>();
  private readonly lastCapacity = new Map<string, number>();

  /**
   * @param capacityOf the upstream's permits now (sessions × window); undefined when it no longer runs
   *   here, in which case the last value seen is kept for the parts still out.
   */
  constructor(private readonly capacityOf: (upstreamId: string) => number | undefined) {}

  for(upstreamId: string): UnsettledGate {
    let gate = this.gates.get(upstreamId);
    if (gate === undefined) {
      gate = new UnsettledGate(() => {
        const now = this.capacityOf(upstreamId);
        if (now !== undefined) this.lastCapacity.set(upstreamId, now);
        return now ?? this.lastCapacity.get(upstreamId) ?? 1;
      });
      this.gates.set(upstreamId, gate);
    }
    return gate;
  }

  /** Re-reads every gate's capacity and grants what now fits (see {@link UnsettledGate.recheck}). */
  recheck(): void {
    for (const gate of this.gates.values()) gate.recheck();
  }

  /** Gives up every wait for permits (see {@link UnsettledGate.cancelWaiting}). */
  cancelWaiting(): void {
    for (const gate of this.gates.values()) gate.cancelWaiting();
  }

  /** Per upstream: parts unsettled, messages waiting and the peak, for stats and tests. */
  stats(): Map<string, { unsettled: number; waiting: number; peak: number }> {
    const out = new Map<string, { unsettled: number; waiting: number; peak: number }>();
    for (const [id, gate] of this.gates) {
      out.set(id, { unsettled: gate.unsettled, waiting: gate.waiting, peak: gate.peak });
    }
    return out;
  }
}
