/**
 * How many rows each receiver (gate) may hold in the worker, and when it asks for more: sized by its
 * recent send rate (rates.ts), so a receiver that answers fast is kept busy while the next claim runs,
 * and one that is slow or hangs keeps a small backlog and cannot hold the rows others need.
 */
import { type ClaimedDelivery, gateOf } from "./claim.js";
import { SendRates } from "./rates.js";

/**
 * Most rows held here (claimed or handed over), in batches: the bound on memory whatever the receivers
 * do (~1 kB a row: 10,000 rows at the default batch).
 */
const HARD_CAP_BATCHES = 20;
/** Most rows one fast receiver may hold from claims of rows it did not miss, in batches. */
const MAX_BACKLOG_BATCHES = 4;
/** A receiver's claimed backlog covers this many seconds of its recent send rate (when above the minimum). */
const BACKLOG_SECONDS = 0.5;
/**
 * A receiver's room for this process's own new deliveries covers this many seconds of its recent send
 * rate, up to the hard cap; so does its claim while its rows wait in the database (backlogged).
 * Handed rows are leased to this worker at insert whatever happens, so holding them costs only memory,
 * whereas a row left unleased costs a claim (a scan of the due rows, and a row update). Under load that
 * outruns a receiver, its queue here stays full: with half a second, every new delivery missed the
 * hand-off and was claimed again (claims carried 98 % of them, at 140 µs of PostgreSQL CPU a row).
 */
const HANDOFF_BACKLOG_SECONDS = 10;

export class BacklogPolicy {
  /** Sends finished per gate, recently: what the backlogs follow. */
  readonly rates = new SendRates();
  /**
   * Gates with deliveries left in the database for the claim: they take no hand-offs until a claim
   * drains them, so newer deliveries do not overtake older ones, and a receiver that cannot keep up is
   * served by whole claims rather than by hand-offs of a row or two whenever a slot frees (measured:
   * that costs more database CPU per delivery than claiming alone).
   */
  readonly backlogged = new Set<string>();
  /** Most rows held here in all: claimed, handed over, and outcomes not yet written. */
  readonly hardCap: number;
  private readonly maxBacklog: number;

  /**
   * @param batchSize Rows per claim.
   * @param minBacklog Rows any gate may hold whatever its rate (`perEndpointBacklog`).
   */
  constructor(
    batchSize: number,
    readonly minBacklog: number,
  ) {
    this.maxBacklog = Math.max(minBacklog, batchSize * MAX_BACKLOG_BATCHES);
    this.hardCap = batchSize * HARD_CAP_BATCHES;
  }

  /**
   * Held rows at or below which the gate `key` asks for a claim: when a quarter of its backlog has gone,
   * so the next claim is back before the pipe runs dry. A backlogged gate waits until half has gone:
   * its backlog is seconds long, and a claim costs about the same for 50 rows as for 500 (it scans the
   * due rows), so fewer, fuller claims.
   */
  refillPoint(key: string, now: number): number {
    const backlog = this.backlog(key, now);
    return this.backlogged.has(key) ? Math.floor(backlog / 2) : Math.floor((backlog * 3) / 4);
  }

  /**
   * Rows the gate `key` may hold: half a second of its recent rate, within the bounds; or, while its
   * rows wait in the database because the hand-off had no room (backlogged), as much as the hand-off
   * gives it: claimed a quarter of half a second at a time, a receiver kept busy never drained its rows
   * from the database, so it never took hand-offs again while the load lasted.
   */
  backlog(key: string, now: number): number {
    if (this.backlogged.has(key)) return this.longBacklog(key, now);
    const byRate = Math.ceil(this.rates.perSecond(key, now) * BACKLOG_SECONDS);
    return Math.min(this.maxBacklog, Math.max(this.minBacklog, byRate));
  }

  /** {@link HANDOFF_BACKLOG_SECONDS} of the gate's recent rate, at least the minimum, at most the cap. */
  longBacklog(key: string, now: number): number {
    const byRate = Math.ceil(this.rates.perSecond(key, now) * HANDOFF_BACKLOG_SECONDS);
    return Math.min(this.hardCap, Math.max(this.minBacklog, byRate));
  }

  /**
   * A claim that was not cut by its limit took fewer rows of a backlogged gate than the gate had room
   * for: nothing of it is due in the database any more, so it takes hand-offs again. (The claim's scan
   * window can hide a gate's rows behind others; then the gate takes hand-offs a little early, and its
   * older rows go with the next claims.)
   */
  noteDrained(rows: readonly ClaimedDelivery[], limit: number, gateRooms: ReadonlyMap<string, number>) {
    if (this.backlogged.size === 0 || rows.length >= limit) return;
    const taken = new Map<string, number>();
    for (const row of rows) {
      const key = gateOf(row.endpoint_id, row.url);
      taken.set(key, (taken.get(key) ?? 0) + 1);
    }
    for (const key of this.backlogged) {
      const room = gateRooms.get(key) ?? this.minBacklog;
      if (room > 0 && (taken.get(key) ?? 0) < room) this.backlogged.delete(key);
    }
  }
}
