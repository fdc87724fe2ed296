import type { PduOf } from "../smpp/pdu.js";
import { isTransient } from "../smpp/status.js";

/** A deliver_sm as the simulator builds it; the session sets its sequence_number when sending it. */
export type DeliverSmBody = PduOf<"deliver_sm">;

/** What a deliver_sm carries: a delivery receipt or an inbound SMS (MO). */
export type DeliveryKind = "receipt" | "mo";

/** A bound session that can take deliver_sm (receiver or transceiver). */
export interface DeliveryTarget {
  /** The simulator's id of the connection (what `SubmitRecord.sessionId` names). */
  readonly sessionId?: number;
  /** deliver_sm it can take right now without queueing. */
  readonly freeSlots: number;
  /**
   * Sends a deliver_sm; resolves with the response (deliver_sm_resp or generic_nack), rejects when no
   * response came (timeout, connection lost).
   */
  deliver(body: DeliverSmBody): Promise<{ command_status: number }>;
}

/** Queue key that any receiver-capable bind may serve (inbound SMS injected without a system_id). */
export const ANY_SYSTEM_ID = "*";

export interface DeliveryQueueOptions {
  /** Items held per key; the oldest is dropped beyond this. */
  limit: number;
  /** Attempts before an item is given up. */
  maxAttempts: number;
  /** Milliseconds before a failed attempt is tried again. */
  retryDelayMs: number;
  /** Told about every attempt and final result, for the stats. */
  onEvent?: (kind: DeliveryKind, event: DeliveryEvent) => void;
}

/**
 * - `sent`: a deliver_sm was written; `acked`: answered ESME_ROK;
 * - `retry`: answered with a temporary error or not at all, will be sent again;
 * - `rejected`: answered with a permanent error, given up; `expired`: out of attempts;
 * - `dropped`: pushed out of a full inbox.
 */
export type DeliveryEvent = "sent" | "acked" | "retry" | "rejected" | "expired" | "dropped";

interface Item {
  kind: DeliveryKind;
  body: DeliverSmBody;
  attempts: number;
  onAcked: ((target: DeliveryTarget) => void) | undefined;
}

class Fifo {
  items: (Item | undefined)[] = [];
  head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Item): void {
    this.items.push(item);
  }

  unshift(item: Item): void {
    if (this.head > 0) {
      this.head -= 1;
      this.items[this.head] = item;
    } else {
      this.items.unshift(item);
    }
  }

  shift(): Item | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Receipts and inbound SMS on their way to the ESMEs, per system_id. Items go to that system_id's
 * receiver-capable binds, spread round-robin over the binds with a free slot; with no bind (or no
 * free slot) they wait here: the SMSC's inbox. A deliver_sm answered ESME_RX_T_APPN (or any other
 * temporary status) or not answered at all is retried after a pause, a bounded number of times.
 */
export class DeliveryQueue {
  private readonly queues = new Map<string, Fifo>();
  private readonly targets = new Map<string, DeliveryTarget[]>();
  private readonly cursors = new Map<string, number>();
  private readonly keyOf = new Map<DeliveryTarget, string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: DeliveryQueueOptions) {}

  /** Items waiting for `systemId` (all keys when omitted), not counting those in flight or awaiting a retry. */
  held(systemId?: string): number {
    if (systemId !== undefined) return this.queues.get(systemId)?.size ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** Items waiting for a retry timer. */
  get retrying(): number {
    return this.retryTimers.size;
  }

  addTarget(systemId: string, target: DeliveryTarget): void {
    const list = this.targets.get(systemId);
    if (list) list.push(target);
    else this.targets.set(systemId, [target]);
    this.keyOf.set(target, systemId);
    this.pump(systemId);
    this.pump(ANY_SYSTEM_ID);
  }

  removeTarget(systemId: string, target: DeliveryTarget): void {
    this.keyOf.delete(target);
    const list = this.targets.get(systemId);
    if (!list) return;
    const i = list.indexOf(target);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.targets.delete(systemId);
  }

  /** Queues `body`; `onAcked` is told which target answered it ESME_ROK. */
  enqueue(
    systemId: string,
    kind: DeliveryKind,
    body: DeliverSmBody,
    onAcked?: (target: DeliveryTarget) => void,
  ): void {
    if (this.closed) return;
    let q = this.queues.get(systemId);
    if (!q) {
      q = new Fifo();
      this.queues.set(systemId, q);
    }
    q.push({ kind, body, attempts: 0, onAcked });
    while (q.size > this.options.limit) {
      const dropped = q.shift();
      if (dropped) this.options.onEvent?.(dropped.kind, "dropped");
    }
    this.pump(systemId);
  }

  /** Sends what can be sent now for `systemId`; a target's freed slot calls this again. */
  pump(systemId: string): void {
    const q = this.queues.get(systemId);
    if (!q || q.size === 0 || this.closed) return;
    while (q.size > 0) {
      const target = this.pickTarget(systemId);
      if (!target) return;
      const item = q.shift();
      if (!item) return;
      this.send(systemId, target, item);
    }
  }

  /** Stops retries and forgets everything held. */
  close(): void {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.queues.clear();
    this.targets.clear();
    this.keyOf.clear();
  }

  private candidates(systemId: string): DeliveryTarget[] {
    if (systemId !== ANY_SYSTEM_ID) return this.targets.get(systemId) ?? [];
    const all: DeliveryTarget[] = [];
    for (const list of this.targets.values()) all.push(...list);
    return all;
  }

  private pickTarget(systemId: string): DeliveryTarget | undefined {
    const list = this.candidates(systemId);
    const n = list.length;
    if (n === 0) return undefined;
    const start = this.cursors.get(systemId) ?? 0;
    for (let i = 0; i < n; i++) {
      const index = (start + i) % n;
      const target = list[index];
      if (target && target.freeSlots > 0) {
        this.cursors.set(systemId, (index + 1) % n);
        return target;
      }
    }
    return undefined;
  }

  private send(systemId: string, target: DeliveryTarget, item: Item): void {
    item.attempts += 1;
    const onEvent = this.options.onEvent;
    onEvent?.(item.kind, "sent");
    target.deliver(item.body).then(
      ({ command_status: status }) => {
        if (status === 0) {
          onEvent?.(item.kind, "acked");
          item.onAcked?.(target);
        } else if (isTransient(status)) this.retry(systemId, item);
        else onEvent?.(item.kind, "rejected");
        this.pumpAfterSettle(target);
      },
      () => {
        this.retry(systemId, item);
        this.pumpAfterSettle(target);
      },
    );
  }

  /** A slot of `target` came free: its own system_id's queue goes first, then the shared one. */
  private pumpAfterSettle(target: DeliveryTarget): void {
    const key = this.keyOf.get(target);
    if (key !== undefined) this.pump(key);
    this.pump(ANY_SYSTEM_ID);
  }

  private retry(systemId: string, item: Item): void {
    if (this.closed) return;
    if (item.attempts >= this.options.maxAttempts) {
      this.options.onEvent?.(item.kind, "expired");
      return;
    }
    this.options.onEvent?.(item.kind, "retry");
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      let q = this.queues.get(systemId);
      if (!q) {
        q = new Fifo();
        this.queues.set(systemId, q);
      }
      q.unshift(item);
      this.pump(systemId);
    }, this.options.retryDelayMs);
    timer.unref();
    this.retryTimers.add(timer);
  }
}
