/**
 * Receipts left pointing at a message the retention sweep deleted. The sweep deletes a message's matched
 * receipts with it (messages.ts), but a receipt being matched to it at that moment cannot be seen: a
 * matching transaction (receipt writer, unmatched sweeper) finds the part without locking it (a lock on
 * the hot path for the sake of a background job), inserts or updates the receipt, and only then waits
 * on the part row the sweep holds. When the sweep commits first, the receipt commits after it with a
 * message_id naming nothing, and no later batch of messages would find it.
 *
 * So each sweep also walks the receipts of messages older than the cutoff, by message id on the
 * receipts' message index, and deletes those whose message is gone. Sound without locks: such a receipt
 * names a message the sweep deleted, so an id below the cutoff's, and every later sweep's range (its
 * cutoff only moves forward) includes it once it is committed. Cheap: after the message batches, the
 * range holds little but the receipts of old messages that stay (not settled, or changed lately) and
 * index entries of rows just deleted. A message id below the cutoff's cannot belong to a message not
 * committed yet: ids are made from the clock when the message is accepted, at least a day earlier.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { firstIdAt } from "../ids.js";

export interface DanglingBatch {
  /** Message ids looked at; fewer than the limit means none is left after `last`. */
  scanned: number;
  /** The greatest message id looked at: the next batch starts after it. */
  last: string | undefined;
  receipts: number;
}

/**
 * Looks at the receipts of up to `limit` message ids greater than `after` and made before `cutoff`, and
 * deletes those whose message no longer exists. By message id, not receipt: a batch never ends between
 * two receipts of one message, so none is stepped over.
 */
export async function deleteDanglingReceipts(
  tx: Executor,
  cutoff: Date,
  limit: number,
  after = "",
): Promise<DanglingBatch> {
  const [row] = await queryRows<{ scanned: number; last: string | null; deleted: number }>(
    tx,
    sql`WITH scanned AS (
          SELECT DISTINCT message_id FROM receipts
          WHERE message_id IS NOT NULL AND message_id > ${after}
            AND message_id < ${firstIdAt("msg", cutoff.getTime())}
          ORDER BY message_id LIMIT ${limit}
        ), gone AS (
          DELETE FROM receipts r USING scanned s
          WHERE r.message_id IS NOT NULL AND r.message_id = s.message_id
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = s.message_id)
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM scanned)::int AS scanned,
               (SELECT max(message_id) FROM scanned) AS last,
               (SELECT count(*) FROM gone)::int AS deleted`,
  );
  return { scanned: row?.scanned ?? 0, last: row?.last ?? undefined, receipts: row?.deleted ?? 0 };
}
