/**
 * Message outcome and webhook attempt counters read from what the pipeline already writes, instead of
 * hooks in its hot paths: every status change a webhook names has its row in `events` (same
 * transaction as the change), every webhook attempt its row in `webhook_attempts`. Both have
 * time-ordered primary keys, so each scrape reads only the rows added since the last one — one index
 * range scan, aggregated in SQL.
 *
 * Two consequences an operator should know: the counts are of the whole deployment (every instance
 * writes to the same tables; aggregate across instances with `max`, not `sum`), and they trail by
 * {@link SETTLE_MS}, since a row whose id was minted a moment ago may still be in an open transaction
 * and commit after rows with later ids.
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../db/client.js";
import type { MessageOutcome, ServiceMetrics, WebhookAttemptOutcome } from "./metrics.js";

/** Rows younger than this are left for the next scrape (their transaction may not have committed). */
export const SETTLE_MS = 10_000;
/** Rows read per statement; a scrape runs statements until it has caught up (at most {@link MAX_ROUNDS}). */
const BATCH = 50_000;
const MAX_ROUNDS = 10;

/** Length of an id's prefix plus its time part: `evt_` + 10 base32 digits (see core/ids.ts). */
const TIME_PREFIX_CHARS = 10;

/** Label for a message that never reached an upstream (no route). */
export const NO_UPSTREAM = "none";

const MESSAGE_EVENTS: Record<string, MessageOutcome | "submitted"> = {
  "message.sent": "submitted",
  "message.delivered": "delivered",
  "message.undelivered": "undelivered",
  "message.failed": "failed",
};

const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** The smallest id of `prefix` minted at `ms` or later: ids compare as strings in time order. */
export function idFloor(prefix: string, ms: number): string {
  let time = "";
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < TIME_PREFIX_CHARS; i++) {
    time = (BASE32[t % 32] ?? "0") + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}`;
}

export interface EventLogCountersOptions {
  /** Rows younger than this are counted by a later scrape; ms. Default {@link SETTLE_MS}. */
  settleMs?: number | undefined;
  /** Wall clock, ms since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined;
}

interface Cursor {
  events: string;
  attempts: string;
}

export class EventLogCounters {
  private cursor: Cursor | undefined;
  private running: Promise<void> | undefined;

  private readonly settleMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly db: Database,
    private readonly metrics: ServiceMetrics,
    options: EventLogCountersOptions = {},
  ) {
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** Starts counting from now: rows already in the tables are not counted. */
  async start(): Promise<void> {
    const rows = await queryRows<{ events: string | null; attempts: string | null }>(
      this.db,
      sql`SELECT (SELECT max(id) FROM events) AS events, (SELECT max(id) FROM webhook_attempts) AS attempts`,
    );
    this.cursor = { events: rows[0]?.events ?? "", attempts: rows[0]?.attempts ?? "" };
  }

  /** Counts the rows added since the last call (concurrent calls share one pass). */
  refresh(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const cursor = this.cursor;
    if (cursor === undefined) return;
    const settled = this.clock() - this.settleMs;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const read = await this.readEvents(cursor, idFloor("evt", settled));
      if (read < BATCH) break;
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const read = await this.readAttempts(cursor, idFloor("wha", settled));
      if (read < BATCH) break;
    }
  }

  private async readEvents(cursor: Cursor, horizon: string): Promise<number> {
    const rows = await queryRows<{
      type: string;
      account: string;
      upstream: string | null;
      n: number;
      last: string;
    }>(
      this.db,
      sql`WITH batch AS (
            SELECT id, type, account_id, payload->>'upstream' AS upstream FROM events
            WHERE id > ${cursor.events} AND id < ${horizon}
            ORDER BY id LIMIT ${BATCH}
          )
          SELECT type, account_id AS account, upstream, count(*)::int AS n, max(id) AS last
          FROM batch GROUP BY type, account_id, upstream`,
    );
    let total = 0;
    for (const row of rows) {
      total += row.n;
      if (row.last > cursor.events) cursor.events = row.last;
      const kind = MESSAGE_EVENTS[row.type];
      if (kind === undefined) continue;
      const upstream = row.upstream ?? NO_UPSTREAM;
      if (kind === "submitted") this.metrics.submitted(upstream, row.account, row.n);
      else this.metrics.outcome(kind, upstream, row.account, row.n);
    }
    return total;
  }

  private async readAttempts(cursor: Cursor, horizon: string): Promise<number> {
    const rows = await queryRows<{ outcome: WebhookAttemptOutcome; n: number; last: string }>(
      this.db,
      sql`WITH batch AS (
            SELECT id, status_code FROM webhook_attempts
            WHERE id > ${cursor.attempts} AND id < ${horizon}
            ORDER BY id LIMIT ${BATCH}
          )
          SELECT CASE WHEN status_code BETWEEN 200 AND 299 THEN 'succeeded'
                      WHEN status_code IS NULL THEN 'error'
                      ELSE 'failed' END AS outcome,
                 count(*)::int AS n, max(id) AS last
          FROM batch GROUP BY 1`,
    );
    let total = 0;
    for (const row of rows) {
      total += row.n;
      if (row.last > cursor.attempts) cursor.attempts = row.last;
      this.metrics.webhookAttempt(row.outcome, row.n);
    }
    return total;
  }
}
