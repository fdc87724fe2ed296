/**
 * The running service: opens and migrates the database, starts the SMPP sessions of every upstream,
 * the messages pipeline (accept → dispatch → results; receipts; inbound; webhooks) and the HTTP API,
 * and stops them all in order. `smpp-bridge serve` runs it until a signal; the first-run demo and the
 * tests call {@link startService} directly.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { createAdaptorServer } from "@hono/node-server";
import type { Logger } from "pino";
import { createApp } from "./api/app.js";
import type { App } from "./api/app-env.js";
import { PROBLEM_CONTENT_TYPE, problemBody } from "./api/problem.js";
import type { Config } from "./config.js";
import { Dispatcher, type DispatcherOptions } from "./core/dispatch/dispatcher.js";
import { InboundProcessor } from "./core/inbound/processor.js";
import { InboundSweeper } from "./core/inbound/sweeper.js";
import { ApiKeyUseRecorder } from "./core/key-use/recorder.js";
import { MessageService, type MessageServiceOptions } from "./core/messages/service.js";
import type { SendRequest } from "./core/messages/types.js";
import { ReceiptProcessor } from "./core/receipts/processor.js";
import { PendingIds } from "./core/results/pending-ids.js";
import { RetentionSweeper } from "./core/retention/sweeper.js";
import type { InboundPduHandler, PoolRuntime, PoolRuntimeOptions } from "./core/upstream-runtime-pools.js";
import { UpstreamSync } from "./core/upstream-sync.js";
import { WebhookWorker } from "./core/webhooks/index.js";
import { type OpenDatabase, openDatabase } from "./db/client.js";
import { GrowthAnalyzer } from "./db/growth-analyzer.js";
import { runMigrations } from "./db/migrations.js";
import { createLogger, flushLogger } from "./log.js";
import { EventLogCounters, SETTLE_MS } from "./ops/event-log-counters.js";
import { HttpFront } from "./ops/http-front.js";
import { ServiceMetrics } from "./ops/metrics.js";
import { ObservedPoolRuntime } from "./ops/observed-runtime.js";
import { backlogSources, pipelineCounters } from "./ops/pipeline-metrics.js";
import { scrapeRead } from "./ops/scrape-read.js";

/** Options of {@link startService}. Everything has a production default. */
export interface StartServiceOptions {
  /** Where every line goes. Default: {@link createLogger} at `config.logLevel` on stdout. */
  logger?: Logger | undefined;
  /**
   * An already open database to run on (tests hand in their clone). Default: opened from `config`
   * (PostgreSQL with `databaseUrl`, else PGlite in `config.dataDir`). A database handed in is left open
   * by {@link RunningService.stop}; one opened here is closed.
   */
  database?: OpenDatabase | undefined;
  /** Apply pending migrations before anything starts. Default true. */
  migrate?: boolean | undefined;
  /** Called once the HTTP server listens, with its base URL (e.g. `http://127.0.0.1:8080`). */
  onListening?: ((url: string) => void) | undefined;
  /**
   * Longest {@link RunningService.stop} waits for HTTP requests in progress before it goes on
   * closing; ms. Default 10000. (Submits in flight have the dispatcher's own bound, `dispatcher.drainTimeoutMs`.)
   */
  shutdownTimeoutMs?: number | undefined;
  /**
   * Written to the lease of every message this instance dispatches. Default `<host>:<port>` when
   * `config.port` is fixed — so a restart on the same host and port takes back its own work at once
   * instead of waiting for the leases to run out — else `<host>:<pid>:<random>`.
   */
  instanceId?: string | undefined;
  /** Settings of the SMPP session pools (waits, grace, backoffs); tests shorten them. */
  pool?: PoolRuntimeOptions | undefined;
  /** Dispatcher tuning (lease, concurrency, poll interval, retry policy, drain bound). */
  dispatcher?: Omit<DispatcherOptions, "db" | "runtime" | "instanceId" | "logger"> | undefined;
  /** Messages service tuning (group commit linger and batch size). */
  groupCommit?: MessageServiceOptions["groupCommit"];
  /**
   * How long a row of the event log waits before the outcome counters count it (its transaction may
   * still be open); ms. Default {@link SETTLE_MS} (10 s). Tests shorten it.
   */
  metricsSettleMs?: number | undefined;
  /** How long a scrape's database reads (event log, queue depths, backlog counts) are reused; ms. Default 5000. */
  metricsCacheMs?: number | undefined;
  /** Webhook worker poll interval (ms); default 1000. */
  webhookPollIntervalMs?: number | undefined;
  /**
   * How long a webhook delivery taken by this instance is kept from the others (ms); default 300000.
   * A dead instance's deliveries are sent by another once it runs out. Must exceed
   * `webhookTimeoutMs` by a second.
   */
  webhookLeaseMs?: number | undefined;
  /** Whole-attempt timeout of a webhook request (ms); default 15000. */
  webhookTimeoutMs?: number | undefined;
  /** How often upstreams changed by other instances are re-read (ms); default 10000. */
  upstreamSyncIntervalMs?: number | undefined;
  /** How often the retention sweep runs when `config.messageRetentionMs` is set (ms); default 300000. */
  retentionIntervalMs?: number | undefined;
}

