/**
 * Which held deliveries may still be sent, and where. A row claimed (or handed over) and then kept
 * waiting in its gate behind a slow receiver can go stale: meanwhile its endpoint may have been disabled
 * (the row is `dead`), deleted (the row is gone), given a new URL (the row's `url` follows it), or the
 * delivery retried by hand (its lease was cleared and the claim may take it again). Sent as held, it
 * would reach a receiver its customer turned off, or a URL they moved away from. One statement checks
 * a whole gate's waiting rows; the worker only asks for rows that waited (see `recheckAfterMs`), so a
 * receiver that keeps up never pays for it.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../../db/client.js";

/** The rows of `ids` still leased to `owner` and waiting, each with its current URL. */
export async function stillHeld(
  db: Executor,
  owner: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<{ id: string; url: string }>(
    db,
    // NOT IN the finished statuses, so each row is looked up by primary key, not in the due index
    // (see results.ts).
    sql`SELECT id, url FROM webhook_deliveries
        WHERE id = ANY(${sql.param([...ids])}::text[]) AND lease_owner = ${owner}
          AND status NOT IN ('succeeded', 'dead')`,
  );
  return new Map(rows.map((row) => [row.id, row.url]));
}
