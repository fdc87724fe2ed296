/**
 * The result writer's statements. Each takes a whole batch as parallel arrays expanded with `unnest`, so
 * the statement text is the same for 1 message or 1,000 (one plan, no parameter ceiling) and a batch
 * costs one round trip per table.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { messageParts, messages } from "../../db/schema.js";
import { rowFromRaw } from "../dispatch/raw-rows.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";

/** A part as this attempt left it. */
export interface PartWrite {
  messageId: string;
  index: number;
  text: string;
  shortMessage: Buffer;
  esmClass: number;
  dataCoding: number;
  status: "sent" | "failed" | "pending";
  upstreamId: string;
  smscMessageId: string | null;
  smscIdKey: string | null;
  commandStatus: number | null;
  /** Sent parts: when the attempt began sending it (instance clock); null otherwise. */
  sentAt: Date | null;
}

/**
 * Upserts the parts an attempt submitted. An upsert rather than an UPDATE because a message re-split for
 * its upstream (submit/build.ts) may gain parts. A part already accepted or receipted is left as it is,
 * except in the messages listed in `replaceIds`, whose parts are all rewritten by the new split.
 */
export async function writeParts(
  tx: Executor,
  parts: readonly PartWrite[],
  replaceIds: readonly string[],
): Promise<MessagePartRow[]> {
  if (parts.length === 0) return [];
  const raw = await queryRows(
    tx,
    sql`INSERT INTO message_parts AS p (message_id, "index", text, short_message, esm_class, data_coding,
                                        status, upstream_id, smsc_message_id, smsc_id_key, command_status,
                                        attempts, submitted_at, sent_at, done_at)
        SELECT v.message_id, v.idx, v.text, decode(v.short_message, 'hex'), v.esm_class, v.data_coding,
               v.status, v.upstream_id, v.smsc_message_id, v.smsc_id_key, v.command_status, 1,
               CASE WHEN v.status = 'sent' THEN now() END, CASE WHEN v.status = 'sent' THEN v.sent_at END,
               CASE WHEN v.status = 'failed' THEN now() END
        FROM unnest(${sql.param(parts.map((p) => p.messageId))}::text[],
                    ${sql.param(parts.map((p) => p.index))}::int[],
                    ${sql.param(parts.map((p) => p.text))}::text[],
                    ${sql.param(parts.map((p) => p.shortMessage.toString("hex")))}::text[],
                    ${sql.param(parts.map((p) => p.esmClass))}::int[],
                    ${sql.param(parts.map((p) => p.dataCoding))}::int[],
                    ${sql.param(parts.map((p) => p.status))}::text[],
                    ${sql.param(parts.map((p) => p.upstreamId))}::text[],
                    ${sql.param(parts.map((p) => p.smscMessageId))}::text[],
                    ${sql.param(parts.map((p) => p.smscIdKey))}::text[],
                    ${sql.param(parts.map((p) => p.commandStatus))}::bigint[],
                    ${sql.param(parts.map((p) => p.sentAt?.toISOString() ?? null))}::text[]::timestamptz[])
          AS v(message_id, idx, text, short_message, esm_class, data_coding, status, upstream_id,
               smsc_message_id, smsc_id_key, command_status, sent_at)
        ORDER BY v.message_id, v.idx
        ON CONFLICT (message_id, "index") DO UPDATE SET
          text = excluded.text,
          short_message = excluded.short_message,
          esm_class = excluded.esm_class,
          data_coding = excluded.data_coding,
          status = excluded.status,
          upstream_id = excluded.upstream_id,
          smsc_message_id = excluded.smsc_message_id,
          smsc_id_key = excluded.smsc_id_key,
          command_status = excluded.command_status,
          attempts = p.attempts + 1,
          submitted_at = excluded.submitted_at,
          sent_at = excluded.sent_at,
          done_at = excluded.done_at,
          dlr_stat = NULL,
          dlr_err = NULL
        WHERE p.status IN ('pending', 'sending', 'failed')
           OR p.message_id = ANY(${sql.param([...replaceIds])}::text[])
        RETURNING p.*`,
  );
  return raw.map((r) => rowFromRaw(messageParts, r));
}

