/**
 * Taking messages for dispatch. The poller's claim moves a message to `sending`, bumps `attempts` and
 * sets this instance's lease in the same statement that selects it, so two instances can never both take
 * a message and a crash between "taken" and "counted" cannot happen (graphile-worker / pg-boss style).
 *
 * Every message the dispatcher is not done with carries `next_attempt_at`: when the poller should look
 * at it (send_at, a retry's back-off end, or the end of the lease of the instance that holds it). A
 * held message's lease and next_attempt_at move together, so the one partial index on next_attempt_at
 * finds scheduled sends, retries and orphans alike, and never walks over work a live instance holds.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { messages } from "../../db/schema.js";
import type { MessageRow } from "../messages/sink.js";
import { rowFromRaw } from "./raw-rows.js";

/**
 * The poller's claim: up to `limit` messages whose time has come and that nobody holds:
 * - `scheduled` / `queued` (scheduled sends, retries after back-off, accepted messages whose accepting
 *   instance never started them or gave them back);
 * - `sending` whose lease ran out: an instance died mid-dispatch (its parts already accepted keep their
 *   ids and are not sent again).
 * `FOR UPDATE SKIP LOCKED`, so concurrent pollers take different rows without waiting on each other.
 */
export async function claimDue(
  db: Executor,
  instanceId: string,
  leaseMs: number,
  limit: number,
): Promise<MessageRow[]> {
  const leaseSeconds = leaseMs / 1000;
  const raw = await queryRows(
    db,
    sql`WITH taken AS (
          SELECT id FROM messages
          WHERE next_attempt_at <= now() AND status IN ('scheduled', 'queued', 'sending')
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          ORDER BY next_attempt_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE messages m SET
          status = 'sending',
          attempts = m.attempts + 1,
          next_attempt_at = now() + make_interval(secs => ${leaseSeconds}),
          lease_owner = ${instanceId},
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
          updated_at = now()
        FROM taken
        WHERE m.id = taken.id
        RETURNING m.*`,
  );
  return raw.map((r) => rowFromRaw(messages, r));
}

/** What {@link startLeased} changed in a message. */
export interface Started {
  id: string;
  attempts: number;
  updatedAt: Date;
  leaseExpiresAt: Date;
  nextAttemptAt: Date;
}

/**
 * Starts messages handed over in memory by the accept path (already leased to this instance at insert).
 * The `status = 'queued'` condition is the cancel check: a message canceled since acceptance (or taken
 * by another instance after our lease ran out) is not returned, and must not be sent. The lease and
 * next_attempt_at are left as the accept or the last renewal set them: changing no indexed column keeps
 * this, the hot path's one extra write per message, a HOT update.
 */
export async function startLeased(
  db: Executor,
  instanceId: string,
  ids: readonly string[],
): Promise<Started[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{
    id: string;
    attempts: number;
    updated_at: string;
    lease_expires_at: string;
    next_attempt_at: string;
  }>(
    db,
    sql`UPDATE messages SET
          status = 'sending',
          attempts = attempts + 1,
          updated_at = now()
        WHERE id = ANY(${sql.param([...ids].sort())}::text[]) AND status = 'queued' AND lease_owner = ${instanceId}
        RETURNING id, attempts, updated_at, lease_expires_at, next_attempt_at`,
  );
  return rows.map((r) => ({
    id: r.id,
    attempts: r.attempts,
    updatedAt: new Date(r.updated_at),
    leaseExpiresAt: new Date(r.lease_expires_at),
    nextAttemptAt: new Date(r.next_attempt_at),
  }));
}
