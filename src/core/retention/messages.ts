/**
 * Retention of outbound messages: one batch of settled messages whose last change is older than the
 * cutoff, deleted with their parts and matched receipts.
 *
 * Selected by primary-key range (`id < firstIdAt(cutoff)`: ids are time-ordered) rather than by an index
 * on a timestamp, which every insert and status change of the busiest table would pay for; a message
 * made before the cutoff can have changed after it, so `updated_at` is checked too. `updated_at` rather
 * than `done_at`: every status change sets it, whereas `done_at` stays null on a `sent` message (sent is
 * not final: a receipt may still come), which is settled too once its last change is past the retention.
 *
 * Locks are only ever taken with SKIP LOCKED, so the sweep never waits on the hot path and cannot
 * deadlock with it (a receipt locks a part, then its message; this takes the message, then the parts):
 * a message, or one of its parts, that another transaction holds is left for a later sweep. A message
 * whose status changed since the statement's snapshot is re-checked on its locked version.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { countRows } from "../../db/count-rows.js";
import type { MessageStatus } from "../../db/schema.js";
import { lockOldRows } from "./old-rows.js";

/** Statuses nothing acts on any more: a `sent` message never receipted stays `sent` for good. */
export const SETTLED_MESSAGE_STATUSES: readonly MessageStatus[] = [
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "canceled",
];

export interface MessageBatch {
  /** Messages looked at (locked candidates); fewer than the limit means none is left after `last`. */
  scanned: number;
  /** The greatest id looked at: the next batch starts after it. */
  last: string | undefined;
  messages: number;
  message_parts: number;
  receipts: number;
}

/** Deletes up to `limit` settled messages with id greater than `after`, last changed before `cutoff`. */
export async function deleteSettledMessages(
  tx: Executor,
  cutoff: Date,
  limit: number,
  after = "",
): Promise<MessageBatch> {
  const ids = await lockOldRows(
    tx,
    "messages",
    cutoff,
    limit,
    after,
    sql`status IN (${sql.join(
      SETTLED_MESSAGE_STATUSES.map((s) => sql`${s}`),
      sql`, `,
    )}) AND updated_at < ${cutoff.toISOString()}::timestamptz`,
  );
  const batch: MessageBatch = {
    scanned: ids.length,
    last: ids.at(-1),
    messages: 0,
    message_parts: 0,
    receipts: 0,
  };
  if (ids.length === 0) return batch;

  // A part another transaction holds (a late receipt being applied) keeps its message for later: waiting
  // for it while holding the message would deadlock with that transaction, which wants the message next.
  const locked = await queryRows<{ message_id: string }>(
    tx,
    sql`SELECT message_id FROM message_parts WHERE message_id = ANY(${sql.param(ids)}::text[])
        FOR UPDATE SKIP LOCKED`,
  );
  const all = await queryRows<{ message_id: string; n: number }>(
    tx,
    sql`SELECT message_id, count(*)::int AS n FROM message_parts
        WHERE message_id = ANY(${sql.param(ids)}::text[]) GROUP BY message_id`,
  );
  const lockedCount = new Map<string, number>();
  for (const row of locked) lockedCount.set(row.message_id, (lockedCount.get(row.message_id) ?? 0) + 1);
  const busy = new Set(
    all.filter((row) => (lockedCount.get(row.message_id) ?? 0) < row.n).map((r) => r.message_id),
  );
  const doomed = ids.filter((id) => !busy.has(id));
  if (doomed.length === 0) return batch;

  // Receipts carry the message id as plain text (no foreign key): deleted here, by their index. One
  // being matched to these messages in another transaction right now is not seen: dangling-receipts.ts.
  batch.receipts = await countRows(
    tx,
    sql`DELETE FROM receipts WHERE message_id = ANY(${sql.param(doomed)}::text[]) RETURNING 1`,
  );
  // The parts would go by cascade; deleted first so they are counted.
  batch.message_parts = await countRows(
    tx,
    sql`DELETE FROM message_parts WHERE message_id = ANY(${sql.param(doomed)}::text[]) RETURNING 1`,
  );
  batch.messages = await countRows(
    tx,
    sql`DELETE FROM messages WHERE id = ANY(${sql.param(doomed)}::text[]) RETURNING 1`,
  );
  return batch;
}
