/**
 * Unmatched receipts past their retention. One whose part never came (a receipt for another ESME on the
 * same system_id, or for a submit lost in a database restore) would otherwise wait for ever, and could
 * only ever match a part it was not for (see receiptFitsPart in horizon.ts).
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { countRows } from "../../db/count-rows.js";

/**
 * Deletes up to `limit` unmatched receipts received more than `olderThanSeconds` ago, oldest first, and
 * returns how many. Limited so one statement never holds a huge backlog's rows or locks at once: the
 * sweeper repeats it until a round deletes fewer than `limit`.
 */
export function deleteExpiredUnmatched(
  tx: Executor,
  olderThanSeconds: number,
  limit: number,
): Promise<number> {
  return countRows(
    tx,
    sql`DELETE FROM receipts WHERE id IN (
          SELECT id FROM receipts
          WHERE message_id IS NULL
            AND received_at < now() - make_interval(secs => ${olderThanSeconds}::float8)
          ORDER BY received_at LIMIT ${limit})
        RETURNING 1`,
  );
}
