import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { OpenDatabase, Schema } from "./client.js";

/** Any number, as long as nothing else in the database uses it: serialises migrations across instances. */
const MIGRATION_LOCK_KEY = 7_361_024_451;

/**
 * The committed `drizzle/` folder. Found by walking up from this file, so it resolves the same from
 * `src/db` (tsx, vitest) and from `dist/src/db` (the build).
 */
export function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("drizzle/ migrations folder not found above src/db");
    dir = parent;
  }
}

/**
 * Applies the migrations the database has not seen yet (drizzle's migrator: one transaction, a row per
 * migration in drizzle.__drizzle_migrations). On PostgreSQL, instances starting together wait for one
 * another on an advisory lock instead of racing to create the same tables.
 */
export async function runMigrations(
  database: OpenDatabase,
  folder: string = migrationsFolder(),
): Promise<void> {
  const config = { migrationsFolder: folder };
  if (database.kind === "pglite") {
    await migratePglite(database.db as PgliteDatabase<Schema>, config);
    return;
  }
  await database.withConnection(async (db) => {
    await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await migratePostgres(db as PostgresJsDatabase<Schema>, config);
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  });
}
