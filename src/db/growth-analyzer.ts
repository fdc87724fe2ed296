/**
 * Planner statistics for tables that are young and growing fast. autovacuum analyzes a table once its
 * changes pass a threshold, and looks at each database one round at a time (a minute apart by
 * default), so a new installation under load runs for minutes on statistics that call its busiest
 * tables nearly empty. The planner then scans whole tables for the batch statements (seen in
 * bench:e2e: result and receipt writes joined against a full scan of a table 30 times its believed
 * size, once per batch). This keeper reads the catalog every few seconds and ANALYZEs a watched table
 * whose live rows have doubled since its statistics were taken: about twenty times on the way to a
 * million rows, then rarely, while autovacuum keeps doing the routine work.
 *
 * ANALYZE takes a lock that neither reads nor writes wait for; two instances analyzing the same table
 * only queue behind each other.
 */
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type Database, queryRows } from "./client.js";

/** The tables the hot paths write and join batches against. */
export const GROWING_TABLES = [
  "messages",
  "message_parts",
  "idempotency_keys",
  "receipts",
  "events",
  "webhook_deliveries",
  "webhook_attempts",
  "inbound_messages",
  "inbound_parts",
  "inbound_repeat_keys",
] as const;

export interface GrowthAnalyzerOptions {
  /** Pause between looks at the catalog; ms. Default 5000. */
  intervalMs?: number;
  /** Live rows below which a table is left to autovacuum. Default 1000. */
  minRows?: number;
  /** Growth since the last statistics that makes a table due: live rows > factor × counted rows. Default 2. */
  factor?: number;
  logger?: Logger | undefined;
}

interface TableCounts extends Record<string, unknown> {
  relname: string;
  /** Rows counted by the last ANALYZE or VACUUM; -1 before the first. */
  reltuples: number;
  liveRows: number;
}

export class GrowthAnalyzer {
  private readonly intervalMs: number;
  private readonly minRows: number;
  private readonly factor: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: GrowthAnalyzerOptions = {},
  ) {
    this.intervalMs = Math.max(1, options.intervalMs ?? 5000);
    this.minRows = options.minRows ?? 1000;
    this.factor = options.factor ?? 2;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((error: unknown) =>
          this.options.logger?.warn({ err: error }, "analyzing growing tables failed"),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look: analyzes the watched tables that are due; returns their names. */
  async tick(): Promise<string[]> {
    const rows = await queryRows<TableCounts>(
      this.db,
      sql`SELECT c.relname, c.reltuples::float8 AS reltuples, s.n_live_tup::float8 AS "liveRows"
          FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
          WHERE c.relnamespace = 'public'::regnamespace
            AND c.relname = ANY(${sql.param([...GROWING_TABLES])}::text[])`,
    );
    const due = rows
      .filter((t) => t.liveRows >= this.minRows && t.liveRows > this.factor * Math.max(t.reltuples, 0))
      .map((t) => t.relname);
    for (const table of due) {
      // The name comes from the fixed list above, never from input.
      await this.db.execute(sql.raw(`ANALYZE "${table}"`));
    }
    if (due.length > 0) this.options.logger?.debug({ tables: due }, "analyzed growing tables");
    return due;
  }
}
