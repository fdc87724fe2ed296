import { randomBytes } from "node:crypto";
import { pino } from "pino";
import type { z } from "zod";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import type { AccountSchema } from "../../../src/api/routes/admin/accounts/schemas.js";
import type { ApiKeySchema, CreatedApiKeySchema } from "../../../src/api/routes/admin/api-keys/schemas.js";
import type { NumberSchema } from "../../../src/api/routes/admin/numbers/schemas.js";
import type { RouteSchema } from "../../../src/api/routes/admin/routes/schemas.js";
import type { UpstreamSchema } from "../../../src/api/routes/admin/upstreams/schemas.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { FakeUpstreamRuntime } from "../../helpers/fake-upstream-runtime.js";
import { logLines } from "../../helpers/log-lines.js";

/**
 * The real app on a real database (PGlite, or a PostgreSQL clone with DATABASE_URL), driven in-process
 * through `app.request`. The SMPP pool is the FakeUpstreamRuntime stand-in (see its note).
 */
export interface ApiHarness {
  app: App;
  database: TestDatabase;
  runtime: FakeUpstreamRuntime;
  adminToken: string;
  secretKey: Buffer;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** A request with the admin token (unless `token` says otherwise) and a JSON body when given. */
  call(method: string, path: string, options?: CallOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** Bearer token; default the admin token; null sends no Authorization header. */
  token?: string | null;
  /** Serialised as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (with `headers` deciding the content type). */
  body?: string;
  headers?: Record<string, string>;
}

/** A Response whose `json()` says what it holds: `await response.json<UpstreamJson>()`. */
export interface TestResponse extends Response {
  json<T = unknown>(): Promise<T>;
}

export type UpstreamJson = z.infer<typeof UpstreamSchema>;
export type AccountJson = z.infer<typeof AccountSchema>;
export type ApiKeyJson = z.infer<typeof ApiKeySchema>;
export type CreatedApiKeyJson = z.infer<typeof CreatedApiKeySchema>;
export type RouteJson = z.infer<typeof RouteSchema>;
export type NumberJson = z.infer<typeof NumberSchema>;
export interface PageJson<T> {
  data: T[];
  next_cursor: string | null;
}

/** A customer route (GET) answering `{ account_id }` of the authenticated key. */
export const PROBE_PATH = "/v1/_probe";

export async function startApi(runtime = new FakeUpstreamRuntime()): Promise<ApiHarness> {
  const database = await createTestDatabase();
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const secretKey = randomBytes(32);
  const { stream: sink, lines: logs } = logLines();
  const app = createApp({
    db: database.db,
    config: { adminToken, secretKey },
    upstreamRuntime: runtime,
    logger: pino({ level: "info" }, sink),
  });

  // Stands in for the /v1 routes to come: shows what customerAuth put on the context. Added before the
  // first request, since Hono's router is frozen once it has matched.
  app.get(PROBE_PATH, (c) => c.json({ account_id: c.get("accountId") }));

  const call = (method: string, path: string, options: CallOptions = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? adminToken : options.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] ??= "application/json";
    }
    return Promise.resolve(app.request(path, { method, headers, body })) as Promise<TestResponse>;
  };

  return { app, database, runtime, adminToken, secretKey, logs, call, close: () => database.close() };
}

/** Asserts nothing; returns the parsed body of a problem+json response with its content type checked. */
export async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) {
    throw new Error(`expected problem+json, got ${type || "no content type"} (${response.status})`);
  }
  return (await response.json()) as Problem;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  request_id: string;
}

/** The `errors[].path` values of a 422, sorted. */
export async function errorPaths(response: Response): Promise<string[]> {
  const problem = await problemOf(response);
  return (problem.errors ?? []).map((e) => e.path).sort();
}

/** A valid upstream body; override fields per test. */
export function upstreamBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `smsc-${randomBytes(4).toString("hex")}`,
    host: "127.0.0.1",
    port: 2775,
    system_id: "bridge",
    password: "s3cr3t!x",
    ...overrides,
  };
}