/** Drops the parts a re-split message no longer has. */
export async function dropExtraParts(
  tx: Executor,
  totals: ReadonlyArray<{ messageId: string; total: number }>,
): Promise<void> {
  if (totals.length === 0) return;
  await tx.execute(
    sql`DELETE FROM message_parts p
        USING unnest(${sql.param(totals.map((t) => t.messageId))}::text[],
                     ${sql.param(totals.map((t) => t.total))}::int[]) AS v(message_id, total)
        WHERE p.message_id = v.message_id AND p."index" > v.total`,
  );
}

/** How an attempt ended for one message. */
export interface MessageWrite {
  id: string;
  kind: "sent" | "failed" | "retry";
  /** Failed: the error code; retry: unused. */
  errorCode: string | null;
  /** Failed: the error; retry: the last error (kept in the message if the retries run out). */
  errorMessage: string | null;
  smppStatus: number | null;
  upstreamId: string | null;
  /** Retry only: the attempt did not count (nothing reached the SMSC), so it is given back. */
  refund: boolean;
}

/** The retry policy, applied in SQL so back-off runs on the database clock the poller also uses. */
export interface RetryPolicy {
  /** Attempts before a message fails with RETRIES_EXHAUSTED. Default 10. */
  maxAttempts: number;
  /** Back-off after the first failed attempt, doubling after each; ms. Default 1000. */
  backoffBaseMs: number;
  /** Longest back-off; ms. Default 300000 (5 min). */
  backoffMaxMs: number;
  /** ± fraction of random spread on each back-off, so retries of a burst do not return together. Default 0.2. */
  jitter: number;
  /**
   * An attempt given back (nothing reached the SMSC: throttled, no bound session) does not double the
   * back-off, so a message that keeps waiting would come back every second for as long as it waits.
   * Its back-off is at least this fraction of how long it has been due, up to the cap: after a minute
   * of waiting it comes back every 6 s, after 50 minutes every 5. Default 0.1.
   */
  waitingBackoffFraction: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  backoffBaseMs: 1000,
  backoffMaxMs: 300_000,
  jitter: 0.2,
  waitingBackoffFraction: 0.1,
};

/**
 * Records how the attempt ended, for messages still `sending` (another writer cannot have finished
 * them). sent → `sent` + submitted_at; failed → `failed` + error + done_at; retry → `queued` with
 * next_attempt_at = now + back-off (see RetryPolicy), or `failed` RETRIES_EXHAUSTED when the budget is
 * spent or the next try would fall after expires_at. The lease is released in every case: a retry is the poller's work.
 * Rows are locked in id order so concurrent writers (lease renewal, receipts) cannot deadlock on them.
 */
