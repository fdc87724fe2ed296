/**
 * `npm run migrate`: applies pending migrations to the configured database and exits. Needs only the
 * database variables (DATABASE_URL, or DATA_DIR for the embedded PGlite).
 */
import { pathToFileURL } from "node:url";
import { loadDatabaseConfig } from "../config.js";
import { openDatabase } from "./client.js";
import { runMigrations } from "./migrations.js";

/** Opens the configured database, migrates it and closes it; returns what it migrated. */
export async function migrateConfiguredDatabase(): Promise<{ kind: "postgres" | "pglite" }> {
  const database = await openDatabase(loadDatabaseConfig());
  try {
    await runMigrations(database);
    return { kind: database.kind };
  } finally {
    await database.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { kind } = await migrateConfiguredDatabase();
    process.stdout.write(`migrations applied (${kind})\n`);
  } catch (error) {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
