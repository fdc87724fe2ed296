import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadDatabaseConfig } from "../../../src/config.js";
import { type Executor, type OpenDatabase, openDatabase, queryRows } from "../../../src/db/client.js";
import { migrationsFolder, runMigrations } from "../../../src/db/migrations.js";
import { accounts } from "../../../src/db/schema.js";
import {
  adminStatement,
  derivedDatabaseName,
  dropDatabase,
  parseDatabaseUrl,
} from "../../helpers/pg-admin.js";

const TABLES = [
  "accounts",
  "api_keys",
  "events",
  "idempotency_keys",
  "inbound_messages",
  "inbound_parts",
  "inbound_repeat_keys",
  "message_parts",
  "messages",
  "numbers",
  "receipts",
  "routes",
  "upstreams",
  "webhook_attempts",
  "webhook_deliveries",
  "webhook_endpoints",
];

const journalEntries = (): number =>
  (
    JSON.parse(readFileSync(join(migrationsFolder(), "meta", "_journal.json"), "utf8")) as {
      entries: unknown[];
    }
  ).entries.length;

async function tablesIn(db: Executor): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function appliedMigrations(db: Executor): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return row?.n ?? -1;
}

async function expectFullyMigrated(database: OpenDatabase): Promise<void> {
  expect(await tablesIn(database.db)).toEqual(TABLES);
  expect(await appliedMigrations(database.db)).toBe(journalEntries());
}

describe("migrations", () => {
  it("finds the committed drizzle/ folder", () => {
    expect(migrationsFolder()).toBe(join(process.cwd(), "drizzle"));
    expect(journalEntries()).toBeGreaterThan(0);
  });

  // One fresh PGlite only: initialising a cluster costs seconds of CPU (later files load a dump).
  it("migrate a fresh PGlite in DATA_DIR, change nothing when run again, and keep data across restarts", {
    timeout: 180_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "smpp-bridge-pglite-"));
    try {
      const first = await openDatabase({ dataDir });
      try {
        expect(first.kind).toBe("pglite");
        expect(await tablesIn(first.db)).toEqual([]);
        await runMigrations(first);
        await expectFullyMigrated(first);
        await first.db.insert(accounts).values({ id: "acc_kept", name: "kept" });
      } finally {
        await first.close();
      }

      const second = await openDatabase({ dataDir });
      try {
        await runMigrations(second);
        await expectFullyMigrated(second);
        expect(await second.db.select({ id: accounts.id }).from(accounts)).toEqual([{ id: "acc_kept" }]);
        await second.ping();
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  const baseUrl = loadDatabaseConfig().databaseUrl;
  if (baseUrl !== undefined) {
    it("migrate an empty PostgreSQL database, two instances at once", { timeout: 120_000 }, async () => {
      const { name, withName } = parseDatabaseUrl(baseUrl);
      const fresh = derivedDatabaseName(name, "m");
      await adminStatement(baseUrl, `CREATE DATABASE "${fresh}"`);
      const a = await openDatabase({ databaseUrl: withName(fresh) });
      const b = await openDatabase({ databaseUrl: withName(fresh) });
      try {
        expect(a.kind).toBe("postgres");
        expect(await tablesIn(a.db)).toEqual([]);
        // Without the advisory lock both would try to create the same tables and one would fail.
        await Promise.all([runMigrations(a), runMigrations(b)]);
        await expectFullyMigrated(a);
        await a.ping();
      } finally {
        await a.close();
        await b.close();
        await dropDatabase(baseUrl, fresh);
      }
    });
  }
});
