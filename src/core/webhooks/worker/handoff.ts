/**
 * The worker's side of the outbox hand-off (events/outbox.ts): deliveries written by a transaction of
 * this process, leased to this worker and handed over in memory, so the common case never runs the
 * claim. They are written before their transaction commits, and must not be sent unless it does, so
 * each batch waits here until one cheap statement sees it committed:
 * - the writing transaction's status (`pg_xact_status` of its xid): rolled back, the batch is dropped
 *   at once; still in progress, it is looked at again later (backing off to a second);
 * - which of its rows are visible, still leased to this worker and waiting: those are sent. A commit is
 *   recorded before it is visible, so rows of a committed transaction not visible yet are looked for
 *   again for a while (see {@link COMMITTED_GRACE_MS}).
 * A batch not seen committed while its lease still leaves time to send is dropped: the claim takes its
 * rows when the lease runs out. Dropped rows are never lost, only later.
 *
 * Room is reserved when the outbox asks, before the rows are written, and counts against the worker's
 * backlogs like the rows it holds, so a hand-off can never overfill a receiver's gate.
 */
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type Database, queryRows } from "../../../db/client.js";
import type {
  DeliveryHandOff,
  DeliveryTarget,
  DeliveryToSend,
  HandOffReservation,
} from "../../events/outbox.js";
import { gateOf } from "./claim.js";

/** What the worker lends the hand-off. */
export interface HandOffHost {
  /** Rows the worker may still take in all (hard cap), not counting reservations. */
  totalRoom(): number;
  /** Rows the gate `key` may still take (its backlog less what it holds), not counting reservations. */
  gateRoom(key: string, now: number): number;
  /** Committed rows to send; `sendBy` as for claimed rows. */
  take(rows: DeliveryToSend[], sendBy: number): void;
  /** Deliveries of these gates are being written that this worker did not take: a claim may find them. */
  missed(keys: ReadonlySet<string>): void;
}

export interface HandOffStats {
  /** Handed-over rows seen committed and queued for sending (no claim). */
  handedRows: number;
  /** Handed-over rows never seen committed: rolled back, or their lease ran short (left to the claim). */
  handOffDropped: number;
  /** Commit checks run, and their summed duration in ms. */
  commitChecks: number;
  commitCheckMs: number;
}

interface Batch {
  xid: string;
  rows: DeliveryToSend[];
  gates: string[];
  sendBy: number;
  /** performance.now() of the round that first saw the transaction committed. */
  committedAt?: number;
  /** performance.now() of the next look, and the wait after that one. */
  checkAt: number;
  delayMs: number;
}

/** First look after an offer: the writer commits right after appending, usually within this. */
const FIRST_CHECK_MS = 2;
/** Longest wait between looks at a transaction still in progress. */
const MAX_CHECK_DELAY_MS = 1000;
/**
 * How long rows of a committed transaction may stay invisible before they are given up. A commit is in
 * the commit log before it is visible to new snapshots, by far longer than usual while a synchronous
 * standby confirms it; given-up rows are only late (the claim takes them when the lease ends).
 */
const COMMITTED_GRACE_MS = 10_000;

export class HandOffInbox implements DeliveryHandOff {
  private readonly reservedByGate = new Map<string, number>();
  private reservedTotal = 0;
  private batches: Batch[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private checking: Promise<void> | undefined;
  private open = true;

  /**
   * @param sendWindowMs How long after the lease starts a row may still be sent (lease less the
   * attempt timeout and a margin), as for claims.
   */
  constructor(
    private readonly db: Database,
    readonly owner: string,
    readonly leaseMs: number,
    private readonly sendWindowMs: number,
    private readonly host: HandOffHost,
    /** Counted into (the worker's stats). */
    private readonly counters: HandOffStats,
    private readonly logger?: Logger | undefined,
  ) {}

  /** Rows reserved or waiting for their commit, in all and for gate `key`. */
  reserved(key?: string): number {
    return key === undefined ? this.reservedTotal : (this.reservedByGate.get(key) ?? 0);
  }

  /** Rows reserved or waiting for their commit, per gate. */
  reservedGates(): IterableIterator<[string, number]> {
    return this.reservedByGate.entries();
  }

  reserve(targets: readonly DeliveryTarget[]): HandOffReservation | undefined {
    if (!this.open) return undefined;
    // Counted from before the rows are written: the lease in the database starts later.
    const sendBy = performance.now() + this.sendWindowMs;
    const now = performance.now();
    let total = this.host.totalRoom() - this.reservedTotal;
    const rooms = new Map<string, number>();
    const taken: boolean[] = [];
    const gates: string[] = [];
    const missed = new Set<string>();
    for (const target of targets) {
      const key = gateOf(target.endpointId, target.url);
      let room = rooms.get(key);
      if (room === undefined) room = this.host.gateRoom(key, now) - this.reserved(key);
      const take = total > 0 && room > 0;
      taken.push(take);
      if (take) {
        total--;
        room--;
        gates.push(key);
        this.hold(key, 1);
      } else missed.add(key);
      rooms.set(key, room);
    }
    if (missed.size > 0) this.host.missed(missed);
    let settled = false;
    return {
      taken,
      offer: (rows, xid) => {
        if (settled) return;
        settled = true;
        // Offered after stop(): not sent here; their lease runs out and the claim takes them.
        if (!this.open) {
          this.releaseRoom(gates);
          return;
        }
        const checkAt = performance.now() + FIRST_CHECK_MS;
        this.batches.push({ xid, rows, gates, sendBy, checkAt, delayMs: FIRST_CHECK_MS });
        this.schedule(checkAt);
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.releaseRoom(gates);
      },
    };
  }

  /**
   * Stops taking rows and waits for a running check. Returns the ids of handed rows not yet sent
   * (some may belong to transactions that will still commit): the caller releases those it can.
   */
  async close(): Promise<string[]> {
    this.open = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
    const ids = this.batches.flatMap((batch) => batch.rows.map((row) => row.id));
    for (const batch of this.batches) this.releaseRoom(batch.gates);
    this.batches = [];
    return ids;
  }

  private hold(key: string, n: number): void {
    const left = (this.reservedByGate.get(key) ?? 0) + n;
    if (left <= 0) this.reservedByGate.delete(key);
    else this.reservedByGate.set(key, left);
    this.reservedTotal += n;
  }

  private releaseRoom(gates: readonly string[]): void {
    for (const key of gates) this.hold(key, -1);
  }

  private schedule(at: number): void {
    if (!this.open || this.checking !== undefined || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.checking = this.check()
          .catch((error: unknown) => {
            this.logger?.error({ err: error }, "webhook hand-off commit check crashed");
          })
          .finally(() => {
            this.checking = undefined;
            const next = Math.min(...this.batches.map((b) => b.checkAt));
            if (Number.isFinite(next)) this.schedule(next);
          });
      },
      Math.max(0, at - performance.now()),
    );
  }