export async function writeMessages(
  tx: Executor,
  writes: readonly MessageWrite[],
  policy: RetryPolicy,
): Promise<MessageRow[]> {
  if (writes.length === 0) return [];
  const raw = await queryRows(
    tx,
    sql`WITH v AS (
          SELECT * FROM unnest(${sql.param(writes.map((w) => w.id))}::text[],
                               ${sql.param(writes.map((w) => w.kind))}::text[],
                               ${sql.param(writes.map((w) => w.errorCode))}::text[],
                               ${sql.param(writes.map((w) => w.errorMessage))}::text[],
                               ${sql.param(writes.map((w) => w.smppStatus))}::bigint[],
                               ${sql.param(writes.map((w) => w.upstreamId))}::text[],
                               ${sql.param(writes.map((w) => (w.refund ? 1 : 0)))}::int[])
            AS v(id, kind, error_code, error_message, smpp_status, upstream_id, refund)
        ), cur AS (
          SELECT m.id, m.attempts - v.refund AS attempts, m.expires_at, v.kind, v.error_code,
                 v.error_message, v.smpp_status, v.upstream_id,
                 now() + make_interval(secs => least(${policy.backoffMaxMs}::float8, greatest(
                     ${policy.backoffBaseMs}::float8 * power(2, greatest(m.attempts - v.refund - 1, 0)),
                     CASE WHEN v.refund = 1
                       THEN extract(epoch FROM now() - greatest(m.created_at, coalesce(m.send_at, m.created_at)))
                            * 1000 * ${policy.waitingBackoffFraction}::float8
                       ELSE 0 END))
                   * (1 + ${policy.jitter}::float8 * (2 * random() - 1)) / 1000) AS retry_at
          FROM messages m JOIN v ON v.id = m.id
          WHERE m.status = 'sending'
          ORDER BY m.id
          FOR UPDATE OF m
        ), d AS (
          SELECT cur.*,
            COALESCE(cur.kind = 'retry' AND cur.attempts >= ${policy.maxAttempts}, false) AS spent,
            COALESCE(cur.kind = 'retry' AND cur.retry_at > cur.expires_at, false) AS too_late
          FROM cur
        )
        UPDATE messages m SET
          status = CASE WHEN d.kind = 'sent' THEN 'sent'
                        WHEN d.kind = 'failed' OR d.spent OR d.too_late THEN 'failed'
                        ELSE 'queued' END,
          upstream_id = COALESCE(d.upstream_id, m.upstream_id),
          attempts = d.attempts,
          error_code = CASE WHEN d.kind = 'failed' THEN d.error_code
                            WHEN d.spent OR d.too_late THEN 'RETRIES_EXHAUSTED' END,
          error_message = CASE WHEN d.kind = 'failed' THEN d.error_message
                               WHEN d.spent OR d.too_late THEN
                                 'Gave up after ' || d.attempts || ' attempt(s)'
                                 || CASE WHEN d.too_late THEN ': the validity period ends before the next one'
                                         ELSE '' END
                                 || '. Last error: ' || COALESCE(d.error_message, 'unknown') END,
          error_smpp_command_status = CASE WHEN d.kind = 'failed' OR d.spent OR d.too_late
                                           THEN d.smpp_status END,
          error_dlr_stat = NULL,
          error_dlr_err = NULL,
          submitted_at = CASE WHEN d.kind = 'sent' THEN now() ELSE m.submitted_at END,
          done_at = CASE WHEN d.kind = 'failed' OR d.spent OR d.too_late THEN now() ELSE m.done_at END,
          next_attempt_at = CASE WHEN d.kind = 'retry' AND NOT d.spent AND NOT d.too_late THEN d.retry_at END,
          lease_owner = NULL,
          lease_expires_at = NULL,
          updated_at = now()
        FROM d
        WHERE m.id = d.id
        RETURNING m.*`,
  );
  return raw.map((r) => rowFromRaw(messages, r));
}

/**
 * Fails messages still `sending` whose dispatch result the database refused to store: RESULT_NOT_STORED,
 * lease released, nothing due, so no one submits them again. Their parts are left as they were.
 */
export async function failUnstored(tx: Executor, ids: readonly string[]): Promise<MessageRow[]> {
  const raw = await queryRows(
    tx,
    sql`UPDATE messages SET
          status = 'failed',
          error_code = 'RESULT_NOT_STORED',
          error_message = 'Its dispatch result could not be stored, so it is not sent again; the SMSC may have accepted it.',
          error_smpp_command_status = NULL,
          error_dlr_stat = NULL,
          error_dlr_err = NULL,
          done_at = now(),
          next_attempt_at = NULL,
          lease_owner = NULL,
          lease_expires_at = NULL,
          updated_at = now()
        WHERE id = ANY(${sql.param([...ids])}::text[]) AND status = 'sending'
        RETURNING *`,
  );
  return raw.map((r) => rowFromRaw(messages, r));
}
