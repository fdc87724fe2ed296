import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";

/**
 * Makes PostgreSQL refuse rows written to `table` for which `condition` (SQL over NEW) holds, with
 * SQLSTATE 22023 (a data exception): data the database cannot take, on demand, standing in for what
 * once could not be stored (NUL, an int4 overflow). `name` names the trigger and its function.
 */
export async function refuseRows(
  db: Database,
  options: { name: string; table: string; on: "INSERT" | "INSERT OR UPDATE"; condition: string },
): Promise<void> {
  const name = sql.raw(options.name);
  await db.execute(sql`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${sql.raw(options.condition)} THEN
        RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22023';
      END IF;
      RETURN NEW;
    END $$`);
  await db.execute(sql`
    CREATE TRIGGER ${name} BEFORE ${sql.raw(options.on)} ON ${sql.raw(options.table)}
    FOR EACH ROW EXECUTE FUNCTION ${name}()`);
}
