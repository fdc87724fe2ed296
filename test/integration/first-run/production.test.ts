import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { cliEnv } from "../cli/run-cli.js";
import { freePort, jsonLines, type ServeProcess, startServe } from "./serve-process.js";

/**
 * `smpp-bridge serve` with DATABASE_URL is the production service: no simulator, no demo data, no
 * banner, and nothing secret printed. On PostgreSQL the service starts on this file's own database
 * and is looked at while it runs; on PGlite runs (no PostgreSQL here) DATABASE_URL points at a port
 * where nothing listens, so it fails to start — and must still print nothing secret and start no demo.
 */

const TEST_MS = 180_000;
let database: TestDatabase | undefined;
let serve: ServeProcess | undefined;

afterAll(async () => {
  await serve?.stop();
  await database?.close();
});

describe("serve with DATABASE_URL", () => {
  it(
    "runs no demo and prints no secret",
    async () => {
      database = await createTestDatabase();
      const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
      const secretKey = randomBytes(32).toString("base64");
      const port = await freePort();
      serve = startServe(
        cliEnv({
          DATABASE_URL: database.url ?? "postgres://nobody@127.0.0.1:1/none",
          ADMIN_TOKEN: adminToken,
          SECRET_KEY: secretKey,
          PORT: String(port),
        }),
      );

      if (database.url !== undefined) {
        await serve.waitFor(/"msg":"listening"/, "the service to listen", 120_000);
        const upstreams = await fetch(`http://127.0.0.1:${port}/admin/upstreams`, {
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        expect(((await upstreams.json()) as { data: unknown[] }).data).toEqual([]);
        const accounts = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        expect(((await accounts.json()) as { data: unknown[] }).data).toEqual([]);
        expect(await serve.stop()).toBe(0);
      } else {
        expect(await serve.exit(120_000)).toBe(1);
      }

      const output = `${serve.stdout()}\n${serve.stderr()}`;
      serve = undefined;
      expect(output).not.toContain(adminToken);
      expect(output).not.toContain(secretKey);
      expect(output).not.toMatch(/^API key: /m);
      expect(output).not.toMatch(/^Admin token: /m);
      expect(output).not.toMatch(/^curl /m);
      expect(jsonLines(output).some((l) => l.msg === "SMSC simulator listening")).toBe(false);
    },
    TEST_MS,
  );
});
