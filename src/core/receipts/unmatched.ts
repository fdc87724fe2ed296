/**
 * Receipts that arrived before their part's SMSC id was stored wait in `receipts` with no message. Two
 * paths match them:
 * - the result writer, in the same transaction that stores new part ids, looks for receipts waiting on
 *   exactly those ids ({@link findWaitingReceipts}, {@link applyWaitingReceipts});
 * - a sweeper ({@link UnmatchedSweeper}) retries recent unmatched receipts now and then, for the race in
 *   which both transactions ran at once and neither saw the other's row.
 * Both match a receipt only to a part whose submit could have caused it ({@link receiptFitsPart}),
 * the sweeper only to one sent within the match horizon before the receipt came (horizon.ts), and the
 * sweeper deletes the ones that waited past their retention.
 */

import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { type Database, type Executor, queryRows } from "../../db/client.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import type { MessageRow } from "../messages/sink.js";
import type { UpstreamNames } from "../results/message-events.js";
import { applyPartReceipts, isFinalStat, type PartReceipt } from "./apply.js";
import { DEFAULT_RECEIPT_MATCH_HORIZON_MS, receiptFitsPart } from "./horizon.js";
import { matchKeys } from "./match-keys.js";
import { deleteExpiredUnmatched } from "./retention.js";
import { findParts, type UpstreamDirectory } from "./writer.js";

/**
 * Most waiting receipts the result writer takes per new part id. An SMSC may deliver one receipt a few
 * times (intermediate states, redeliveries), but a backlog under one id must not load unbounded rows into
 * the writer's transaction; the sweeper retries what is left while it is young.
 */
const WAITING_PER_PART = 4;

/** A part whose SMSC id was just stored. */
export interface NewPartId {
  upstreamId: string;
  smscMessageId: string;
  messageId: string;
  index: number;
  /** When the attempt began sending it (instance clock), as stored in `message_parts.sent_at`. */
  sentAt: Date;
}

interface WaitingReceipt extends Record<string, unknown> {
  id: string;
  upstream_id: string;
  smsc_id_key: string;
  smsc_message_id: string;
  stat: string | null;
  err: string | null;
}

/** A waiting receipt and the part it names. */
export interface PlacedReceipt {
  receipt: WaitingReceipt;
  messageId: string;
  index: number;
}

/**
 * Finds (and locks) the receipts waiting for these new part ids. It needs no other statement's result,
 * so the result writer sends it beside its part and message updates, and applies what it found with
 * {@link applyWaitingReceipts} after its own events. The match horizon (how long before a receipt
 * its part may have been sent) needs no check here: these parts were sent moments ago, their results
 * held in memory for seconds or an outage's length, never for days, so every receipt that came until
 * now is within it.
 */
export async function findWaitingReceipts(
  tx: Executor,
  parts: readonly NewPartId[],
  upstreams: UpstreamDirectory,
): Promise<PlacedReceipt[]> {
  if (parts.length === 0) return [];
  const byKey = new Map<string, NewPartId>();
  for (const part of parts) {
    const format = upstreams.get(part.upstreamId)?.config.message_id_format ?? "auto";
    for (const key of matchKeys(part.smscMessageId, format))
      byKey.set(`${part.upstreamId}\u0000${key}`, part);
  }
  const lookups = [...byKey.entries()].map(([k, part]) => {
    const [upstreamId = "", key = ""] = k.split("\u0000");
    return { upstreamId, key, sentAt: part.sentAt.toISOString() };
  });
  const waiting = await queryRows<WaitingReceipt>(
    tx,
    sql`SELECT r.id, r.upstream_id, r.smsc_id_key, r.smsc_message_id, r.stat, r.err
        FROM unnest(${sql.param(lookups.map((l) => l.upstreamId))}::text[],
                    ${sql.param(lookups.map((l) => l.key))}::text[],
                    ${sql.param(lookups.map((l) => l.sentAt))}::text[]::timestamptz[]) AS c(upstream_id, key, sent_at)
        JOIN receipts r ON r.upstream_id = c.upstream_id AND r.smsc_id_key = c.key
        WHERE r.message_id IS NULL AND ${receiptFitsPart(sql`r.received_at`, sql`c.sent_at`)}
        ORDER BY r.received_at, r.id
        LIMIT ${parts.length * WAITING_PER_PART}
        FOR UPDATE OF r SKIP LOCKED`,
  );
  return waiting.flatMap((r) => {
    const part = byKey.get(`${r.upstream_id}\u0000${r.smsc_id_key}`);
    return part === undefined ? [] : [{ receipt: r, messageId: part.messageId, index: part.index }];
  });
}

/** Matches the receipts {@link findWaitingReceipts} found to their parts; returns the messages that changed. */
export function applyWaitingReceipts(
  tx: Executor,
  placed: readonly PlacedReceipt[],
  names: UpstreamNames,
): Promise<MessageRow[]> {
  return markAndApply(tx, placed, names);
}

