import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import { appendEvents, type OutboxEvent } from "../../../src/core/events/outbox.js";
import { WebhookWorker, type WebhookWorkerOptions } from "../../../src/core/webhooks/index.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { FakeUpstreamRuntime } from "../../helpers/fake-upstream-runtime.js";

/** A fast retry schedule for tests: three retries within a fraction of a second. */
export const TEST_SCHEDULE_MS = [40, 80, 120];

export interface WebhookHarness {
  database: TestDatabase;
  app: App;
  secretKey: Buffer;
  /** A request through the app; `token` is an API key (or the admin token); a JSON body when given. */
  call(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<Response>;
  /** A new account with an API key. */
  customer(): Promise<{ accountId: string; key: string }>;
  /** A webhook endpoint created through the API with the account's key; throws unless 201. */
  endpoint(key: string, url: string): Promise<{ id: string; secret: string }>;
  /** A worker on this database with fast test settings (started); stopped by `close()`. */
  worker(options?: Partial<WebhookWorkerOptions>): WebhookWorker;
  /** appendEvents in its own transaction, then wakes the workers. */
  emit(events: OutboxEvent[]): Promise<string[]>;
  close(): Promise<void>;
}

export async function startWebhookHarness(options: { allowPrivate: boolean }): Promise<WebhookHarness> {
  const database = await createTestDatabase();
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const secretKey = randomBytes(32);
  const config = { adminToken, secretKey, webhookAllowPrivate: options.allowPrivate };
  const workers: WebhookWorker[] = [];
  const app = createApp({
    db: database.db,
    config,
    upstreamRuntime: new FakeUpstreamRuntime(),
    logger: pino({ level: "silent" }),
    wakeWebhooks: () => {
      for (const w of workers) w.wake();
    },
  });

  const call = async (method: string, path: string, opts: { token?: string; json?: unknown } = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? adminToken}` };
    let body: string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["Content-Type"] = "application/json";
    }
    return app.request(path, { method, headers, body });
  };

  return {
    database,
    app,
    secretKey,
    call,
    async customer() {
      const account = await call("POST", "/admin/accounts", { json: { name: "Webhook customer" } });
      const { id: accountId } = (await account.json()) as { id: string };
      const created = await call("POST", `/admin/accounts/${accountId}/api-keys`, { json: {} });
      const { key } = (await created.json()) as { key: string };
      return { accountId, key };
    },
    async endpoint(key, url) {
      const response = await call("POST", "/v1/webhook-endpoints", { token: key, json: { url } });
      if (response.status !== 201) {
        throw new Error(`creating a webhook endpoint: ${response.status} ${await response.text()}`);
      }
      return (await response.json()) as { id: string; secret: string };
    },
    worker(overrides = {}) {
      const worker = new WebhookWorker({
        db: database.db,
        secretKey,
        allowPrivate: options.allowPrivate,
        retryScheduleMs: TEST_SCHEDULE_MS,
        jitter: 0,
        timeoutMs: 5000,
        pollIntervalMs: 25,
        leaseMs: 60_000,
        ...overrides,
      });
      workers.push(worker);
      worker.start();
      return worker;
    },
    async emit(events) {
      const ids = await database.db.transaction((tx) => appendEvents(tx, events));
      for (const w of workers) w.wake();
      return ids;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await database.close();
    },
  };
}

/** Polls `check` every 50 ms until it returns true; throws after `timeoutMs` (default 10 s). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A message-like `data` for seeded events. */
export function messageData(n: number): Record<string, unknown> {
  return { id: `msg_test${n}`, status: "delivered", to: "+447700900123", text: `hello ${n}` };
}
