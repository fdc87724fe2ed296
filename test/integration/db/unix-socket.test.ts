import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadDatabaseConfig } from "../../../src/config.js";
import { openDatabase, queryRows } from "../../../src/db/client.js";
import { createTestDatabase } from "../../helpers/db.js";

const baseUrl = loadDatabaseConfig().databaseUrl;

// PostgreSQL only: PGlite has no server to reach through a socket.
describe.runIf(baseUrl !== undefined)("DATABASE_URL with host=<socket directory>", () => {
  it("reaches the same database through the server's Unix socket", { timeout: 60_000 }, async () => {
    const test = await createTestDatabase();
    try {
      const [server] = await queryRows<{ dirs: string; db: string }>(
        test.db,
        sql`SELECT current_setting('unix_socket_directories') AS dirs, current_database() AS db`,
      );
      const dir = server?.dirs.split(",")[0]?.trim() ?? "";
      expect(dir.startsWith("/"), `the server listens on a socket directory (${dir})`).toBe(true);
      // libpq's two spellings: a host=<dir> parameter, and the directory percent-encoded as the host.
      const asParameter = new URL(test.url ?? "");
      asParameter.searchParams.set("host", dir);
      const asHost = new URL(test.url ?? "");
      asHost.hostname = encodeURIComponent(dir);
      for (const databaseUrl of [asParameter.toString(), asHost.toString()]) {
        const overSocket = await openDatabase({ databaseUrl, databasePoolSize: 1 });
        try {
          const [seen] = await queryRows<{ addr: string | null; db: string }>(
            overSocket.db,
            sql`SELECT inet_server_addr()::text AS addr, current_database() AS db`,
          );
          expect(seen, databaseUrl).toEqual({ addr: null, db: server?.db });
        } finally {
          await overSocket.close();
        }
      }
    } finally {
      await test.close();
    }
  });
});
