/**
 * The real service for tests: startService on this file's own test database, HTTP on 127.0.0.1 port 0,
 * every log line captured, and helpers to provision an upstream (pointing at a simulator), an account,
 * an API key and a catch-all route through the admin API over real HTTP.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Config } from "../../../src/config.js";
import { createLogger } from "../../../src/log.js";
import { type RunningService, type StartServiceOptions, startService } from "../../../src/main.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

export interface TestService {
  service: RunningService;
  database: TestDatabase;
  config: Config;
  /** Every log line written so far, raw (for the secret grep) … */
  logText(): string;
  /** … and parsed. */
  logs(): Record<string, unknown>[];
  /** Stops the service (if not yet) and drops the database. */
  close(): Promise<void>;
}

/** A configuration as loadConfig would give it, for a service on port 0. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: "127.0.0.1",
    databaseUrl: undefined,
    dataDir: "/nonexistent",
    databasePoolSize: 5,
    adminToken: `adm_${randomBytes(24).toString("base64url")}`,
    adminTokenSource: "env",
    secretKey: randomBytes(32),
    secretKeySource: "env",
    webhookAllowPrivate: true,
    webhookRetryScheduleMs: [200, 500, 1000],
    webhookEndpointConcurrency: 16,
    logLevel: "info",
    inboundReassemblyTimeoutMs: 60_000,
    inboundRepeatWindowMs: 3_600_000,
    unmatchedReceiptRetentionMs: 604_800_000,
    receiptMatchHorizonMs: 864_000_000,
    messageRetentionMs: null,
    ...overrides,
  };
}

export async function startTestService(
  options: Omit<StartServiceOptions, "logger" | "database"> = {},
  config: Config = testConfig(),
): Promise<TestService> {
  const database = await createTestDatabase();
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  let service: RunningService;
  try {
    service = await startService(config, {
      migrate: false,
      metricsSettleMs: 0,
      metricsCacheMs: 0,
      webhookPollIntervalMs: 100,
      ...options,
      logger,
      database,
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    service,
    database,
    config,
    logText: () => text,
    logs: () =>
      text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await service.stop("test over");
      await database.close();
    },
  };
}

/** A JSON request to the service; `token` is the bearer (admin token or API key). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  json?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token !== null && { Authorization: `Bearer ${token}` }),
      ...(json !== undefined && { "Content-Type": "application/json" }),
      ...headers,
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics): keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export interface Provisioned {
  upstreamId: string;
  accountId: string;
  apiKey: string;
  /** The SMPP password given to the upstream (for the secret grep). */
  upstreamPassword: string;
}

/**
 * Creates, through the admin API, an upstream bound to `simulator` with `system_id`/`password`, an
 * account with an API key and a route for every number; waits until a session is bound.
 */
export async function provision(
  baseUrl: string,
  adminToken: string,
  simulator: Simulator,
  smpp: { systemId: string; password: string; sessions?: number; window?: number },
): Promise<Provisioned> {
  const upstream = await call(baseUrl, "POST", "/admin/upstreams", adminToken, {
    name: "sim",
    host: "127.0.0.1",
    port: simulator.port,
    system_id: smpp.systemId,
    password: smpp.password,
    sessions: smpp.sessions ?? 1,
    window: smpp.window ?? 10,
  });
  if (upstream.status !== 201)
    throw new Error(`upstream: ${upstream.status} ${JSON.stringify(upstream.body)}`);
  const upstreamId = (upstream.body as { id: string }).id;
  const account = await call(baseUrl, "POST", "/admin/accounts", adminToken, {
    name: "acme",
    default_from: "Acme",
  });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
  const accountId = (account.body as { id: string }).id;
  const key = await call(baseUrl, "POST", `/admin/accounts/${accountId}/api-keys`, adminToken, {
    name: "test",
  });
  if (key.status !== 201) throw new Error(`api key: ${key.status}`);
  const route = await call(baseUrl, "POST", "/admin/routes", adminToken, {
    prefix: "",
    upstream_ids: [upstreamId],
  });
  if (route.status !== 201) throw new Error(`route: ${route.status} ${JSON.stringify(route.body)}`);
  await waitFor(async () => {
    const sessions = await call(baseUrl, "GET", `/admin/upstreams/${upstreamId}/sessions`, adminToken);
    const data = (sessions.body as { data: { state: string }[] }).data;
    return data.filter((s) => s.state === "bound").length >= (smpp.sessions ?? 1);
  }, "a bound session");
  return {
    upstreamId,
    accountId,
    apiKey: (key.body as { key: string }).key,
    upstreamPassword: smpp.password,
  };
}

/** A service, a simulator upstream with its own credentials, and `number` registered to the account. */
export interface InboundSetup {
  simulator: Simulator;
  t: TestService;
  p: Provisioned;
}

/** Starts an {@link InboundSetup} with `config` (inbound SMS to `number` reach the provisioned account). */
export async function startInboundSetup(config: Config, number: string): Promise<InboundSetup> {
  const smpp = { systemId: "bridge", password: `p${randomBytes(4).toString("hex").slice(0, 7)}` };
  const simulator = await Simulator.start({ accounts: [smpp] });
  const t = await startTestService({}, config);
  const p = await provision(t.service.url, t.config.adminToken, simulator, smpp);
  const registered = await call(t.service.url, "POST", "/admin/numbers", t.config.adminToken, {
    number,
    account_id: p.accountId,
  });
  if (registered.status !== 201)
    throw new Error(`number: ${registered.status} ${JSON.stringify(registered.body)}`);
  return { simulator, t, p };
}

/** Polls `check` every `intervalMs` until it is true; throws after `timeoutMs` (a bound, not a timing claim). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A request a {@link startReceiver} receiver got. */
export interface ReceivedRequest {
  headers: IncomingMessage["headers"];
  body: string;
  /** The sender went away (its connection closed) before the answer was written. */
  aborted: boolean;
}

/**
 * A webhook receiver on 127.0.0.1 port 0 that answers 204 and keeps each request; with `delayMs`, it
 * answers that much later (a slow receiver). Between `hold()` and `release()` it answers nothing, so a
 * test can see who had requests in flight; `inFlight()` counts the requests not answered yet.
 */
export async function startReceiver(options: { delayMs?: number } = {}): Promise<{
  url: string;
  received: ReceivedRequest[];
  inFlight(): number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  let inFlight = 0;
  let held: (() => void)[] | undefined;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      const request: ReceivedRequest = { headers: req.headers, body, aborted: false };
      received.push(request);
      inFlight += 1;
      let answered = false;
      res.on("close", () => {
        if (!answered) request.aborted = true;
        inFlight -= 1;
      });
      const answer = () => {
        if (res.destroyed) return;
        answered = true;
        res.statusCode = 204;
        res.end();
      };
      if (held) held.push(answer);
      else if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    inFlight: () => inFlight,
    hold: () => {
      held ??= [];
    },
    release: () => {
      const answers = held ?? [];
      held = undefined;
      for (const answer of answers) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
