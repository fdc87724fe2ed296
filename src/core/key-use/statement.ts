/**
 * The one write of key uses: every key of a flush in ONE statement, each with its own use time.
 * `greatest` keeps the column from moving backwards when instances flush out of order (a NULL column
 * takes the new time: greatest ignores NULLs). The keys go in sorted so two instances flushing the same
 * keys at once lock their rows in the same order rather than deadlocking.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import type { PendingUse } from "./throttle.js";

export async function writeLastUses(db: Executor, uses: readonly PendingUse[]): Promise<void> {
  if (uses.length === 0) return;
  const sorted = [...uses].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  await db.execute(
    sql`UPDATE api_keys AS k SET last_used_at = greatest(k.last_used_at, u.at)
        FROM unnest(${sql.param(sorted.map((u) => u.keyId))}::text[],
                    ${sql.param(sorted.map((u) => new Date(u.at).toISOString()))}::text[]::timestamptz[])
          AS u(id, at)
        WHERE k.id = u.id`,
  );
}
