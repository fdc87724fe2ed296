import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations, SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import { lockDataDir } from "./data-dir-lock.js";
import { preparingClient } from "./prepared-client.js";
import * as schema from "./schema.js";

export type Schema = typeof schema;

/**
 * The database as the rest of the code sees it, whichever driver is underneath. Write queries against
 * this type only; for raw SQL use {@link queryRows} (the drivers shape `execute` results differently).
 */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction opened with `db.transaction(async (tx) => …)`. */
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a query can run on: the database or a transaction. */
export type Executor = Database | Transaction;

export type DatabaseKind = "postgres" | "pglite";

export interface DatabaseOptions {
  /** PostgreSQL URL. When set the `postgres` driver is used; otherwise embedded PGlite. */
  databaseUrl?: string | undefined;
  /**
   * Where PGlite keeps its files: `<dataDir>/pglite`. Undefined = in memory (tests). Ignored with a
   * `databaseUrl`.
   */
  dataDir?: string | undefined;
  /** Most connections the PostgreSQL pool opens. Default 10. Ignored for PGlite (one connection). */
  databasePoolSize?: number | undefined;
  /**
   * Start an in-memory PGlite from this data-directory dump (`PGlite.dumpDataDir()`) instead of an
   * empty cluster: tests load a migrated template, much faster than initialising and migrating.
   */
  pgliteDump?: Blob | undefined;
}

export interface OpenDatabase {
  readonly db: Database;
  readonly kind: DatabaseKind;
  /** Resolves when the database answers a trivial query; rejects otherwise (readiness probe). */
  ping(): Promise<void>;
  /** Closes the pool or the embedded instance; waits for running queries to finish. */
  close(): Promise<void>;
  /**
   * Runs `work` with a database bound to one connection for its whole duration, so session state
   * (advisory locks, SET) applies to every query in it. On PostgreSQL this opens a dedicated
   * connection outside the pool; PGlite has only one connection anyway.
   */
  withConnection<T>(work: (db: Database) => Promise<T>): Promise<T>;
}

/** Default size of the PostgreSQL connection pool. */
export const DEFAULT_POOL_SIZE = 10;

/** Opens the configured database: PostgreSQL when `databaseUrl` is set, embedded PGlite otherwise. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<OpenDatabase> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.databasePoolSize ?? DEFAULT_POOL_SIZE)
    : (await openPglite(options.dataDir, options.pgliteDump)).database;
}

/**
 * The driver's URL and host for `url`. A Unix socket directory, in either of libpq's spellings (a
 * `host=/dir` query parameter, `postgres://user@localhost/db?host=/var/run/postgresql`, or the
 * percent-encoded directory as the host, `postgres://user@%2Fvar%2Frun%2Fpostgresql/db`), becomes the
 * driver's `host` option, which connects through `<dir>/.s.PGSQL.<port>`; left in the URL, the driver
 * would send the parameter to the server as a setting, or look the directory up as a host name.
 */
export function postgresTarget(url: string): { url: string; host?: string } {
  const parsed = new URL(url);
  const encodedHost = decodeURIComponent(parsed.hostname);
  if (encodedHost.startsWith("/")) {
    parsed.hostname = "localhost";
    return { url: parsed.toString(), host: encodedHost };
  }
  const host = parsed.searchParams.get("host");
  if (host === null || !host.startsWith("/")) return { url };
  parsed.searchParams.delete("host");
  return { url: parsed.toString(), host };
}

/** A `postgres` client for a DATABASE_URL, Unix socket URLs included ({@link postgresTarget}). */
export function postgresClient(url: string, options: postgres.Options<Record<string, never>> = {}): Sql {
  const target = postgresTarget(url);
  return postgres(target.url, target.host === undefined ? options : { ...options, host: target.host });
}

function openPostgres(url: string, poolSize: number): OpenDatabase {
  // Migrations and IF NOT EXISTS emit NOTICEs; the driver would print each to the console.
  const clientOptions = {
    onnotice: () => {},
    connection: { application_name: "smpp-bridge" },
    // While PostgreSQL is down every failed connect lengthens the driver's pause before the next one
    // (to 10–20 s by default, shared by the pool), and a query handed to a closed connection waits that
    // pause out: requests hung instead of failing, and the service came back that late. Capped at 1 s
    // (the unit is seconds), an outage answers 503 at once and ends for us within a second.
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
    // A server that does not answer a connect at all (unreachable rather than refusing): give up in 10 s.
    connect_timeout: 10,
  };
  const client = postgresClient(url, { ...clientOptions, max: poolSize });
  const db: Database = drizzlePostgres({ client: preparingClient(client), schema });
  return {
    db,
    kind: "postgres",
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
    withConnection: async (work) => {
      // A separate one-connection client rather than `client.reserve()`: drizzle cannot wrap a
      // reserved connection, and this is for rare work (migrations), not the hot path.
      const single = postgresClient(url, { ...clientOptions, max: 1 });
      try {
        return await work(drizzlePostgres({ client: single, schema }));
      } finally {
        await single.end({ timeout: 5 });
      }
    },
  };
}

/**
 * Opens embedded PGlite (see {@link DatabaseOptions}) and also returns the PGlite client itself, for
 * what only PGlite can do (tests dump a migrated template with `client.dumpDataDir()`).
 */
export async function openPglite(
  dataDir: string | undefined,
  dump?: Blob,
): Promise<{ database: OpenDatabase; client: PGlite }> {
  let directory: string | undefined;
  let unlock = () => {};
  if (dataDir !== undefined) {
    directory = join(dataDir, "pglite");
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    unlock = lockDataDir(dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(directory, dump ? { loadDataDir: dump } : {});
  } catch (error) {
    unlock();
    throw error;
  }
  const db: Database = drizzlePglite({ client, schema });
  const database: OpenDatabase = {
    db,
    kind: "pglite",
    ping: async () => {
      await client.query("select 1");
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
    withConnection: (work) => work(db),
  };
  return { database, client };
}

/**
 * Runs raw SQL and returns its rows. postgres-js answers `execute` with an array of rows and PGlite
 * with `{ rows }`; this hides the difference so raw queries are written once. Row values are what the
 * driver gives, after drizzle's own parsers: timestamps arrive as strings (wrap them in `new Date()`),
 * and counts should be cast to `int` in SQL (`count(*)::int`), bigint differing between drivers.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  if (typeof result === "object" && result !== null && "rows" in result && Array.isArray(result.rows)) {
    return result.rows as T[];
  }
  throw new Error("unexpected result shape from the database driver");
}
