import { randomBytes } from "node:crypto";
import { openDatabase, postgresClient } from "../../src/db/client.js";
import { runMigrations } from "../../src/db/migrations.js";

// PostgreSQL housekeeping for tests: databases named after the run's own (DATABASE_URL), created,
// migrated and dropped. Shared by the global setup (main process) and test/helpers/db.ts (workers).

/** The database named in a PostgreSQL URL, and a function giving the same URL for another database. */
export function parseDatabaseUrl(url: string): { name: string; withName: (name: string) => string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return {
    name,
    withName: (other) => {
      const copy = new URL(url);
      copy.pathname = `/${encodeURIComponent(other)}`;
      return copy.toString();
    },
  };
}

/** A database name derived from the run's one, so CI's cleanup (`LIKE '<run db>%'`) drops it too. */
export function derivedDatabaseName(baseName: string, tag: string): string {
  return `${baseName}_${tag}_${randomBytes(5).toString("hex")}`;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs one statement on the run's own database (CREATE/DROP DATABASE cannot run on the target). */
export async function adminStatement(baseUrl: string, statement: string): Promise<void> {
  const admin = postgresClient(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Creates an empty database named after the run's one and migrates it; for the global setup. */
export async function createMigratedDatabase(baseUrl: string, tag: string): Promise<string> {
  const { name, withName } = parseDatabaseUrl(baseUrl);
  const created = derivedDatabaseName(name, tag);
  await adminStatement(baseUrl, `CREATE DATABASE ${quoteIdentifier(created)}`);
  const database = await openDatabase({ databaseUrl: withName(created), databasePoolSize: 1 });
  try {
    await runMigrations(database);
  } finally {
    await database.close();
  }
  return created;
}

/** Drops a database made by these helpers, disconnecting whoever is still on it. */
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  await adminStatement(baseUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
}
