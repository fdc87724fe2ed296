import { readFile } from "node:fs/promises";
import { inject } from "vitest";
import { loadDatabaseConfig } from "../../src/config.js";
import { type OpenDatabase, openDatabase } from "../../src/db/client.js";
import { runMigrations } from "../../src/db/migrations.js";
import {
  adminStatement,
  createMigratedDatabase,
  derivedDatabaseName,
  dropDatabase,
  parseDatabaseUrl,
  quoteIdentifier,
} from "./pg-admin.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Name of the migrated template database made by the global setup; "" without DATABASE_URL. */
    dbTemplate: string;
    /** File holding a dump of a migrated PGlite made by the global setup; "" with DATABASE_URL. */
    pgliteTemplateFile: string;
  }
}

export interface TestDatabase extends OpenDatabase {
  /** URL of this test's own PostgreSQL database (to hand to a child process); undefined on PGlite. */
  readonly url: string | undefined;
}

/**
 * A migrated database of this test file's own. With DATABASE_URL: a clone of the run's migrated
 * template (`CREATE DATABASE … TEMPLATE …`, a file copy, much faster than migrating), dropped by
 * `close()`. Without: a fresh in-memory PGlite loaded from the run's migrated dump.
 */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const baseUrl = loadDatabaseConfig().databaseUrl;
  if (baseUrl === undefined) {
    const templateFile = inject("pgliteTemplateFile");
    if (templateFile) {
      const dump = new Blob([await readFile(templateFile)]);
      return { ...(await openDatabase({ pgliteDump: dump })), url: undefined };
    }
    const database = await openDatabase({});
    await runMigrations(database);
    return { ...database, url: undefined };
  }

  const { name, withName } = parseDatabaseUrl(baseUrl);
  const template = inject("dbTemplate");
  let clone: string;
  if (template) {
    clone = derivedDatabaseName(name, "t");
    await adminStatement(
      baseUrl,
      `CREATE DATABASE ${quoteIdentifier(clone)} TEMPLATE ${quoteIdentifier(template)}`,
    );
  } else {
    // Run without the global setup (another vitest config): migrate this one directly.
    clone = await createMigratedDatabase(baseUrl, "t");
  }
  const url = withName(clone);
  const database = await openDatabase({ databaseUrl: url, databasePoolSize: options.poolSize ?? 5 });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await dropDatabase(baseUrl, clone);
    },
  };
}
