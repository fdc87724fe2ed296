/**
 * Which held deliveries may still be sent, and where. A row claimed (or handed over) and then kept
 * waiting in its gate behind a slow receiver can go stale: meanwhile its endpoint may have been disabled
 * (the row is `dead`), deleted (the row is gone), given a new URL (the row's `url` follows it), or the
 * delivery retried by hand (its lease was cleared and the claim may take it again). Sent as held, it
 * would reach a receiver its customer turned off, or a URL they moved away from; and if the secret was
 * rotated meanwhile, it would be signed with the old secret alone, which a receiver that switched to the
 * new one (the API promises both signatures from the rotation on) refuses. One statement checks
 * a whole gate's waiting rows; the worker only asks for rows that waited (see `recheckAfterMs`), so a
 * receiver that keeps up never pays for it.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../../db/client.js";
import { SIGNING_SECRETS_SQL } from "./claim.js";

/** Where a held delivery goes now, and what signs it (as the claim would read them now). */
export interface HeldDelivery extends Record<string, unknown> {
  id: string;
  url: string;
  secret_enc: string | null;
  previous_secret_enc: string | null;
}

/** The rows of `ids` still leased to `owner` and waiting, each with its current URL and secrets. */
export async function stillHeld(
  db: Executor,
  owner: string,
  ids: readonly string[],
): Promise<Map<string, HeldDelivery>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<HeldDelivery>(
    db,
    // NOT IN the finished statuses, so each row is looked up by primary key, not in the due index
    // (see results.ts). The secrets are chosen as the claim chooses them (SIGNING_SECRETS_SQL).
    sql`SELECT d.id, d.url, ${SIGNING_SECRETS_SQL}
        FROM webhook_deliveries d
        LEFT JOIN webhook_endpoints own ON own.id = d.endpoint_id
        LEFT JOIN LATERAL (
          SELECT w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at
          FROM events e JOIN webhook_endpoints w ON w.account_id = e.account_id
          WHERE d.endpoint_id IS NULL AND e.id = d.event_id
          ORDER BY w.id LIMIT 1
        ) oldest ON true
        WHERE d.id = ANY(${sql.param([...ids])}::text[]) AND d.lease_owner = ${owner}
          AND d.status NOT IN ('succeeded', 'dead')`,
  );
  return new Map(rows.map((row) => [row.id, row]));
}
