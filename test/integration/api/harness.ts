import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { FakeUpstreamRuntime } from "../../helpers/fake-upstream-runtime.js";

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
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
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

export async function startApi(runtime = new FakeUpstreamRuntime()): Promise<ApiHarness> {
  const database = await createTestDatabase();
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const secretKey = randomBytes(32);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp({
    db: database.db,
    config: { adminToken, secretKey },
    upstreamRuntime: runtime,
    logger: pino({ level: "info" }, sink),
  });

  const call = (method: string, path: string, options: CallOptions = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? adminToken : options.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] ??= "application/json";
    }
    return app.request(path, { method, headers, body });
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
