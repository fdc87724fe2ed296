/**
 * Rows for the retention tests, written straight in SQL with ids and timestamps in the past: the sweep
 * selects by time-ordered id and by timestamp, and no test waits for time to pass.
 */
import { randomInt } from "node:crypto";
import { sql } from "drizzle-orm";
import { firstIdAt, type IdPrefix, newId } from "../../../src/core/ids.js";
import { type Executor, queryRows } from "../../../src/db/client.js";
import type { DeliveryStatus, MessageStatus } from "../../../src/db/schema.js";

export const DAY = 86_400_000;
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** An id as `newId` would have made it `ageMs` ago (newId itself never goes back in time). */
export function idAged(prefix: IdPrefix, ageMs: number): string {
  if (ageMs === 0) return newId(prefix);
  const random = Array.from({ length: 16 }, () => ALPHABET.charAt(randomInt(32))).join("");
  return firstIdAt(prefix, Date.now() - ageMs).slice(0, -16) + random;
}

/** `now() - ageMs` in SQL. */
const ago = (ageMs: number) => sql`now() - make_interval(secs => ${ageMs / 1000}::float8)`;

export async function createAccount(db: Executor): Promise<string> {
  const id = newId("acc");
  await db.execute(sql`INSERT INTO accounts (id, name) VALUES (${id}, 'retention')`);
  return id;
}

export interface MessageSpec {
  status: MessageStatus;
  /** Age of the id (creation). */
  createdAgo: number;
  /** Age of updated_at (last change); default createdAgo. */
  changedAgo?: number;
  segments?: number;
}

/** A message with `segments` parts and one matched receipt per part; returns its id. */
export async function createMessage(db: Executor, accountId: string, spec: MessageSpec): Promise<string> {
  const id = idAged("msg", spec.createdAgo);
  const segments = spec.segments ?? 2;
  const pending = spec.status === "scheduled" || spec.status === "queued" || spec.status === "sending";
  await db.execute(
    sql`INSERT INTO messages (id, account_id, status, to_number, from_address, text, encoding, data_coding,
                              segments, next_attempt_at, created_at, updated_at)
        VALUES (${id}, ${accountId}, ${spec.status}, '+447700900001', 'Retention', 'hello', 'gsm7', 0,
                ${segments}, ${pending ? sql`now()` : null}, ${ago(spec.createdAgo)},
                ${ago(spec.changedAgo ?? spec.createdAgo)})`,
  );
  for (let index = 1; index <= segments; index++) {
    await db.execute(
      sql`INSERT INTO message_parts (message_id, index, text, status, upstream_id, smsc_message_id, smsc_id_key)
          VALUES (${id}, ${index}, 'hello', 'sent', 'ups_x', ${`${id}-${index}`}, ${`${id}-${index}`})`,
    );
    await db.execute(
      sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index, stat,
                                received_at, matched_at)
          VALUES (${idAged("dlr", spec.createdAgo)}, 'ups_x', ${`${id}-${index}`}, ${`${id}-${index}`}, ${id},
                  ${index}, 'DELIVRD', ${ago(spec.createdAgo)}, ${ago(spec.createdAgo)})`,
    );
  }
  return id;
}

/** An event made `ageMs` ago with one delivery per status in `deliveries`, each with one attempt. */
export async function createEvent(
  db: Executor,
  accountId: string,
  ageMs: number,
  deliveries: readonly DeliveryStatus[],
): Promise<{ id: string; deliveryIds: string[] }> {
  const id = idAged("evt", ageMs);
  await db.execute(
    sql`INSERT INTO events (id, account_id, type, payload, created_at)
        VALUES (${id}, ${accountId}, 'message.delivered', '{"id":"msg_x"}'::jsonb, ${ago(ageMs)})`,
  );
  const deliveryIds: string[] = [];
  for (const status of deliveries) {
    // Made with its event, as the outbox does: its id encodes the same moment.
    const deliveryId = idAged("whd", ageMs);
    deliveryIds.push(deliveryId);
    await db.execute(
      sql`INSERT INTO webhook_deliveries (id, event_id, url, status, created_at, updated_at)
          VALUES (${deliveryId}, ${id}, 'https://example.com/hook', ${status}, ${ago(ageMs)}, ${ago(ageMs)})`,
    );
    await db.execute(
      sql`INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, duration_ms)
          VALUES (${idAged("wha", ageMs)}, ${deliveryId}, ${ago(ageMs)}, 500, 12)`,
    );
  }
  return { id, deliveryIds };
}

/** An inbound SMS received `ageMs` ago, with one joined segment and a repeat key of that age. */
export async function createInbound(db: Executor, ageMs: number): Promise<{ id: string; partId: string }> {
  const id = idAged("inb", ageMs);
  const partId = idAged("inp", ageMs);
  await db.execute(
    sql`INSERT INTO inbound_messages (id, upstream_id, from_address, to_number, text, encoding, data_coding,
                                      received_at)
        VALUES (${id}, 'ups_x', '+447700900002', '+447700900003', 'hi', 'gsm7', 0, ${ago(ageMs)})`,
  );
  await db.execute(
    sql`INSERT INTO inbound_parts (id, upstream_id, source, destination, ref, total, seq, data, data_coding,
                                   received_at, inbound_id)
        VALUES (${partId}, 'ups_x', '+447700900002', ${id}, 1, 2, 1, '\\x6869'::bytea, 0, ${ago(ageMs)}, ${id})`,
  );
  await db.execute(
    sql`INSERT INTO inbound_repeat_keys (key, received_at)
        VALUES (decode(md5(${id}), 'hex'), ${ago(ageMs)})`,
  );
  return { id, partId };
}

/** Which of `ids` are still in `table` (by its `column`). */
export async function remaining(
  db: Executor,
  table: string,
  column: string,
  ids: readonly string[],
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT ${sql.identifier(column)} AS id FROM ${sql.identifier(table)}
        WHERE ${sql.identifier(column)} = ANY(${sql.param([...ids])}::text[])`,
  );
  return rows.map((r) => r.id).sort();
}

/** Row count of `table`. */
export async function countRows(db: Executor, table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`,
  );
  return row?.n ?? 0;
}
