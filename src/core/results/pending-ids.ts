/**
 * SMSC ids this process has been given (submit_sm_resp ESME_ROK) whose result the result writer has not
 * committed yet. A receipt for one of them that arrives meanwhile (the SMSC is quicker than our batched
 * commit) would find no part and be stored unmatched, then matched by a second UPDATE in the result
 * writer's transaction: database work twice over. Instead the receipt writer waits here, in memory and
 * bounded, until the result is committed, and the receipt matches on arrival.
 *
 * Ids are keyed as parts store them (`upstream \0 smscIdKey(id)`); a receipt looks up the same key
 * candidates it looks its part up with (receipts/match-keys.ts). Entries are owned by the message whose
 * attempt got them and leave together when its result is written (or its write failed): the map never
 * holds more than the parts submitted and not yet committed, which the unsettled gates bound, and it has
 * a cap of its own. Receipts for another instance's submits find nothing here and keep the unmatched path.
 */
import { smscIdKey } from "../../db/smsc-id.js";

export interface PendingIdsOptions {
  /** Longest a receipt waits for its submit's result to be committed; ms. Default 2000. */
  maxWaitMs?: number;
  /** Most ids tracked at once; past it new ids are not tracked (their receipts may go unmatched). Default 100000. */
  maxEntries?: number;
}

export interface PendingIdsStats {
  /** Ids tracked now. */
  pending: number;
  /** Receipts that found their id pending and waited. */
  waited: number;
  /** Of them, the ones whose wait hit `maxWaitMs`. */
  timedOut: number;
  /** Ids not tracked because the map was full. */
  dropped: number;
}

interface Entry {
  /** Owners holding this key (an SMSC may hand the same id out twice). */
  refs: number;
  waiters: Array<() => void>;
}

export class PendingIds {
  private readonly byKey = new Map<string, Entry>();
  private readonly byOwner = new Map<string, string[]>();
  private readonly maxWaitMs: number;
  private readonly maxEntries: number;
  private readonly counters = { waited: 0, timedOut: 0, dropped: 0 };

  constructor(options: PendingIdsOptions = {}) {
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 2000);
    this.maxEntries = Math.max(0, options.maxEntries ?? 100_000);
  }

  get stats(): PendingIdsStats {
    return { pending: this.byKey.size, ...this.counters };
  }

  /** Notes that `upstreamId` accepted a part of message `owner` under `smscMessageId`, not committed yet. */
  add(owner: string, upstreamId: string, smscMessageId: string): void {
    const key = smscIdKey(smscMessageId);
    if (key === "") return; // no receipt can name it (match-keys.ts)
    const mapKey = `${upstreamId}\u0000${key}`;
    let entry = this.byKey.get(mapKey);
    if (entry === undefined) {
      if (this.byKey.size >= this.maxEntries) {
        this.counters.dropped++;
        return;
      }
      entry = { refs: 0, waiters: [] };
      this.byKey.set(mapKey, entry);
    }
    entry.refs++;
    const keys = this.byOwner.get(owner);
    if (keys === undefined) this.byOwner.set(owner, [mapKey]);
    else keys.push(mapKey);
  }

  /** The result of message `owner` is committed, or will not be soon: its ids stop holding receipts. */
  settle(owner: string): void {
    const keys = this.byOwner.get(owner);
    if (keys === undefined) return;
    this.byOwner.delete(owner);
    for (const mapKey of keys) {
      const entry = this.byKey.get(mapKey);
      if (entry === undefined) continue;
      if (--entry.refs > 0) continue;
      this.byKey.delete(mapKey);
      for (const wake of entry.waiters) wake();
    }
  }

  /**
   * Resolves once none of `keys` (match keys of a receipt from `upstreamId`) is pending, or after
   * `maxWaitMs`; undefined when none is pending now, so the common case costs no promise.
   */
  whenSettled(upstreamId: string, keys: readonly string[]): Promise<void> | undefined {
    const entries: Entry[] = [];
    for (const key of keys) {
      const entry = this.byKey.get(`${upstreamId}\u0000${key}`);
      if (entry !== undefined) entries.push(entry);
    }
    if (entries.length === 0 || this.maxWaitMs === 0) return undefined;
    this.counters.waited++;
    return new Promise<void>((resolve) => {
      let left = entries.length;
      const timer = setTimeout(() => {
        this.counters.timedOut++;
        left = 0;
        resolve();
      }, this.maxWaitMs);
      timer.unref();
      const wake = () => {
        if (left === 0 || --left > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const entry of entries) entry.waiters.push(wake);
    });
  }
}
