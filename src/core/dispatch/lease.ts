/**
 * Leases of the messages this instance holds. Renewal is one UPDATE per interval for everything held
 * (by primary key, so it never scans), not one per message; release hands work back to the poller.
 * Both lock in id order, like every other multi-row writer of `messages`, so they cannot deadlock with
 * the result writer.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";

/** Extends the lease of the held messages still leased to us; returns how many were extended. */
export async function renewLeases(
  db: Executor,
  instanceId: string,
  leaseMs: number,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await queryRows<{ n: number }>(
    db,
    sql`WITH held AS (
          SELECT id FROM messages
          WHERE id = ANY(${sql.param([...ids].sort())}::text[]) AND lease_owner = ${instanceId}
            AND status IN ('queued', 'sending')
          ORDER BY id FOR UPDATE
        ), renewed AS (
          UPDATE messages m SET
            lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
            -- a held message is the poller's only once the lease ends (see claim.ts)
            next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
          FROM held WHERE m.id = held.id
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM renewed`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Gives queued messages back (more accepted than this instance will send soon, or shutting down): the
 * poller of any instance takes them at once. Messages already `sending` keep their lease to run out.
 */
export async function releaseQueued(db: Executor, instanceId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(
    sql`UPDATE messages SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
        WHERE id = ANY(${sql.param([...ids].sort())}::text[]) AND lease_owner = ${instanceId}
          AND status = 'queued'`,
  );
}

/**
 * At start: leases still held under this instance id belong to a previous run of it (a restart with a
 * stable id). They are expired now, so the poller takes that work at once instead of after the lease.
 */
export async function expireOwnLeases(db: Executor, instanceId: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`WITH expired AS (
          UPDATE messages SET
            lease_expires_at = now() - interval '1 millisecond',
            next_attempt_at = now() - interval '1 millisecond'
          WHERE lease_owner = ${instanceId} AND status IN ('queued', 'sending')
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM expired`,
  );
  return rows[0]?.n ?? 0;
}
