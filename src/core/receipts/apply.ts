/**
 * Applying matched receipts: part states, the roll-up to the message, and the events of the messages
 * that changed, all with the caller's transaction. Shared by the receipt writer (receipts as they
 * arrive), the result writer (receipts that were waiting for the part's SMSC id) and the unmatched
 * sweeper. Each step is one statement for the whole batch.
 */
import { sql } from "drizzle-orm";
import { anyOfText } from "../../db/any-of.js";
import { type Executor, queryRows } from "../../db/client.js";
import { messageParts, messages } from "../../db/schema.js";
import { rowFromRaw } from "../dispatch/raw-rows.js";
import { appendEvents, type OutboxEvent } from "../events/outbox.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";
import { eventTypeOf, messageEvent, type UpstreamNames } from "../results/message-events.js";

/** A receipt matched to a part. */
export interface PartReceipt {
  messageId: string;
  partIndex: number;
  /** Normalised stat word (DELIVRD, UNDELIV, …); null when the receipt had none. */
  stat: string | null;
  err: string | null;
  /** A final outcome (not ACCEPTD/ENROUTE, not an intermediate notification). */
  final: boolean;
}

/** Final stat words; the rest (ENROUTE, ACCEPTD, SCHEDULED) leave a part `sent`. */
const FINAL_STATS: ReadonlySet<string> = new Set([
  "DELIVRD",
  "EXPIRED",
  "DELETED",
  "UNDELIV",
  "UNKNOWN",
  "REJECTD",
  "SKIPPED",
]);

export function isFinalStat(stat: string | null): boolean {
  return stat !== null && FINAL_STATS.has(stat);
}

/**
 * One receipt per part: the first final one wins (a part's outcome is never rewritten), otherwise the
 * latest intermediate one.
 */
export function collapseByPart(receipts: readonly PartReceipt[]): PartReceipt[] {
  const byPart = new Map<string, PartReceipt>();
  for (const r of receipts) {
    const key = `${r.messageId}\u0000${r.partIndex}`;
    const seen = byPart.get(key);
    if (seen === undefined || !seen.final) byPart.set(key, r);
  }
  return [...byPart.values()];
}

/**
 * Writes receipts to their parts (a part already delivered/undelivered keeps its outcome) and rolls
 * the touched messages up. Returns the messages whose status changed, with the events recorded.
 */
export async function applyPartReceipts(
  tx: Executor,
  receipts: readonly PartReceipt[],
  names: UpstreamNames,
): Promise<MessageRow[]> {
  const rows = collapseByPart(receipts);
  if (rows.length === 0) return [];
  const touched = await queryRows<{ message_id: string }>(
    tx,
    sql`UPDATE message_parts p SET
          status = COALESCE(v.status, p.status),
          dlr_stat = COALESCE(v.stat, p.dlr_stat),
          dlr_err = COALESCE(v.err, p.dlr_err),
          done_at = CASE WHEN v.status IS NULL THEN p.done_at ELSE now() END
        FROM unnest(${sql.param(rows.map((r) => r.messageId))}::text[],
                    ${sql.param(rows.map((r) => r.partIndex))}::int[],
                    ${sql.param(rows.map(partStatus))}::text[],
                    ${sql.param(rows.map((r) => r.stat))}::text[],
                    ${sql.param(rows.map((r) => r.err))}::text[]) AS v(message_id, idx, status, stat, err)
        WHERE p.message_id = v.message_id AND p."index" = v.idx
          AND p.status NOT IN ('delivered', 'undelivered')
        RETURNING p.message_id`,
  );
  return rollUpAndRecord(tx, [...new Set(touched.map((t) => t.message_id))], names);
}

/**
 * Rolls the parts of `sent` messages up to the message: every part delivered → `delivered`; any part
 * undelivered → `undelivered` with DLR_<STAT> of the first such part. Messages in another status, or
 * with parts still waiting, are left alone (no receipt is not proof of failure). Records the events.
 */
