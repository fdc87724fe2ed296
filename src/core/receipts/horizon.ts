/**
 * How long after its part was sent a receipt can still be for it (config `RECEIPT_MATCH_HORIZON`).
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
 * The rule in SQL: the part whose `sent_at` and `submitted_at` are given was sent no longer than
 * `horizonMs` before `receivedAt`.
 */
export function sentWithinHorizon(sentAt: SQL, submittedAt: SQL, receivedAt: SQL, horizonMs: number): SQL {
  return sql`COALESCE(${sentAt}, ${submittedAt}) > ${receivedAt} - make_interval(secs => ${horizonMs / 1000}::float8)`;
}