export interface UnmatchedSweeperOptions {
  /** Time between sweeps; ms. Default 2000. */
  intervalMs?: number;
  /** Only receipts younger than this are retried (older ones are orphans); ms. Default 600000 (10 min). */
  windowMs?: number;
  /** Receipts looked at per sweep, and deleted per statement. Default 1000. */
  batch?: number;
  /**
   * Unmatched receipts received longer ago than this are deleted (config `UNMATCHED_RECEIPT_RETENTION`);
   * ms. Default 604800000 (7 d).
   */
  retentionMs?: number;
  /**
   * Only a part sent this long before the receipt came is matched (config `RECEIPT_MATCH_HORIZON`,
   * horizon.ts); ms. Default {@link DEFAULT_RECEIPT_MATCH_HORIZON_MS} (10 d).
   */
  matchHorizonMs?: number;
  /** Told after each COMMIT of the waiting receipts it matched, by upstream id (the metrics count them). */
  onMatched?: LateMatches | undefined;
  logger?: Logger | undefined;
}

/** Told after COMMIT of receipts that waited unmatched and have now found their part: their upstream ids. */
export type LateMatches = (upstreamIds: readonly string[]) => void;

export class UnmatchedSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly batch: number;
  private readonly retentionMs: number;
  private readonly matchHorizonMs: number;

  constructor(
    private readonly db: Database,
    private readonly upstreams: UpstreamDirectory,
    private readonly names: UpstreamNames,
    private readonly options: UnmatchedSweeperOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.windowMs = options.windowMs ?? 600_000;
    this.batch = Math.max(1, options.batch ?? 1000);
    this.retentionMs = options.retentionMs ?? 604_800_000;
    this.matchHorizonMs = options.matchHorizonMs ?? DEFAULT_RECEIPT_MATCH_HORIZON_MS;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One sweep: matches what it can, then deletes the unmatched receipts past their retention. Resolves
   * with the number of receipts matched (0 when another sweep is running).
   */
  sweep(): Promise<number> {
    if (this.running !== undefined) return Promise.resolve(0);
    this.running = this.sweepAndExpire().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepAndExpire(): Promise<number> {
    const matched = await withConflictRetry(() => this.db.transaction((tx) => this.sweepIn(tx))).then(
      (upstreamIds) => {
        if (upstreamIds.length > 0) this.options.onMatched?.(upstreamIds);
        return upstreamIds.length;
      },
      (error: unknown) => {
        this.options.logger?.warn({ err: error }, "matching waiting receipts failed");
        return 0;
      },
    );
    await this.expire().catch((error: unknown) => {
      this.options.logger?.warn({ err: error }, "deleting expired unmatched receipts failed");
    });
    return matched;
  }

  /** Deletes unmatched receipts past the retention, a batch per statement; returns how many. */
  private async expire(): Promise<number> {
    let deleted = 0;
    // Bounded: each round deletes a full batch or ends the loop.
    for (let round = 0; round < 1000; round++) {
      const n = await deleteExpiredUnmatched(this.db, this.retentionMs / 1000, this.batch);
      deleted += n;
      if (n < this.batch) break;
    }
    if (deleted > 0) {
      this.options.logger?.info(
        { receipts: deleted, retention_ms: this.retentionMs },
        "deleted unmatched receipts past their retention",
      );
    }
    return deleted;
  }

  /** Matches what it can; returns the upstream id of each receipt matched. */
  private async sweepIn(tx: Executor): Promise<string[]> {
    const waiting = await queryRows<WaitingReceipt & { received_at: string }>(
      tx,
      sql`SELECT id, upstream_id, smsc_id_key, smsc_message_id, stat, err, received_at::text AS received_at
          FROM receipts
          WHERE message_id IS NULL AND smsc_id_key <> ''
            AND received_at > now() - make_interval(secs => ${this.windowMs / 1000})
          ORDER BY received_at LIMIT ${this.batch}
          FOR UPDATE SKIP LOCKED`,
    );
    if (waiting.length === 0) return [];
    const keysOf = waiting.map((r) => {
      const format = this.upstreams.get(r.upstream_id)?.config.message_id_format ?? "auto";
      return matchKeys(r.smsc_message_id, format);
    });
    // Looked up per receipt, not per id alone: two receipts naming one id may differ in age, and only
    // the young one may match.
    const found = await findParts(
      tx,
      waiting.flatMap((r, i) =>
        (keysOf[i] ?? []).map((key) => ({
          ref: r.id,
          upstreamId: r.upstream_id,
          key,
          receivedAt: r.received_at,
        })),
      ),
      this.matchHorizonMs,
    );
    const placed = waiting.flatMap((r, i) => {
      for (const key of keysOf[i] ?? []) {
        const part = found.get(`${r.id}\u0000${key}`);
        if (part !== undefined) return [{ receipt: r, messageId: part.messageId, index: part.index }];
      }
      return [];
    });
    await markAndApply(tx, placed, this.names);
    return placed.map((p) => p.receipt.upstream_id);
  }
}

async function markAndApply(
  tx: Executor,
  placed: readonly PlacedReceipt[],
  names: UpstreamNames,
): Promise<MessageRow[]> {
  if (placed.length === 0) return [];
  await tx.execute(
    sql`UPDATE receipts r SET message_id = v.message_id, part_index = v.idx, matched_at = now()
        FROM unnest(${sql.param(placed.map((p) => p.receipt.id))}::text[],
                    ${sql.param(placed.map((p) => p.messageId))}::text[],
                    ${sql.param(placed.map((p) => p.index))}::int[]) AS v(id, message_id, idx)
        WHERE r.id = v.id`,
  );
  const receipts: PartReceipt[] = placed.map((p) => ({
    messageId: p.messageId,
    partIndex: p.index,
    stat: p.receipt.stat,
    err: p.receipt.err,
    final: isFinalStat(p.receipt.stat),
  }));
  return applyPartReceipts(tx, receipts, names);
}