  /** One round: every batch due for a look, in one statement. */
  private async check(): Promise<void> {
    const now = performance.now();
    const due: Batch[] = [];
    for (const batch of this.batches) {
      if (now > batch.sendBy) this.drop(batch);
      else if (batch.checkAt <= now) due.push(batch);
    }
    this.batches = this.batches.filter((batch) => now <= batch.sendBy);
    if (due.length === 0) return;
    let result: { statuses: Map<string, string | null>; visible: Map<string, boolean> };
    const started = performance.now();
    try {
      result = await checkCommitted(
        this.db,
        this.owner,
        [...new Set(due.map((b) => b.xid))],
        due.flatMap((b) => b.rows.map((row) => row.id)),
      );
    } catch (error) {
      this.logger?.warn({ err: error }, "webhook hand-off commit check failed; will look again");
      for (const batch of due) this.later(batch);
      return;
    }
    this.counters.commitChecks++;
    this.counters.commitCheckMs += performance.now() - started;
    if (!this.open) return; // close() collects the batches for release
    const finished = new Set<Batch>();
    for (const batch of due) {
      const status = result.statuses.get(batch.xid) ?? null;
      if (status === "aborted") {
        this.drop(batch);
        finished.add(batch);
        continue;
      }
      if (status === "in progress") {
        this.later(batch);
        continue;
      }
      // Committed (null: too old to tell, so long finished either way). A row visible but no longer
      // ours (its endpoint was disabled, …) is not sent; one not visible yet is looked for again, until
      // the grace ends (deleted with its endpoint, or written in a savepoint that rolled back).
      const now = performance.now();
      batch.committedAt ??= now;
      const ours = batch.rows.filter((row) => result.visible.get(row.id) === true);
      const waiting = batch.rows.filter(
        (row) => !result.visible.has(row.id) && now - (batch.committedAt ?? now) < COMMITTED_GRACE_MS,
      );
      this.releaseRoom(batch.gates);
      this.counters.handOffDropped += batch.rows.length - ours.length - waiting.length;
      if (ours.length > 0) {
        this.counters.handedRows += ours.length;
        this.host.take(ours, batch.sendBy);
      }
      if (waiting.length === 0) {
        finished.add(batch);
        continue;
      }
      batch.rows = waiting;
      batch.gates = waiting.map((row) => gateOf(row.endpoint_id, row.url));
      for (const key of batch.gates) this.hold(key, 1);
      this.later(batch);
    }
    this.batches = this.batches.filter((batch) => !finished.has(batch));
  }

  private later(batch: Batch): void {
    batch.delayMs = Math.min(MAX_CHECK_DELAY_MS, batch.delayMs * 2);
    batch.checkAt = performance.now() + batch.delayMs;
  }

  private drop(batch: Batch): void {
    this.releaseRoom(batch.gates);
    this.counters.handOffDropped += batch.rows.length;
  }
}

/**
 * The writing transactions' status, and the handed rows that are visible (so committed), each with
 * whether it is still leased to `owner` and waiting for its first attempt. By primary key: a few index
 * probes, no write.
 */
async function checkCommitted(
  db: Database,
  owner: string,
  xids: readonly string[],
  ids: readonly string[],
): Promise<{ statuses: Map<string, string | null>; visible: Map<string, boolean> }> {
  const rows = await queryRows<{ kind: string; key: string; status: string | null; ours: boolean | null }>(
    db,
    sql`SELECT 'x' AS kind, x.xid AS key, pg_xact_status(x.xid::xid8)::text AS status, NULL::boolean AS ours
        FROM unnest(${sql.param([...xids])}::text[]) AS x(xid)
        UNION ALL
        SELECT 'd', id, NULL, lease_owner IS NOT DISTINCT FROM ${owner} AND status IN ('pending', 'failed')
          AND attempts = 0
        FROM webhook_deliveries WHERE id = ANY(${sql.param([...ids])}::text[])`,
  );
  const statuses = new Map<string, string | null>();
  const visible = new Map<string, boolean>();
  for (const row of rows) {
    if (row.kind === "x") statuses.set(row.key, row.status);
    else visible.set(row.key, row.ours === true);
  }
  return { statuses, visible };
}
