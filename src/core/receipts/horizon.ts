/**
 * When a receipt can be for a part: received no earlier than shortly before the part was sent, and no
 * later than the match horizon after it (config `RECEIPT_MATCH_HORIZON`). One rule for every path that
 * matches a receipt: on arrival (writer.ts), by the result writer and by the sweeper (unmatched.ts).
 *
 * SMSC ids are not unique for ever (counters wrap, SMSCs restart them), and an SMSC may send us receipts
 * for another ESME's messages on the same system_id. Matching by id alone, such a receipt went to the
 * newest part with that id however old: a message that never got its final receipt (it stays `sent`)
 * was marked delivered or undelivered by a stranger's receipt months later. No genuine receipt comes
 * later than the message's validity runs out plus the SMSC's delay in reporting it, so a part sent
 * longer ago than the horizon is not a candidate; the receipt is stored unmatched like any early one
 * and goes with them after `UNMATCHED_RECEIPT_RETENTION`.
 *
 * A part is judged by `sent_at` (when its attempt began sending), else `submitted_at` for rows stored
 * before `sent_at` existed. The clause is part of each lookup statement and is checked on the rows the
 * (upstream_id, smsc_id_key) index returns, so it costs the hot path no query and no index.
 */
import { type SQL, sql } from "drizzle-orm";

const DAY_MS = 86_400_000;

/**
 * Default horizon; ms. The longest validity_period a message can ask for is 7 days (DESIGN.md §4), and
 * the SMSC's EXPIRED receipt for it comes after that; 3 days more cover SMSCs that report late (a queue
 * drained after an outage of theirs). A message sent without validity_period lives as long as the SMSC's
 * default validity, which we cannot see: configurable for SMSCs whose default is longer.
 */
export const DEFAULT_RECEIPT_MATCH_HORIZON_MS = 10 * DAY_MS;

/**
 * Least horizon the configuration takes; ms: the 7 days of the longest validity_period and a day for the
 * receipt to come. Shorter would drop the genuine final receipts of messages within their validity.
 */
export const MIN_RECEIPT_MATCH_HORIZON_MS = 8 * DAY_MS;

/**
 * How long before its part's send time a receipt may have been received and still be for it; ms. A
 * receipt never precedes the submit that caused it, but the two times come from different clocks
 * (`sent_at` from the sending instance, `received_at` from the database), so the rule allows for their
 * skew: NTP keeps hosts within milliseconds, and 5 minutes still holds for a host whose sync broke weeks
 * ago. It stays far below the age of a receipt that is not ours: an SMSC hands an id out again only
 * once its counter wraps or it restarts, and a receipt for another ESME's submit (or for one lost in a
 * database restore) that waited for our id would otherwise mark a fresh message delivered.
 *
 * `sent_at` rather than `submitted_at`, which is when the result was stored: when the database was away
 * the result is stored late, and a genuine receipt received meanwhile is older than it by the outage.
 */
export const RECEIPT_CLOCK_SLACK_MS = 300_000;

/** When the part `p` was sent, as the rule reads it: `sent_at`, else `submitted_at` for older rows. */
export const PART_SENT_AT = sql`COALESCE(p.sent_at, p.submitted_at)`;

/**
 * The matching rule in SQL, on every path that matches a receipt to a part: a receipt received at
 * `receivedAt` can be for a part sent at `sentAt` when it came no earlier than
 * {@link RECEIPT_CLOCK_SLACK_MS} before the send and, given `horizonMs`, no later than that after it.
 * The result writer leaves `horizonMs` out: the parts it matches were sent moments ago.
 */
export function receiptFitsPart(receivedAt: SQL, sentAt: SQL, horizonMs?: number): SQL {
  const notBefore = sql`${receivedAt} >= ${sentAt} - make_interval(secs => ${RECEIPT_CLOCK_SLACK_MS / 1000}::float8)`;
  if (horizonMs === undefined) return notBefore;
  return sql`${notBefore} AND ${sentAt} > ${receivedAt} - make_interval(secs => ${horizonMs / 1000}::float8)`;
}
