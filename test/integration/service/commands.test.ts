/**
 * `smpp-bridge migrate` (and `npm run migrate`, which runs src/db/migrate.ts) on an empty database,
 * twice; the command lines of `serve` and `migrate`: --help, bad flags (exit 2), bad environment
 * (exit 1 with the variable named, no stack trace).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDatabaseConfig } from "../../../src/config.js";
import { openDatabase, queryRows } from "../../../src/db/client.js";
import {
  adminStatement,
  derivedDatabaseName,
  dropDatabase,
  parseDatabaseUrl,
  quoteIdentifier,
} from "../../helpers/pg-admin.js";
import { spawnCli } from "./child.js";

async function run(args: string[], env: Record<string, string>, script?: string) {
  const child = spawnCli(args, env, script);
  const exit = await child.exited;
  return { code: exit.code, output: child.output() };
}

describe("smpp-bridge migrate", () => {
  const baseUrl = loadDatabaseConfig().databaseUrl;
  let dataDir: string;
  let env: Record<string, string>;
  let emptyDb: string | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "smpp-bridge-migrate-"));
    if (baseUrl === undefined) {
      env = { DATA_DIR: dataDir };
      return;
    }
    const { name, withName } = parseDatabaseUrl(baseUrl);
    emptyDb = derivedDatabaseName(name, "m");
    await adminStatement(baseUrl, `CREATE DATABASE ${quoteIdentifier(emptyDb)}`);
    env = { DATABASE_URL: withName(emptyDb) };
  });

  afterAll(async () => {
    if (baseUrl !== undefined && emptyDb !== undefined) await dropDatabase(baseUrl, emptyDb);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates the schema in an empty database, then finds nothing to do", { timeout: 180_000 }, async () => {
    const first = await run(["migrate"], env);
    expect(first.output).toMatch(/migrations applied \((PostgreSQL|embedded PGlite)\)/);
    expect(first.code).toBe(0);
    // `npm run migrate` runs the script directly.
    const again = await run([], env, "src/db/migrate.ts");
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/migrations applied/);

    const database = await openDatabase(
      env.DATABASE_URL !== undefined ? { databaseUrl: env.DATABASE_URL } : { dataDir },
    );
    try {
      const tables = await queryRows<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'
            AND table_name IN ('messages', 'message_parts', 'upstreams', 'events', 'webhook_deliveries')`,
      );
      expect(tables[0]?.n).toBe(5);
      const applied = await queryRows<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`,
      );
      expect(applied[0]?.n).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  it("answers --help, refuses unknown flags with 2 and a bad environment with 1", {
    timeout: 120_000,
  }, async () => {
    // Each run starts a node process: run them side by side.
    const [help, bad, wrongUrl] = await Promise.all([
      run(["migrate", "--help"], {}),
      run(["migrate", "--force"], {}),
      run(["migrate"], { DATABASE_URL: "mysql://localhost/x" }),
    ]);
    expect(help.code).toBe(0);
    expect(help.output).toContain("Usage: smpp-bridge migrate");
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('unknown option "--force"');
    expect(wrongUrl.code).toBe(1);
    expect(wrongUrl.output).toContain("DATABASE_URL");
    expect(wrongUrl.output).not.toContain("    at ");
  });
});

describe("smpp-bridge serve (command line)", () => {
  it("answers --help, refuses bad flags with 2 and a bad environment with 1", {
    timeout: 120_000,
  }, async () => {
    const help = await run(["serve", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.output).toContain("Usage: smpp-bridge serve");
    expect(help.output).toContain("DATABASE_URL");

    for (const args of [
      ["serve", "--verbose"],
      ["serve", "--port", "http"],
      ["serve", "--port"],
    ]) {
      const bad = await run(args, {});
      expect(bad.code).toBe(2);
      expect(bad.output).toContain("smpp-bridge serve --help");
    }

    // Production mode needs its credentials: named, not a stack trace.
    const missing = await run(["serve"], { DATABASE_URL: "postgres://127.0.0.1:1/none" });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("ADMIN_TOKEN");
    expect(missing.output).toContain("SECRET_KEY");
    expect(missing.output).not.toContain("    at ");
  });
});
