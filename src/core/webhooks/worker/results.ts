/**
 * Writing attempt outcomes: every attempt row and every delivery's new state in ONE statement per
 * batch (unnest arrays; the worker accumulates outcomes while the previous batch is being written), plus
 * for endpoints that answered 410 Gone one transaction that disables them and ends their waiting
 * deliveries.
 *
 * A delivery is updated only while this worker still holds its lease, it is still waiting, and it has
 * made exactly the attempts it had when claimed, so a lease taken over by another instance, or an
 * endpoint disabled meanwhile, is not overwritten; its attempt is still recorded. Writing the same
 * batch twice (a retry after an error whose statement had in fact committed) changes nothing: the
 * attempt ids are fixed when the outcome is known and inserted with ON CONFLICT DO NOTHING, and the
 * delivery no longer matches the lease and attempt count.
 */
import { sql } from "drizzle-orm";
import type { Database, Executor } from "../../../db/client.js";
import type { DeliveryStatus } from "../../../db/schema.js";
import { storableText } from "../../../db/storable-text.js";
import { sqlState } from "../../service-errors.js";
import { stopWaitingDeliveries } from "../endpoints.js";

export interface AttemptResult {
  /** The attempt row's id, made once per attempt (`wha_…`): a rewritten batch inserts nothing twice. */
  attemptId: string;
  deliveryId: string;
  /** The delivery's attempts when it was claimed (this attempt not counted). */
  attemptsBefore: number;
  /** The delivery's status after this attempt. */
  status: Exclude<DeliveryStatus, "pending">;
  /** When the next attempt is due (status `failed`); null otherwise. */
  nextAttemptAt: Date | null;
  attemptedAt: Date;
  statusCode: number | null;
  /** First bytes of the answer. */
  responseBody: string | null;
  durationMs: number;
  error: string | null;
}

/** How often a batch is written again when a delivery vanished under it (endpoint deleted meanwhile). */
const FOREIGN_KEY_RETRIES = 3;

export async function writeAttemptResults(
  db: Database,
  owner: string,
  results: readonly AttemptResult[],
): Promise<void> {
  if (results.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await writeOnce(db, owner, results);
      return;
    } catch (error) {
      // 23503: an attempt references a delivery deleted (with its endpoint) after our snapshot; the
      // next try's snapshot no longer sees it and skips its attempt.
      if (sqlState(error) !== "23503" || attempt >= FOREIGN_KEY_RETRIES) throw error;
    }
  }
}

function writeOnce(db: Executor, owner: string, results: readonly AttemptResult[]): Promise<unknown> {
  const ids = results.map((r) => r.deliveryId);
  const attemptIds = results.map((r) => r.attemptId);
  const attemptsBefore = results.map((r) => String(r.attemptsBefore));
  const statuses = results.map((r) => r.status);
  const nextAt = results.map((r) => (r.nextAttemptAt === null ? null : r.nextAttemptAt.toISOString()));
  const attemptedAt = results.map((r) => r.attemptedAt.toISOString());
  // Every array goes as text[] and is cast in SQL: postgres-js cannot type an array of numbers mixed
  // with nulls (or only nulls) on its own.
  const codes = results.map((r) => (r.statusCode === null ? null : String(r.statusCode)));
  // A receiver's answer is whatever it sent (binary, compressed): NUL must not fail the batch.
  const bodies = results.map((r) => (r.responseBody === null ? null : storableText(r.responseBody)));
  const durations = results.map((r) => String(r.durationMs));
  const errors = results.map((r) => (r.error === null ? null : storableText(r.error)));
  return db.execute(
    sql`WITH r AS (
      SELECT * FROM unnest(
        ${sql.param(ids)}::text[], ${sql.param(attemptIds)}::text[], ${sql.param(statuses)}::text[],
        ${sql.param(nextAt)}::text[]::timestamptz[], ${sql.param(attemptedAt)}::text[]::timestamptz[],
        ${sql.param(codes)}::text[]::int[], ${sql.param(bodies)}::text[], ${sql.param(durations)}::text[]::int[],
        ${sql.param(errors)}::text[], ${sql.param(attemptsBefore)}::text[]::int[]
      ) AS r(delivery_id, attempt_id, status, next_at, attempted_at, code, body, duration, error, attempts_before)
    ), updated AS (
      UPDATE webhook_deliveries d
      SET status = r.status,
          attempts = d.attempts + 1,
          next_attempt_at = coalesce(r.next_at, d.next_attempt_at),
          last_status_code = r.code,
          last_error = r.error,
          lease_owner = NULL,
          lease_expires_at = NULL,
          updated_at = now()
      FROM r
      -- "Still waiting" is written NOT IN the other two statuses (the CHECK allows four) so that the
      -- due index, whose predicate is IN ('pending', 'failed'), cannot serve this statement: its
      -- generic plan counts a batch as 10 rows and then walked every waiting delivery of that index
      -- against every row of the batch (16 million comparisons, 4 s, for a batch of 4,000 over a
      -- backlog of 4,000). Now each row of the batch looks its delivery up by primary key.
      WHERE d.id = r.delivery_id AND d.lease_owner = ${owner} AND d.status NOT IN ('succeeded', 'dead')
        AND d.attempts = r.attempts_before
    )
    INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, response_body, duration_ms, error)
    SELECT r.attempt_id, r.delivery_id, r.attempted_at, r.code, r.body, r.duration, r.error
    FROM r
    WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = r.delivery_id)
    ON CONFLICT (id) DO NOTHING`,
  );
}

/**
 * Ends a delivery whose attempt outcome the database refused to store, writing none of it (no attempt
 * row, no response body): succeeded if the receiver took it, else dead (retryable by hand), so it is
 * not sent again every lease period for ever.
 */
export async function endUnrecorded(db: Database, owner: string, result: AttemptResult): Promise<void> {
  const status = result.status === "succeeded" ? "succeeded" : "dead";
  await db.execute(
    sql`UPDATE webhook_deliveries
        SET status = ${status}, attempts = attempts + 1,
            last_status_code = ${result.statusCode}, last_error = 'the outcome of this attempt could not be stored',
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = ${result.deliveryId} AND lease_owner = ${owner} AND status NOT IN ('succeeded', 'dead')
          AND attempts = ${result.attemptsBefore}`,
  );
}

/**
 * Disables endpoints whose receiver answered 410 Gone, with the reason shown to the customer, and ends
 * their waiting deliveries (dead, retryable by hand once the endpoint is enabled again).
 */
export async function disableGoneEndpoints(db: Database, endpointIds: readonly string[]): Promise<void> {
  if (endpointIds.length === 0) return;
  const reason = "The receiver answered 410 Gone";
  await db.transaction(async (tx) => {
    await tx.execute(
      sql`UPDATE webhook_endpoints SET enabled = false, disabled_reason = ${reason}, updated_at = now()
          WHERE id = ANY(${sql.param([...endpointIds])}::text[]) AND enabled`,
    );
    await stopWaitingDeliveries(tx, endpointIds, `endpoint disabled: ${reason.toLowerCase()}`);
  });
}
