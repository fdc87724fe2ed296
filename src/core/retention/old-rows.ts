/**
 * The candidates of a retention batch: rows made before the cutoff, found by primary-key range. Ids are
 * time-ordered (`id < firstIdAt(cutoff)` is "made before the cutoff"), so no table pays an index on a
 * timestamp for the sweep. Locked with SKIP LOCKED: a row another transaction holds is left for a later
 * sweep, and two sweeps take different rows.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { firstIdAt } from "../ids.js";

/** The tables whose old rows the sweep selects, with the prefix of their ids. */
const PREFIX = { messages: "msg", events: "evt", inbound_messages: "inb" } as const;

/**
 * Ids of up to `limit` rows of `table` made before `cutoff`, with id greater than `after` and matching
 * `also` when given, locked, in id order.
 */
export async function lockOldRows(
  tx: Executor,
  table: keyof typeof PREFIX,
  cutoff: Date,
  limit: number,
  after: string,
  also?: SQL,
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`SELECT id FROM ${sql.raw(table)}
        WHERE id < ${firstIdAt(PREFIX[table], cutoff.getTime())} AND id > ${after}
          ${also === undefined ? sql`` : sql`AND ${also}`}
        ORDER BY id LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`,
  );
  return rows.map((r) => r.id);
}
