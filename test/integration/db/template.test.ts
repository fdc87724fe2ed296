import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadDatabaseConfig } from "../../../src/config.js";
import { queryRows } from "../../../src/db/client.js";
import { accounts } from "../../../src/db/schema.js";
import { createTestDatabase } from "../../helpers/db.js";
import { adminStatement, parseDatabaseUrl } from "../../helpers/pg-admin.js";

const baseUrl = loadDatabaseConfig().databaseUrl;

describe("createTestDatabase", () => {
  it("gives each caller its own migrated, empty database", { timeout: 120_000 }, async () => {
    const one = await createTestDatabase();
    const two = await createTestDatabase();
    try {
      expect(one.kind).toBe(baseUrl === undefined ? "pglite" : "postgres");
      await one.db.insert(accounts).values({ name: "only in one" });
      expect(await one.db.select().from(accounts)).toHaveLength(1);
      expect(await two.db.select().from(accounts)).toHaveLength(0);
      const [row] = await queryRows<{ n: number }>(
        two.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      expect(row?.n).toBeGreaterThan(0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  if (baseUrl !== undefined) {
    it("clones the run's template into a database named after the run's, and drops it on close", {
      timeout: 120_000,
    }, async () => {
      const { name } = parseDatabaseUrl(baseUrl);
      const test = await createTestDatabase();
      const url = test.url;
      expect(url).toBeDefined();
      const cloneName = parseDatabaseUrl(url ?? "").name;
      expect(cloneName.startsWith(`${name}_t_`)).toBe(true);

      const exists = async (): Promise<boolean> => {
        const postgres = (await import("postgres")).default;
        const admin = postgres(baseUrl, { max: 1 });
        try {
          const rows = await admin`select 1 from pg_database where datname = ${cloneName}`;
          return rows.length === 1;
        } finally {
          await admin.end();
        }
      };
      expect(await exists()).toBe(true);
      await test.close();
      expect(await exists()).toBe(false);
      // The run's own database is untouched and still reachable.
      await adminStatement(baseUrl, "select 1");
    });
  }
});