/** A started service. */
export interface RunningService {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8080` (the real port when `config.port` was 0). */
  readonly url: string;
  /** The port the API listens on. */
  readonly port: number;
  readonly config: Config;
  /** This instance's lease owner id. */
  readonly instanceId: string;
  /** The database the service runs on (still open until {@link stop} resolves). */
  readonly database: OpenDatabase;
  /** Shorthand for `database.db`. */
  readonly db: OpenDatabase["db"];
  /** The live SMPP sessions; the admin API applies upstream changes to it. */
  readonly runtime: PoolRuntime;
  /** The messages service the API accepts through. */
  readonly messages: MessageService;
  readonly dispatcher: Dispatcher;
  readonly receipts: ReceiptProcessor;
  readonly inbound: InboundProcessor;
  readonly webhooks: WebhookWorker;
  /** Keeps `last_used_at` of API keys; `flush()` writes the uses it holds now. */
  readonly apiKeyUses: ApiKeyUseRecorder;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** The HTTP API app (already served; `app.request()` also works in-process). */
  readonly app: App;
  /** HTTP requests being answered now, and whether new ones are refused (503) because the service stops. */
  readonly http: { readonly inFlight: number; readonly draining: boolean };
  /**
   * Stops gracefully, in order: new requests get 503, requests in progress finish, pending accept
   * batches commit, submits in flight finish (bounded), every session unbinds, receipts and inbound
   * SMS in progress are stored, workers stop, the database closes (when opened here). Idempotent:
   * later calls return the first call's promise.
   */
  stop(reason?: string): Promise<void>;
  /** Resolves when the service has stopped (after {@link stop}). */
  readonly stopped: Promise<void>;
}

/** A piece that must be stopped, with a name for the log. */
interface Stoppable {
  name: string;
  stop(): Promise<unknown>;
}

/**
 * Starts the service described by `config` and resolves once the HTTP API listens and every upstream
 * was handed to its pool (sessions bind in the background; see `GET /admin/upstreams/{id}/sessions`).
 * If a step fails, what was started is stopped again and the error is thrown.
 */
export async function startService(
  config: Config,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const instanceId =
    options.instanceId ??
    (config.port !== 0
      ? `${hostname()}:${config.port}`
      : `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`);
  // Pushed as each part starts, in the order the parts must STOP in: what depends on a part stops
  // before it (the API before the accept queue before the dispatcher before the sessions …).
  const stack: Stoppable[] = [];
  const stopAll = async (): Promise<void> => {
    while (stack.length > 0) {
      const piece = stack.pop() as Stoppable;
      const started = performance.now();
      try {
        await piece.stop();
        logger.debug({ part: piece.name, ms: Math.round(performance.now() - started) }, "stopped part");
      } catch (error) {
        logger.error({ err: error, part: piece.name }, "stopping a part failed");
      }
    }
  };

  // The port before anything else: a second instance started by mistake where one already listens
  // (same host and port, so the same default instance id) must fail before it touches the database.
  // At start the dispatcher expires every lease held under its instance id and the upstreams bind: an
  // instance that found its port taken only after that had handed the running instance's messages in
  // flight to its own poller, to be sent a second time. Until the service is ready, requests get 503.
  let handle: (request: Request, env?: unknown) => Response | Promise<Response> = () =>
    unavailableResponse(randomUUID(), "The service is starting; retry shortly.");
  // An HTTP/1.1 server: no `createServer` option is passed (the union type covers HTTP/2 too).
  const server = createAdaptorServer({ fetch: (request, env) => handle(request, env) }) as Server;
  await listen(server, config.port, config.host);
  const closeServer = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };

  try {
    const database = options.database ?? (await openDatabase(config));
    if (options.database === undefined) stack.push({ name: "database", stop: () => database.close() });
    logger.info({ database: database.kind, instance_id: instanceId }, "database open");
    if (options.migrate ?? true) {
      await runMigrations(database);
      logger.info("migrations applied");
    }
    const db = database.db;
    // Fresh statistics for young, fast-growing tables (autovacuum comes a minute apart at best).
    const growth = new GrowthAnalyzer(db, { logger });
    growth.start();
    stack.push({ name: "growth analyzer", stop: () => growth.stop() });
    // Stops after the HTTP server (pushed later), so the uses of the last requests are written too.
    const apiKeyUses = new ApiKeyUseRecorder(db, { logger });
    apiKeyUses.start();
    stack.push({ name: "api key uses", stop: () => apiKeyUses.close() });
    const metrics = new ServiceMetrics();
    const runtime = new ObservedPoolRuntime(logger, metrics, options.pool);
    const counts = pipelineCounters(metrics, (id) => runtime.nameOf(id));

    const webhooks = new WebhookWorker({
      db,
      secretKey: config.secretKey,
      retryScheduleMs: config.webhookRetryScheduleMs,
      perEndpointConcurrency: config.webhookEndpointConcurrency,
      allowPrivate: config.webhookAllowPrivate,
      logger,
      instanceId,
      pollIntervalMs: options.webhookPollIntervalMs,
      leaseMs: options.webhookLeaseMs,
      timeoutMs: options.webhookTimeoutMs,
    });
    const recovered = await webhooks.recoverOwnLeases();
    if (recovered > 0)
      logger.info({ deliveries: recovered }, "taking back webhook deliveries of a previous run");
    webhooks.start();
    stack.push({ name: "webhook worker", stop: () => webhooks.stop() });

    const inbound = new InboundProcessor(db, runtime, {
      repeatWindowMs: config.inboundRepeatWindowMs,
      onStored: counts.inboundStored,
      logger,
    });
    const inboundSweeper = new InboundSweeper(db, {
      incompleteAfterMs: config.inboundReassemblyTimeoutMs,
      repeatRetentionMs: config.inboundRepeatWindowMs,
      onStored: counts.inboundStored,
      logger,
    });
    inboundSweeper.start();
    stack.push({ name: "inbound", stop: () => Promise.all([inbound.close(), inboundSweeper.stop()]) });

    // Off (null) unless MESSAGE_RETENTION is set: then it starts nothing.
    const retention = new RetentionSweeper(db, {
      retentionMs: config.messageRetentionMs,
      intervalMs: options.retentionIntervalMs,
      onDeleted: (counts) => metrics.retentionDeleted(counts),
      logger,
    });
    retention.start();
    stack.push({ name: "retention sweeper", stop: () => retention.stop() });

    // SMSC ids sent and not committed yet: a receipt quicker than the result's commit waits for it.
    const pendingIds = new PendingIds();
    const receipts = new ReceiptProcessor({
      db,
      upstreams: runtime,
      writer: { pendingIds, onStored: counts.receiptsStored },
      sweeper: { retentionMs: config.unmatchedReceiptRetentionMs, onMatched: counts.receiptsMatchedLate },
      matchHorizonMs: config.receiptMatchHorizonMs,
      logger,
    });
    receipts.start();
    stack.push({ name: "receipts", stop: () => receipts.stop() });

    // Receipts and inbound SMS commit outbox events: the worker is woken rather than left to its poll.
    runtime.setReceiptHandler(wakingAfter(receipts, () => webhooks.wakeForNewEvents()));
    runtime.setInboundHandler(wakingAfter(inbound, () => webhooks.wakeForNewEvents()));
    const upstreamSync = new UpstreamSync(db, config.secretKey, runtime, {
      intervalMs: options.upstreamSyncIntervalMs,
      logger,
    });
    const upstreamCount = await upstreamSync.start();
    logger.info({ upstreams: upstreamCount }, "upstreams loaded");
    stack.push({ name: "smpp sessions", stop: () => runtime.close() });
    stack.push({ name: "upstream sync", stop: () => upstreamSync.stop() });

    const dispatcher = new Dispatcher({
      ...options.dispatcher,
      results: { ...options.dispatcher?.results, onReceiptsMatched: counts.receiptsMatchedLate },
      db,
      runtime: runtime.dispatchView(),
      instanceId,
      pendingIds,
      logger,
    });
    await dispatcher.start();
    stack.push({ name: "dispatcher", stop: () => dispatcher.stop() });

    const messages = new CountingMessageService(metrics, {
      db,
      sink: dispatcher,
      instanceId,
      leaseMs: options.dispatcher?.leaseMs ?? DEFAULT_LEASE_MS,
      groupCommit: options.groupCommit,
      allowPrivateCallbacks: config.webhookAllowPrivate,
      logger,
    });
    stack.push({ name: "accept queue", stop: () => messages.close() });

    const eventCounters = new EventLogCounters(db, metrics, { settleMs: options.metricsSettleMs });
    await eventCounters.start();
    const cacheMs = options.metricsCacheMs ?? 5_000;
    // The event log is read like the gauges (scrape-read.ts): one read at a time, shared for cacheMs,
    // and a scrape does not wait on a hung database beyond a Prometheus scrape timeout.
    const refreshCounters = scrapeRead(() => eventCounters.refresh(), {
      ttlMs: cacheMs,
      waitMs: 10_000,
      onError: (error) => logger.warn({ err: error }, "metrics: reading the event log failed"),
    });
    metrics.setSources({
      upstreams: () => runtime.snapshots(),
      ...backlogSources(db, () => runtime.snapshots(), { ttlMs: cacheMs, logger }),
      refresh: async () => {
        await refreshCounters();
      },
    });

    const app = createApp({
      db,
      config,
      upstreamRuntime: runtime,
      logger,
      messages,
      wakeWebhooks: () => webhooks.wake(),
      routesChanged: () => dispatcher.routes.invalidate(),
      metrics,
      apiKeyUses,
    });
    const front = new HttpFront({ app, logger, metrics, drainingResponse });
    handle = front.fetch;
    const address = server.address() as AddressInfo;
    const url = `http://${urlHost(config.host)}:${address.port}`;
    stack.push({
      name: "http server",
      stop: async () => {
        // New requests get 503 while the listener stays open (a balancer moves on; a client retries),
        // requests in progress finish, then the listener and every connection close.
        front.drain();
        if (!(await within(front.idle(), shutdownTimeoutMs))) {
          logger.warn({ in_flight_requests: front.inFlight }, "requests still in progress at the deadline");
        }
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // A connection still writing its last response gets a moment; then everything is cut.
        await within(closed, 1_000);
        server.closeAllConnections();
        await closed;
      },
    });
    logger.info({ url, host: config.host, port: address.port }, "listening");
    options.onListening?.(url);

