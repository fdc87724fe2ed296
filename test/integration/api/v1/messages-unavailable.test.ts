/**
 * POST /v1/messages while the database cannot take it (DESIGN §4: "503 dependency down"): the answer
 * is 503 problem+json with Retry-After, nothing is accepted, and the same process accepts again once
 * the database is back — a refused request retried with its Idempotency-Key is then accepted.
 *
 * The database is a PostgreSQL cluster of this file's own (test/helpers/private-postgres.ts), stopped
 * and started here; the machine's shared server is never touched. Runs the same with or without
 * DATABASE_URL. "Never reachable" needs no cluster: a URL whose port nobody listens on.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../../src/api/app.js";
import { MessageService } from "../../../../src/core/messages/service.js";
import { type OpenDatabase, openDatabase } from "../../../../src/db/client.js";
import { runMigrations } from "../../../../src/db/migrations.js";
import { FakeUpstreamRuntime } from "../../../helpers/fake-upstream-runtime.js";
import {
  type PrivatePostgres,
  privatePostgresUnavailable,
  startPrivatePostgres,
} from "../../../helpers/private-postgres.js";
import { freePort } from "../../service/child.js";
import { waitFor } from "../../service/harness.js";
import { problemOf } from "../harness.js";
import { RecordingSink } from "./messages-harness.js";

const SEND = { to: "+447700900123", text: "hello", from: "Acme" };

interface Api {
  baseUrl: string;
  adminToken: string;
  sink: RecordingSink;
  call(
    method: string,
    path: string,
    token: string | null,
    json?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  close(): Promise<void>;
}

/** The real app and messages service on `database`, over real HTTP on 127.0.0.1 port 0. */
async function startApi(database: OpenDatabase): Promise<Api> {
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const logger = pino({ level: "silent" });
  const sink = new RecordingSink();
  const messages = new MessageService({
    db: database.db,
    sink,
    instanceId: "test-instance",
    leaseMs: 30_000,
    logger,
  });
  const app = createApp({
    db: database.db,
    config: { adminToken, secretKey: randomBytes(32) },
    upstreamRuntime: new FakeUpstreamRuntime(),
    logger,
    messages,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    adminToken,
    sink,
    call: (method, path, token, json, headers = {}) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(token !== null && { Authorization: `Bearer ${token}` }),
          ...(json !== undefined && { "Content-Type": "application/json" }),
          ...headers,
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        // An answer that does not come is a failure too, not a test hanging until its timeout.
        signal: AbortSignal.timeout(20_000),
      }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      await messages.close();
    },
  };
}

/** Asserts the response is the API's 503: problem+json, Retry-After in whole seconds, the request id. */
async function expectUnavailable(response: Response, retryAfter = /^[1-9][0-9]*$/): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toMatch(retryAfter);
  const problem = await problemOf(response);
  expect(problem).toMatchObject({
    type: "urn:smpp-bridge:problem:service-unavailable",
    title: "Service Unavailable",
    status: 503,
  });
  expect(problem.detail).not.toBe("");
  expect(problem.request_id).toBe(response.headers.get("x-request-id"));
}

describe("POST /v1/messages when the database was never reachable", () => {
  let database: OpenDatabase;
  let api: Api;

  beforeAll(async () => {
    // Nothing listens on this port: every connect is refused, as when PostgreSQL is down.
    database = await openDatabase({
      databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
      databasePoolSize: 2,
    });
    api = await startApi(database);
  });

  afterAll(async () => {
    await api?.close();
    await database?.close();
  });

  it("answers 503 problem+json with Retry-After for a send, a batch and /readyz", async () => {
    const key = `sk_live_${randomBytes(24).toString("base64url")}`;
    await expectUnavailable(await api.call("POST", "/v1/messages", key, SEND), /^5$/);
    await expectUnavailable(
      await api.call("POST", "/v1/messages/batch", key, { messages: [SEND, SEND] }),
      /^5$/,
    );
    await expectUnavailable(await api.call("GET", "/readyz", null), /^5$/);
    expect(api.sink.messages).toEqual([]);
  });
});

