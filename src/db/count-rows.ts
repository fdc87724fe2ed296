import { type SQL, sql } from "drizzle-orm";
import { type Executor, queryRows } from "./client.js";

/**
 * Runs a data-changing statement ending in `RETURNING 1` (a DELETE, an UPDATE) and returns how many rows
 * it touched, the same on both drivers.
 */
export async function countRows(tx: Executor, statement: SQL): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`WITH touched AS (${statement}) SELECT count(*)::int AS n FROM touched`,
  );
  return row?.n ?? 0;
}