    let stopping: Promise<void> | undefined;
    let markStopped: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      markStopped = resolve;
    });
    const stop = (reason = "stop requested"): Promise<void> => {
      stopping ??= (async () => {
        logger.info({ reason, in_flight_requests: front.inFlight }, "shutting down");
        await stopAll();
        logger.info("stopped");
        await flushLogger(logger);
        markStopped();
      })();
      return stopping;
    };

    return {
      url,
      port: address.port,
      config,
      instanceId,
      database,
      db,
      runtime,
      messages,
      dispatcher,
      receipts,
      inbound,
      webhooks,
      apiKeyUses,
      metrics,
      logger,
      app,
      http: front,
      stop,
      stopped,
    };
  } catch (error) {
    await stopAll();
    await closeServer();
    throw error;
  }
}

/** The dispatcher's default lease (DispatcherOptions.leaseMs); the accept hand-off must lease alike. */
const DEFAULT_LEASE_MS = 30_000;

/** `handler`, calling `after` once each PDU it took has been answered (its rows committed). */
function wakingAfter(handler: InboundPduHandler, after: () => void): InboundPduHandler {
  return {
    handle: async (upstreamId, pdu, sessionId, answer) => {
      const status = await handler.handle(upstreamId, pdu, sessionId, answer);
      if (status === 0) after();
      return status;
    },
  };
}

