/**
 * The one statement that commits a group of accepted requests: idempotency keys, messages and parts in
 * a single round trip (data-modifying CTEs run in one implicit transaction, so the statement is the
 * commit). Shaped this way because it is the hot path:
 * - rows travel as three JSON documents expanded by `jsonb_to_recordset`, so the statement text is the
 *   same for 1 row or 5,000 (one plan, no 65,535-parameter ceiling, no per-row parameter building);
 * - keys go in first, ordered by (account, key) so two groups lock shared keys in the same order and
 *   cannot deadlock. `ON CONFLICT … DO UPDATE … WHERE` takes over a key only when it is older than 24 h;
 *   otherwise the row is not returned and the request is a repeat. A conflicting key inserted by a
 *   group still in flight makes this statement wait for that commit, which is what resolves
 *   concurrent duplicates to one message;
 * - a message with a key is inserted only if its key was; parts only for inserted messages.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import type { MessagePartRow, MessageRow } from "./sink.js";

/** An idempotency key row to create with the response it will answer. */
export interface KeyRow {
  accountId: string;
  key: string;
  requestHash: string;
  responseStatus: number;
  responseBody: unknown;
  createdAt: Date;
}

export interface AcceptStatementInput {
  keys: KeyRow[];
  /** Each with the Idempotency-Key of its request, or null. */
  messages: Array<{ row: MessageRow; key: string | null }>;
  parts: MessagePartRow[];
}

/** Runs the statement; returns the keys that were created, as {@link keyId} strings. */
export async function runAcceptStatement(db: Executor, input: AcceptStatementInput): Promise<Set<string>> {
  const keys = input.keys.map((k) => ({
    account_id: k.accountId,
    key: k.key,
    request_hash: k.requestHash,
    response_status: k.responseStatus,
    response_body: k.responseBody,
    created_at: k.createdAt,
  }));
  const messages = input.messages.map(({ row: m, key }) => ({
    id: m.id,
    account_id: m.accountId,
    status: m.status,
    to_number: m.to,
    from_address: m.from,
    text: m.text,
    encoding: m.encoding,
    data_coding: m.dataCoding,
    segments: m.segments,
    concat_ref: m.concatRef,
    client_reference: m.clientReference,
    validity_period: m.validityPeriod,
    send_at: m.sendAt,
    delivery_report: m.deliveryReport,
    status_callback_url: m.statusCallbackUrl,
    next_attempt_at: m.nextAttemptAt,
    lease_owner: m.leaseOwner,
    lease_expires_at: m.leaseExpiresAt,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    expires_at: m.expiresAt,
    idempotency_key: key,
  }));
  const parts = input.parts.map((p) => ({ message_id: p.messageId, index: p.index, text: p.text }));

  const rows = await queryRows<{ account_id: string; key: string }>(
    db,
    sql`WITH new_keys AS (
      INSERT INTO idempotency_keys AS existing
        (account_id, key, request_hash, response_status, response_body, created_at)
      SELECT k.account_id, k.key, k.request_hash, k.response_status, k.response_body, k.created_at
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(
        account_id text, key text, request_hash text, response_status int, response_body jsonb,
        created_at timestamptz)
      ORDER BY k.account_id, k.key
      ON CONFLICT (account_id, key) DO UPDATE SET
        request_hash = excluded.request_hash,
        response_status = excluded.response_status,
        response_body = excluded.response_body,
        created_at = excluded.created_at
      WHERE existing.created_at <= excluded.created_at - interval '24 hours'
      RETURNING account_id, key
    ), new_messages AS (
      INSERT INTO messages
        (id, account_id, status, to_number, from_address, text, encoding, data_coding, segments,
         concat_ref, client_reference, validity_period, send_at, delivery_report, status_callback_url,
         next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at, expires_at)
      SELECT m.id, m.account_id, m.status, m.to_number, m.from_address, m.text, m.encoding,
        m.data_coding, m.segments, m.concat_ref, m.client_reference, m.validity_period, m.send_at,
        m.delivery_report, m.status_callback_url, m.next_attempt_at, m.lease_owner, m.lease_expires_at,
        m.created_at, m.updated_at, m.expires_at
      FROM jsonb_to_recordset(${JSON.stringify(messages)}::jsonb) AS m(
        id text, account_id text, status text, to_number text, from_address text, text text,
        encoding text, data_coding int, segments int, concat_ref int, client_reference text,
        validity_period int, send_at timestamptz, delivery_report boolean, status_callback_url text,
        next_attempt_at timestamptz, lease_owner text, lease_expires_at timestamptz,
        created_at timestamptz, updated_at timestamptz, expires_at timestamptz, idempotency_key text)
      WHERE m.idempotency_key IS NULL
        OR EXISTS (SELECT 1 FROM new_keys WHERE new_keys.account_id = m.account_id
                   AND new_keys.key = m.idempotency_key)
      RETURNING id
    ), new_parts AS (
      INSERT INTO message_parts (message_id, "index", text, status)
      SELECT p.message_id, p."index", p.text, 'pending'
      FROM jsonb_to_recordset(${JSON.stringify(parts)}::jsonb) AS p(message_id text, "index" int, text text)
      WHERE p.message_id IN (SELECT id FROM new_messages)
    )
    SELECT account_id, key FROM new_keys`,
  );
  return new Set(rows.map((r) => keyId(r.account_id, r.key)));
}

/** One string naming an (account, key) pair. */
export function keyId(accountId: string, key: string): string {
  return `${accountId}\u0000${key}`;
}