export async function rollUpAndRecord(
  tx: Executor,
  messageIds: readonly string[],
  names: UpstreamNames,
): Promise<MessageRow[]> {
  if (messageIds.length === 0) return [];
  const ids = [...messageIds].sort();
  // Locks the messages in id order (two writers cannot deadlock on them) in a statement of its own:
  // under READ COMMITTED a statement reads with the snapshot it started with, so had the roll-up
  // waited for the lock itself, it would have decided from parts as they were BEFORE the transaction
  // it waited for committed. Two transactions receipting different parts of one message then each
  // saw the other's parts undelivered, and the message stayed `sent` for good. The roll-up below
  // starts after the lock is held, so it sees every part committed by then. A single-part message
  // needs no such lock (and a row lock costs a write): two receipts of its one part meet on the part
  // row, so the second transaction's roll-up already starts after the first committed.
  await tx.execute(
    sql`SELECT id FROM messages
        WHERE id = ANY(${sql.param(ids)}::text[]) AND status = 'sent' AND segments > 1
        ORDER BY id FOR UPDATE`,
  );
  const raw = await queryRows(
    tx,
    sql`WITH target AS (
          SELECT id FROM messages WHERE id = ANY(${sql.param(ids)}::text[]) AND status = 'sent'
          ORDER BY id FOR UPDATE
        ), agg AS (
          SELECT p.message_id,
            bool_and(p.status = 'delivered') AS all_delivered,
            (array_agg(p.dlr_stat ORDER BY p."index") FILTER (WHERE p.status = 'undelivered'))[1] AS fail_stat,
            (array_agg(p.dlr_err ORDER BY p."index") FILTER (WHERE p.status = 'undelivered'))[1] AS fail_err,
            (array_agg(p."index" ORDER BY p."index") FILTER (WHERE p.status = 'undelivered'))[1] AS fail_index,
            bool_or(p.status = 'undelivered') AS any_undelivered
          FROM message_parts p JOIN target t ON t.id = p.message_id
          GROUP BY p.message_id
        )
        UPDATE messages m SET
          status = CASE WHEN agg.any_undelivered THEN 'undelivered' ELSE 'delivered' END,
          error_code = CASE WHEN agg.any_undelivered THEN 'DLR_' || COALESCE(agg.fail_stat, 'UNKNOWN') END,
          error_message = CASE WHEN agg.any_undelivered THEN
            'The delivery receipt for part ' || agg.fail_index || ' said ' || COALESCE(agg.fail_stat, 'UNKNOWN')
            || COALESCE(' (err ' || agg.fail_err || ')', '') END,
          error_dlr_stat = CASE WHEN agg.any_undelivered THEN COALESCE(agg.fail_stat, 'UNKNOWN') END,
          error_dlr_err = CASE WHEN agg.any_undelivered THEN agg.fail_err END,
          error_smpp_command_status = NULL,
          done_at = now(),
          updated_at = now()
        FROM agg
        WHERE m.id = agg.message_id AND (agg.all_delivered OR agg.any_undelivered)
        RETURNING m.*`,
  );
  if (raw.length === 0) return [];
  const changed = raw.map((r) => rowFromRaw(messages, r));
  const parts = await partsByMessage(
    tx,
    changed.map((m) => m.id),
  );
  const events: OutboxEvent[] = [];
  for (const message of changed) {
    const type = eventTypeOf(message.status);
    if (type !== null) events.push(messageEvent(type, message, parts.get(message.id) ?? [], names));
  }
  await appendEvents(tx, events);
  return changed;
}

/** The parts of some messages, grouped by message. */
export async function partsByMessage(
  tx: Executor,
  messageIds: readonly string[],
): Promise<Map<string, MessagePartRow[]>> {
  const out = new Map<string, MessagePartRow[]>();
  if (messageIds.length === 0) return out;
  const rows = await tx.select().from(messageParts).where(anyOfText(messageParts.messageId, messageIds));
  for (const row of rows) {
    const list = out.get(row.messageId);
    if (list === undefined) out.set(row.messageId, [row]);
    else list.push(row);
  }
  return out;
}

function partStatus(r: PartReceipt): "delivered" | "undelivered" | null {
  if (!r.final) return null;
  return r.stat === "DELIVRD" ? "delivered" : "undelivered";
}