/**
 * Runs `service` until SIGTERM or SIGINT, then stops it gracefully; a second signal exits at once
 * (status 130). Resolves with the exit status: 0 after a clean stop, 1 when stopping failed.
 */
export function runUntilSignalled(service: RunningService): Promise<number> {
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        service.logger.warn({ signal }, "second signal: exiting now");
        process.exit(130);
      }
      signalled = true;
      service.stop(signal).then(
        () => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          resolve(0);
        },
        (error: unknown) => {
          service.logger.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** What a request gets while the service drains: 503 problem+json, try again (elsewhere) shortly. */
function drainingResponse(requestId: string): Response {
  return unavailableResponse(requestId, "The service is shutting down; retry shortly.");
}

/** 503 problem+json with Retry-After: the service is starting or stopping. */
function unavailableResponse(requestId: string, detail: string): Response {
  const body = problemBody("SERVICE_UNAVAILABLE", detail, requestId);
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, "Retry-After": "5", "X-Request-Id": requestId },
  });
}

/** The messages service, counting what it accepts (fresh 202s, not idempotent replays). */
class CountingMessageService extends MessageService {
  constructor(
    private readonly metrics: ServiceMetrics,
    options: MessageServiceOptions,
  ) {
    super(options);
  }

  override async send(accountId: string, request: SendRequest, idempotencyKey?: string) {
    const response = await super.send(accountId, request, idempotencyKey);
    if (!response.replayed) this.metrics.accepted(accountId, 1);
    return response;
  }

  override async sendBatch(accountId: string, requests: SendRequest[], idempotencyKey?: string) {
    const response = await super.sendBatch(accountId, requests, idempotencyKey);
    if (!response.replayed) this.metrics.accepted(accountId, requests.length);
    return response;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** A host as it goes in a URL: IPv6 in brackets; the wildcard addresses as loopback (what a client dials). */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Waits for `promise` at most `ms`; resolves true when it settled in time. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
