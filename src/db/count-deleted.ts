import { type SQL, sql } from "drizzle-orm";
import { type Executor, queryRows } from "./client.js";

/** Runs a `DELETE … RETURNING 1` and returns how many rows it deleted (the same on both drivers). */
export async function countDeleted(tx: Executor, statement: SQL): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`WITH deleted AS (${statement}) SELECT count(*)::int AS n FROM deleted`,
  );
  return row?.n ?? 0;
}
