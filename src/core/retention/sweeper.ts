/**
 * The retention sweep (config MESSAGE_RETENTION): every few minutes, deletes settled messages, outbox
 * events and inbound SMS older than the retention, with what hangs off them, in small batches, each its
 * own short transaction with a pause after it so the hot path's writers are not starved of locks, I/O or
 * connections. A sweep walks each table's id range once (a row it had to leave, locked or still in use,
 * is stepped over rather than read again) and does at most `maxBatches` batches per table; what is left
 * waits for the next sweep. Every instance runs it: the statements lock with SKIP LOCKED and delete by
 * id, so concurrent sweeps share the work and a row is deleted once.
 */

import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type Database, type Executor, queryRows } from "../../db/client.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import { deleteExpired } from "../inbound/statements.js";
import { SweepLoop } from "../sweep-loop.js";
import { deleteDanglingReceipts } from "./dangling-receipts.js";
import { deleteOldEvents } from "./events.js";
import { deleteOldInbound } from "./inbound.js";
import { deleteSettledMessages } from "./messages.js";

/** Every table the sweep deletes from (the `table` label of the metric, the keys of the log line). */
export const RETENTION_TABLES = [
  "messages",
  "message_parts",
  "receipts",
  "events",
  "webhook_deliveries",
  "webhook_attempts",
  "inbound_messages",
  "inbound_parts",
  "inbound_repeat_keys",
] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];
export type RetentionCounts = Record<RetentionTable, number>;

export interface RetentionSweeperOptions {
  /** How long rows are kept (config `MESSAGE_RETENTION`); ms. Null: for ever, the sweeper does nothing. */
  retentionMs: number | null;
  /** Pause between sweeps; ms. Default 300_000 (5 min). */
  intervalMs?: number;
  /** Rows looked at per statement (per transaction). Default 2000. */
  batchSize?: number;
  /** Pause after each batch; ms. Default 50. */
  pauseMs?: number;
  /** Most batches per table in one sweep. Default 500 (a million rows per table at the default batch). */
  maxBatches?: number;
  /** Told what each sweep deleted (the metrics counter). */
  onDeleted?: ((counts: RetentionCounts) => void) | undefined;
  logger?: Logger | undefined;
}

/** A batch statement: what it looked at, where to go on from, and what it deleted. */
interface BatchResult {
  scanned: number;
  last?: string | undefined;
  deleted: Partial<RetentionCounts>;
}

export class RetentionSweeper {
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private readonly maxBatches: number;
  private readonly loop: SweepLoop;
  /** Set by {@link stop}: a sweep in progress ends after its current batch. */
  private halting = false;

  constructor(
    private readonly db: Database,
    private readonly options: RetentionSweeperOptions,
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 2000);
    this.pauseMs = Math.max(0, options.pauseMs ?? 50);
    this.maxBatches = Math.max(1, options.maxBatches ?? 500);
    this.loop = new SweepLoop(
      () => this.sweepOnce(),
      Math.max(1, options.intervalMs ?? 300_000),
      (error) => this.options.logger?.error({ err: error }, "retention sweep failed"),
    );
  }

  /** Sweeps now and then every `intervalMs` until {@link stop}; does nothing when retention is off. */
  start(): void {
    if (this.options.retentionMs === null) return;
    this.halting = false;
    this.loop.start();
  }

  /** Stops the timer; a sweep in progress ends after its current batch, and is waited for. */
  async stop(): Promise<void> {
    this.halting = true;
    await this.loop.stop();
  }

  /**
   * One sweep over every table; resolves with what it deleted (all zero when retention is off). Logs one
   * line with the counts. The tables are independent of each other: the order is only the log's.
   */
  async sweepOnce(): Promise<RetentionCounts> {
    const counts = Object.fromEntries(RETENTION_TABLES.map((t) => [t, 0])) as RetentionCounts;
    const retentionMs = this.options.retentionMs;
    if (retentionMs === null) return counts;
    const started = performance.now();
    // The database's clock, like the updated_at it is compared with.
    const [row] = await queryRows<{ ms: number }>(
      this.db,
      sql`SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms`,
    );
    const cutoff = new Date(Number(row?.ms ?? Date.now()) - retentionMs);
    const limit = this.batchSize;

    try {
      await this.walk(counts, async (tx, after) => {
        const b = await deleteSettledMessages(tx, cutoff, limit, after);
        return { scanned: b.scanned, last: b.last, deleted: b };
      });
      // After the messages: receipts matched to one of them while it was being deleted.
      await this.walk(counts, async (tx, after) => {
        const b = await deleteDanglingReceipts(tx, cutoff, limit, after);
        return { scanned: b.scanned, last: b.last, deleted: { receipts: b.receipts } };
      });
      await this.walk(counts, async (tx, after) => {
        const b = await deleteOldEvents(tx, cutoff, limit, after);
        return { scanned: b.scanned, last: b.last, deleted: b };
      });
      await this.walk(counts, async (tx, after) => {
        const b = await deleteOldInbound(tx, cutoff, limit, after);
        return { scanned: b.scanned, last: b.last, deleted: b };
      });
      // What the inbound sweeper deletes past INBOUND_REPEAT_WINDOW, by the same statement, here past the
      // retention when that is the shorter of the two.
      const seconds = retentionMs / 1000;
      await this.walk(counts, async (tx) => {
        const n = await deleteExpired(tx, "joined parts", seconds, limit);
        return { scanned: n, deleted: { inbound_parts: n } };
      });
      await this.walk(counts, async (tx) => {
        const n = await deleteExpired(tx, "repeat keys", seconds, limit);
        return { scanned: n, deleted: { inbound_repeat_keys: n } };
      });
    } finally {
      // Also when a batch failed: what the batches before it committed is deleted.
      this.options.onDeleted?.(counts);
    }
    this.options.logger?.info(
      {
        ...counts,
        retention_ms: retentionMs,
        cutoff: cutoff.toISOString(),
        ms: Math.round(performance.now() - started),
      },
      "retention sweep",
    );
    return counts;
  }

  /**
   * Runs `batch` in transactions until one looks at fewer rows than the limit, the sweeper stops, or
   * `maxBatches` ran; each batch starts after the last id the previous one looked at.
   */
  private async walk(
    counts: RetentionCounts,
    batch: (tx: Executor, after: string) => Promise<BatchResult>,
  ): Promise<void> {
    let after = "";
    for (let round = 0; round < this.maxBatches; round++) {
      const result = await withConflictRetry(() => this.db.transaction((tx) => batch(tx, after)));
      for (const [table, n] of Object.entries(result.deleted)) {
        if (table in counts && typeof n === "number") counts[table as RetentionTable] += n;
      }
      if (result.scanned < this.batchSize || this.halting) return;
      after = result.last ?? after;
      if (this.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }
}