const unavailable = privatePostgresUnavailable();
if (unavailable !== undefined) {
  // Not skipped: the reason is printed, and the test above still shows the 503 without a cluster.
  it(`cannot stop and start a private PostgreSQL here: ${unavailable}`, () => {
    console.warn(
      `messages-unavailable: no private PostgreSQL cluster (${unavailable}); only "never reachable" ran`,
    );
    expect(unavailable).not.toBe("");
  });
} else {
  describe("POST /v1/messages while PostgreSQL is down, and after", () => {
    let pg: PrivatePostgres;
    let database: OpenDatabase;
    let api: Api;
    let apiKey: string;

    beforeAll(async () => {
      pg = await startPrivatePostgres();
      database = await openDatabase({ databaseUrl: pg.url, databasePoolSize: 3 });
      await runMigrations(database);
      api = await startApi(database);
      const account = await api.call("POST", "/admin/accounts", api.adminToken, { name: "Acme" });
      expect(account.status).toBe(201);
      const { id } = (await account.json()) as { id: string };
      const created = await api.call("POST", `/admin/accounts/${id}/api-keys`, api.adminToken, {});
      expect(created.status).toBe(201);
      apiKey = ((await created.json()) as { key: string }).key;
    }, 120_000);

    afterAll(async () => {
      await api?.close();
      await database?.close();
      await pg?.close();
    }, 120_000);

    it("answers 503 while it is down and accepts again once it is back", { timeout: 120_000 }, async () => {
      expect((await api.call("POST", "/v1/messages", apiKey, SEND)).status).toBe(202);
      const acceptedBefore = api.sink.messages.length;

      await pg.stop("immediate");
      // The key is checked against the database first: that read fails, and its failure is the 503.
      await expectUnavailable(await api.call("POST", "/v1/messages", apiKey, SEND), /^5$/);
      const idempotent = { "Idempotency-Key": `retry-${randomBytes(6).toString("hex")}` };
      await expectUnavailable(await api.call("POST", "/v1/messages", apiKey, SEND, idempotent), /^5$/);
      await expectUnavailable(
        await api.call("POST", "/v1/messages/batch", apiKey, { messages: [SEND] }),
        /^5$/,
      );
      await expectUnavailable(await api.call("GET", "/readyz", null), /^5$/);
      expect(api.sink.messages.length).toBe(acceptedBefore);

      await pg.start();
      await waitFor(
        async () => (await api.call("GET", "/readyz", null)).status === 200,
        "/readyz to report ready",
        60_000,
        100,
      );
      // The refused request, retried with its key, is accepted now: nothing of it was stored before.
      const retried = await api.call("POST", "/v1/messages", apiKey, SEND, idempotent);
      expect(retried.status).toBe(202);
      expect(retried.headers.get("idempotent-replayed")).toBeNull();
      expect((await api.call("POST", "/v1/messages", apiKey, SEND)).status).toBe(202);
      expect(api.sink.messages.length).toBe(acceptedBefore + 2);
    });

    it("answers 503 when the database takes reads but refuses writes, accepting nothing", async () => {
      // A primary demoted to a read-only standby: the key check still reads, the accept cannot write.
      await database.db.execute(sql`ALTER SYSTEM SET default_transaction_read_only = on`);
      await database.db.execute(sql`SELECT pg_reload_conf()`);
      try {
        await waitFor(
          async () => (await api.call("POST", "/v1/messages", apiKey, SEND)).status === 503,
          "sends to be refused once the reload has reached the pool",
          20_000,
          100,
        );
        const acceptedBefore = api.sink.messages.length;
        // The accept's own 503 (AcceptUnavailableError): a failed write that is not a lost connection
        // is worth retrying sooner than an outage (Retry-After 1 rather than 5).
        await expectUnavailable(await api.call("POST", "/v1/messages", apiKey, SEND), /^1$/);
        await expectUnavailable(
          await api.call("POST", "/v1/messages/batch", apiKey, { messages: [SEND, SEND] }),
          /^1$/,
        );
        expect(api.sink.messages.length).toBe(acceptedBefore);
      } finally {
        await database.withConnection(async (db) => {
          await db.execute(sql`SET default_transaction_read_only = off`);
          await db.execute(sql`ALTER SYSTEM RESET default_transaction_read_only`);
          await db.execute(sql`SELECT pg_reload_conf()`);
        });
      }
      await waitFor(
        async () => (await api.call("POST", "/v1/messages", apiKey, SEND)).status === 202,
        "sends to be accepted again",
        20_000,
        100,
      );
    });
  });
}
