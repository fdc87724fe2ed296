/**
 * The statistics keeper on a real database: a watched table that has grown past twice its counted rows
 * is analyzed (pg_class.reltuples catches up), one that has not is left alone, and small tables are
 * left to autovacuum.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { GrowthAnalyzer } from "../../../src/db/growth-analyzer.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`INSERT INTO accounts (id, name) VALUES ('acc_growth', 'growth')`);
}, 120_000);
afterAll(async () => {
  await database?.close();
});

async function addEvents(from: number, to: number): Promise<void> {
  await database.db.execute(
    sql`INSERT INTO events (id, account_id, type, payload)
        SELECT 'evt_' || lpad(g::text, 26, '0'), 'acc_growth', 'message.sent', '{}'::jsonb
        FROM generate_series(${from}::int, ${to}::int) g`,
  );
}

async function countedRows(table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    database.db,
    sql`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = ${table} AND relnamespace = 'public'::regnamespace`,
  );
  return row?.n ?? Number.NaN;
}

/** Live-row counts reach the statistics views when a backend flushes them; wait for ours (bounded). */
async function untilLiveRows(table: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await database.db.execute(sql`SELECT pg_stat_force_next_flush()`).catch(() => undefined);
    const [row] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT n_live_tup::float8 AS n FROM pg_stat_user_tables WHERE relname = ${table}`,
    );
    if ((row?.n ?? 0) >= atLeast) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${table} never showed ${atLeast} live rows in pg_stat_user_tables`);
}

describe("GrowthAnalyzer", () => {
  test("analyzes a watched table once its live rows have doubled, and only then", async () => {
    const keeper = new GrowthAnalyzer(database.db, { minRows: 1000 });
    await addEvents(1, 500);
    await untilLiveRows("events", 500);
    expect(await keeper.tick()).not.toContain("events"); // below minRows: autovacuum's

    await addEvents(501, 3000);
    await untilLiveRows("events", 3000);
    expect(await keeper.tick()).toContain("events");
    expect(await countedRows("events")).toBe(3000);

    await addEvents(3001, 5000); // 5,000 live against 3,000 counted: not yet doubled
    await untilLiveRows("events", 5000);
    expect(await keeper.tick()).not.toContain("events");
    expect(await countedRows("events")).toBe(3000);

    await addEvents(5001, 7000);
    await untilLiveRows("events", 7000);
    expect(await keeper.tick()).toContain("events");
    expect(await countedRows("events")).toBe(7000);
  }, 120_000);
});
