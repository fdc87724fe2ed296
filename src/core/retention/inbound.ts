/**
 * Retention of inbound SMS: inbound messages received before the cutoff, and what the inbound sweeper
 * would otherwise keep of them when INBOUND_REPEAT_WINDOW is longer than the retention (joined
 * segments, repeat keys). Inbound messages and segments are selected by primary-key range (their ids
 * are time-ordered), repeat keys by their received_at index.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { firstIdAt } from "../ids.js";
import { countDeleted } from "./count-deleted.js";

export interface InboundBatch {
  /** Rows looked at; fewer than the limit means none is left after `last`. */
  scanned: number;
  /** The greatest id looked at: the next batch starts after it. */
  last: string | undefined;
  inbound_messages: number;
}

/**
 * Deletes up to `limit` inbound messages with id greater than `after` received before `cutoff`. Nothing
 * else locks a stored inbound message; SKIP LOCKED keeps two sweeps on different rows.
 */
export async function deleteOldInbound(
  tx: Executor,
  cutoff: Date,
  limit: number,
  after = "",
): Promise<InboundBatch> {
  const candidates = await queryRows<{ id: string }>(
    tx,
    sql`SELECT id FROM inbound_messages
        WHERE id < ${firstIdAt("inb", cutoff.getTime())} AND id > ${after}
        ORDER BY id LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`,
  );
  const ids = candidates.map((c) => c.id);
  const batch: InboundBatch = { scanned: ids.length, last: ids.at(-1), inbound_messages: 0 };
  if (ids.length === 0) return batch;
  batch.inbound_messages = await countDeleted(
    tx,
    sql`DELETE FROM inbound_messages WHERE id = ANY(${sql.param(ids)}::text[]) RETURNING 1`,
  );
  return batch;
}

/**
 * Deletes up to `limit` segments joined into a message and received before `cutoff` (a segment of an
 * inbound message older than the cutoff came before it, so its id is older too). A waiting segment is the
 * inbound sweeper's to surface; a row reused by a newer SMS with the same reference has a new received_at.
 */
export function deleteOldJoinedParts(tx: Executor, cutoff: Date, limit: number): Promise<number> {
  return countDeleted(
    tx,
    sql`DELETE FROM inbound_parts WHERE id IN (
          SELECT id FROM inbound_parts
          WHERE id < ${firstIdAt("inp", cutoff.getTime())} AND inbound_id IS NOT NULL
            AND received_at < ${cutoff.toISOString()}::timestamptz
          ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING 1`,
  );
}

/** Deletes up to `limit` repeat keys of whole SMS stored before `cutoff`. */
export function deleteOldRepeatKeys(tx: Executor, cutoff: Date, limit: number): Promise<number> {
  return countDeleted(
    tx,
    sql`DELETE FROM inbound_repeat_keys WHERE key IN (
          SELECT key FROM inbound_repeat_keys WHERE received_at < ${cutoff.toISOString()}::timestamptz
          ORDER BY received_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING 1`,
  );
}
