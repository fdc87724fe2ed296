/**
 * History for a benchmark's database: `messages` delivered messages of an account of their own, each
 * with its part, its receipt, its two events (message.sent, message.delivered) and their webhook
 * deliveries (succeeded at the first attempt), older than anything the run writes; then ANALYZE.
 *
 * Why: a database created seconds before the load has no planner statistics, and autovacuum analyzes
 * a table only once it has grown past its threshold and its next round comes (a minute apart). Until
 * then the planner takes the hot tables for nearly empty and chooses whole-table scans for the batch
 * statements, which a running installation never sees: its tables are large and analyzed. The
 * history rows are not read by the run; they only make the tables look like an installation's.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../src/db/client.js";

/** Ids of history rows: the prefix, then zeros and a number, so they sort before every new id. */
const id = (prefix: string, n: string) => sql.raw(`'${prefix}_' || lpad((${n})::text, 26, '0')`);

export async function seedHistory(db: Database, messages: number): Promise<void> {
  if (messages <= 0) return;
  const n = sql.raw(String(Math.floor(messages)));
  const msg = id("msg", "g");
  await db.execute(sql`INSERT INTO accounts (id, name) VALUES ('acc_history', 'history')`);
  await db.execute(
    sql`INSERT INTO messages (id, account_id, status, to_number, from_address, text, encoding, data_coding,
                              segments, upstream_id, attempts, created_at, updated_at, submitted_at, done_at)
        SELECT ${msg}, 'acc_history', 'delivered', '+4477009' || lpad((g % 100000)::text, 5, '0'), 'Bench',
               'History message ' || g, 'gsm7', 0, 1, 'ups_history', 1, t, t, t, t
        FROM generate_series(1, ${n}) g, (SELECT now() - interval '1 day' AS t) AS at`,
  );
  await db.execute(
    sql`INSERT INTO message_parts (message_id, "index", text, status, upstream_id, smsc_message_id,
                                   smsc_id_key, attempts, submitted_at, done_at, dlr_stat, dlr_err)
        SELECT ${msg}, 1, 'History message ' || g, 'delivered', 'ups_history', g::text, g::text, 1, t, t,
               'DELIVRD', '000'
        FROM generate_series(1, ${n}) g, (SELECT now() - interval '1 day' AS t) AS at`,
  );
  await db.execute(
    sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index, stat,
                              err, received_at, matched_at)
        SELECT ${id("dlr", "g")}, 'ups_history', g::text, g::text, ${msg}, 1, 'DELIVRD', '000', t, t
        FROM generate_series(1, ${n}) g, (SELECT now() - interval '1 day' AS t) AS at`,
  );
  // Two events per message, each with one delivery and its one attempt: e = 2g - 1 and 2g.
  await db.execute(
    sql`INSERT INTO events (id, account_id, type, payload, created_at)
        SELECT ${id("evt", "e")}, 'acc_history',
               CASE WHEN e % 2 = 1 THEN 'message.sent' ELSE 'message.delivered' END,
               jsonb_build_object('id', 'msg_' || lpad(((e + 1) / 2)::text, 26, '0'), 'status',
                                  CASE WHEN e % 2 = 1 THEN 'sent' ELSE 'delivered' END,
                                  'text', 'History message ' || ((e + 1) / 2)),
               now() - interval '1 day'
        FROM generate_series(1, 2 * ${n}) e`,
  );
  await db.execute(
    sql`INSERT INTO webhook_deliveries (id, event_id, endpoint_id, url, status, attempts, next_attempt_at,
                                        last_status_code, created_at, updated_at)
        SELECT ${id("whd", "e")}, ${id("evt", "e")}, NULL, 'http://history.invalid/hook', 'succeeded', 1, t,
               204, t, t
        FROM generate_series(1, 2 * ${n}) e, (SELECT now() - interval '1 day' AS t) AS at`,
  );
  await db.execute(
    sql`INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, duration_ms)
        SELECT ${id("wha", "e")}, ${id("whd", "e")}, now() - interval '1 day', 204, 3
        FROM generate_series(1, 2 * ${n}) e`,
  );
  await db.execute(sql`ANALYZE`);
}
