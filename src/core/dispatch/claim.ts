/**
 * Taking messages for dispatch. Both statements move a message to `sending`, bump `attempts` and set this
 * instance's lease in the same statement that selects it, so two instances can never both take a message
 * and a crash between "taken" and "counted" cannot happen (graphile-worker / pg-boss style).
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { messages } from "../../db/schema.js";
import type { MessageRow } from "../messages/sink.js";
import { rowFromRaw } from "./raw-rows.js";

/**
 * The poller's claim: up to `limit` messages whose time has come and that nobody holds:
 * - `scheduled` / `queued` with next_attempt_at passed (scheduled sends, retries after back-off, and
 *   accepted messages whose accepting instance never started them) and no live lease;
 * - `sending` whose lease ran out: an instance died mid-dispatch (its parts already accepted keep their
 *   ids and are not sent again).
 * Two CTEs, one per partial index (messages_due_idx, messages_lease_idx), each `FOR UPDATE SKIP LOCKED`
 * so concurrent pollers take different rows without waiting on each other.
 */
export async function claimDue(
  db: Executor,
  instanceId: string,
  leaseMs: number,
  limit: number,
): Promise<MessageRow[]> {
  const raw = await queryRows(
    db,
    sql`WITH due AS (
          SELECT id FROM messages
          WHERE status IN ('scheduled', 'queued') AND next_attempt_at <= now()
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          ORDER BY next_attempt_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), orphaned AS (
          SELECT id FROM messages
          WHERE status = 'sending' AND lease_expires_at < now()
          ORDER BY lease_expires_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), taken AS (
          SELECT id FROM (SELECT id FROM orphaned UNION ALL SELECT id FROM due) AS both_kinds LIMIT ${limit}
        )
        UPDATE messages m SET
          status = 'sending',
          attempts = m.attempts + 1,
          next_attempt_at = NULL,
          lease_owner = ${instanceId},
          lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
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
}

/**
 * Starts messages handed over in memory by the accept path (already leased to this instance at insert).
 * The `status = 'queued'` condition is the cancel check: a message canceled since acceptance (or taken
 * by another instance after our lease ran out) is not returned, and must not be sent.
 */
export async function startLeased(
  db: Executor,
  instanceId: string,
  leaseMs: number,
  ids: readonly string[],
): Promise<Started[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{
    id: string;
    attempts: number;
    updated_at: string;
    lease_expires_at: string;
  }>(
    db,
    sql`UPDATE messages SET
          status = 'sending',
          attempts = attempts + 1,
          next_attempt_at = NULL,
          lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
          updated_at = now()
        WHERE id = ANY(${sql.param([...ids].sort())}::text[]) AND status = 'queued' AND lease_owner = ${instanceId}
        RETURNING id, attempts, updated_at, lease_expires_at`,
  );
  return rows.map((r) => ({
    id: r.id,
    attempts: r.attempts,
    updatedAt: new Date(r.updated_at),
    leaseExpiresAt: new Date(r.lease_expires_at),
  }));
}
