/**
 * Retention of inbound SMS: inbound messages received before the cutoff, selected by primary-key range
 * (their ids are time-ordered). Their joined segments and repeat keys go by the inbound sweeper's own
 * statement (inbound/statements.ts, deleteExpired), which the retention sweeper also runs with its
 * cutoff, for when INBOUND_REPEAT_WINDOW is the longer.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { countRows } from "../../db/count-rows.js";
import { lockOldRows } from "./old-rows.js";

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
  const ids = await lockOldRows(tx, "inbound_messages", cutoff, limit, after);
  const batch: InboundBatch = { scanned: ids.length, last: ids.at(-1), inbound_messages: 0 };
  if (ids.length === 0) return batch;
  batch.inbound_messages = await countRows(
    tx,
    sql`DELETE FROM inbound_messages WHERE id = ANY(${sql.param(ids)}::text[]) RETURNING 1`,
  );
  return batch;
}
