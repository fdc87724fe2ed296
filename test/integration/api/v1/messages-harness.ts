import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { pino } from "pino";
import { createApp } from "../../../../src/api/app.js";
import type { MessageJson } from "../../../../src/core/messages/serialize.js";
import { MessageService, type MessageServiceOptions } from "../../../../src/core/messages/service.js";
import type { AcceptedMessage, MessageSink } from "../../../../src/core/messages/sink.js";
import { createTestDatabase, type TestDatabase } from "../../../helpers/db.js";
import { FakeUpstreamRuntime } from "../../../helpers/fake-upstream-runtime.js";
import { logLines } from "../../../helpers/log-lines.js";
import type { CallOptions, TestResponse } from "../harness.js";

export type { MessageJson };

/** A dispatcher stand-in that records what the accept pipeline handed over, call by call. */
export class RecordingSink implements MessageSink {
  readonly calls: AcceptedMessage[][] = [];

  enqueue(items: AcceptedMessage[]): void {
    this.calls.push(items);
  }

  get messages(): AcceptedMessage[] {
    return this.calls.flat();
  }
}

export interface MessagesHarness {
  database: TestDatabase;
  service: MessageService;
  sink: RecordingSink;
  adminToken: string;
  /** `http://127.0.0.1:<port>` of the running server. */
  baseUrl: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** A real HTTP request; the admin token unless `token` says otherwise; a JSON body when given. */
  call(method: string, path: string, options?: CallOptions): Promise<TestResponse>;
  /** Creates an account (admin API) and an API key for it. */
  customer(account?: { default_from?: string; max_tps?: number }): Promise<Customer>;
  close(): Promise<void>;
}

export interface Customer {
  accountId: string;
  keyId: string;
  key: string;
  /** A request with this customer's API key. */
  call(method: string, path: string, options?: Omit<CallOptions, "token">): Promise<TestResponse>;
  /** POST /v1/messages with this body (and extra headers). */
  send(body: unknown, headers?: Record<string, string>): Promise<TestResponse>;
}

export const INSTANCE_ID = "test-instance";
export const LEASE_MS = 30_000;

export type HarnessOptions = Partial<
  Omit<MessageServiceOptions, "db" | "sink" | "instanceId" | "leaseMs">
> & {
  /** Connections of the PostgreSQL pool (ignored on PGlite). Default 5. */
  poolSize?: number;
};

/**
 * The real app on a real database (PGlite, or a PostgreSQL clone with DATABASE_URL), served over real
 * HTTP on 127.0.0.1 port 0, with a MessageService wired as main wires it: this instance's dispatcher is
 * a RecordingSink.
 */
export async function startMessagesApi(options: HarnessOptions = {}): Promise<MessagesHarness> {
  const { poolSize, ...serviceOptions } = options;
  const database = await createTestDatabase({ poolSize: poolSize ?? 5 });
  const adminToken = `adm_${randomBytes(24).toString("base64url")}`;
  const { stream: logStream, lines: logs } = logLines();
  const logger = pino({ level: "info" }, logStream);
  const sink = new RecordingSink();
  const service = new MessageService({
    db: database.db,
    sink,
    instanceId: INSTANCE_ID,
    leaseMs: LEASE_MS,
    logger,
    ...serviceOptions,
  });
  const app = createApp({
    db: database.db,
    config: { adminToken, secretKey: randomBytes(32) },
    upstreamRuntime: new FakeUpstreamRuntime(),
    logger,
    messages: service,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const call = (method: string, path: string, callOptions: CallOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const token = callOptions.token === undefined ? adminToken : callOptions.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined = callOptions.body;
    if (callOptions.json !== undefined) {
      body = JSON.stringify(callOptions.json);
      headers["Content-Type"] ??= "application/json";
    }
    return fetch(`${baseUrl}${path}`, { method, headers, body }) as Promise<TestResponse>;
  };

  const customer = async (account: { default_from?: string; max_tps?: number } = {}): Promise<Customer> => {
    const created = await call("POST", "/admin/accounts", { json: { name: "Acme", ...account } });
    if (created.status !== 201) throw new Error(`account: ${created.status} ${await created.text()}`);
    const { id } = await created.json<{ id: string }>();
    const keyResponse = await call("POST", `/admin/accounts/${id}/api-keys`, { json: {} });
    if (keyResponse.status !== 201) throw new Error(`api key: ${keyResponse.status}`);
    const { id: keyId, key } = await keyResponse.json<{ id: string; key: string }>();
    const customerCall = (method: string, path: string, callOptions: Omit<CallOptions, "token"> = {}) =>
      call(method, path, { ...callOptions, token: key });
    return {
      accountId: id,
      keyId,
      key,
      call: customerCall,
      send: (json, headers = {}) => customerCall("POST", "/v1/messages", { json, headers }),
    };
  };

  return {
    database,
    service,
    sink,
    adminToken,
    baseUrl,
    logs,
    call,
    customer,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of the test's fetches would hold close() open until they time out.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      await service.close();
      await database.close();
    },
  };
}
