/**
 * The running service: opens and migrates the database, starts the SMPP sessions of every upstream,
 * the messages pipeline and the HTTP API, and stops them all in order. `smpp-bridge serve` runs it
 * until a signal; the first-run demo and the tests call {@link startService} directly.
 */
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createApp } from "./api/app.js";
import type { App } from "./api/app-env.js";
import { PROBLEM_CONTENT_TYPE, problemBody } from "./api/problem.js";
import type { Config } from "./config.js";
import { MessageService, type MessageServiceOptions } from "./core/messages/service.js";
import type { SendRequest } from "./core/messages/types.js";
import type { UpstreamConfig } from "./core/upstream-runtime.js";
import { PoolRuntime } from "./core/upstream-runtime-pools.js";
import { loadUpstreamConfigs } from "./core/upstreams.js";
import { type OpenDatabase, openDatabase, queryRows } from "./db/client.js";
import { runMigrations } from "./db/migrations.js";
import { createLogger, flushLogger } from "./log.js";
import { HttpFront } from "./ops/http-front.js";
import { cachedFor, ServiceMetrics } from "./ops/metrics.js";

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
   * Longest {@link RunningService.stop} waits for requests in progress and for submits in flight before
   * it goes on closing; ms. Default 10000.
   */
  shutdownTimeoutMs?: number | undefined;
  /** Settings of the SMPP session pools (waits, grace, backoffs); tests shorten them. */
  pool?: ConstructorParameters<typeof PoolRuntime>[0];
  /** Messages service tuning (group commit linger and batch size). */
  groupCommit?: MessageServiceOptions["groupCommit"];
}

/** A started service. */
export interface RunningService {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8080` (the real port when `config.port` was 0). */
  readonly url: string;
  /** The port the API listens on. */
  readonly port: number;
  readonly config: Config;
  /** The database the service runs on (still open until {@link stop} resolves). */
  readonly database: OpenDatabase;
  /** Shorthand for `database.db`. */
  readonly db: OpenDatabase["db"];
  /** The live SMPP sessions; the admin API applies upstream changes to it. */
  readonly runtime: PoolRuntime;
  /** The messages service the API accepts through. */
  readonly messages: MessageService;
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** The HTTP API app (already served; `app.request()` also works in-process). */
  readonly app: App;
  /**
   * Stops gracefully, in order: new requests get 503, requests in progress finish, pending accept
   * batches commit, submits in flight finish (bounded), every session unbinds, workers stop, the
   * database closes (when opened here). Idempotent: later calls return the first call's promise.
   */
  stop(reason?: string): Promise<void>;
  /** Resolves when the service has stopped (after {@link stop}). */
  readonly stopped: Promise<void>;
}

/** A piece that must be stopped, with a name for the log. Stopped in reverse start order. */
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
  const started: Stoppable[] = [];
  const stopAll = async (): Promise<void> => {
    for (const piece of started.reverse()) {
      try {
        await piece.stop();
      } catch (error) {
        logger.error({ err: error, part: piece.name }, "stopping a part failed");
      }
    }
    started.length = 0;
  };

  try {
    const database = options.database ?? (await openDatabase(config));
    if (options.database === undefined) started.push({ name: "database", stop: () => database.close() });
    logger.info({ database: database.kind }, "database open");
    if (options.migrate ?? true) {
      await runMigrations(database);
      logger.info("migrations applied");
    }
    const db = database.db;
    const metrics = new ServiceMetrics();

    const runtime = new ObservedPoolRuntime(logger, {
      ...options.pool,
      pool: { ...options.pool?.pool },
    });
    started.push({ name: "smpp sessions", stop: () => runtime.close() });

    const messages = new CountingMessageService(metrics, {
      db,
      groupCommit: options.groupCommit,
      logger,
    });
    started.push({ name: "accept queue", stop: () => messages.close() });

    const queueDepth = cachedFor(5_000, async () => {
      const rows = await queryRows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status IN ('pending', 'failed')`,
      );
      return rows[0]?.n ?? 0;
    });
    metrics.setSources({ upstreams: () => runtime.snapshots(), webhookQueueDepth: queueDepth });

    for (const upstream of await loadUpstreamConfigs(db, config.secretKey)) await runtime.apply(upstream);

    const app = createApp({ db, config, upstreamRuntime: runtime, logger, messages });
    const front = new HttpFront({ app, logger, metrics, drainingResponse: drainingResponse });
    const server = createAdaptorServer({ fetch: front.fetch });
    await listen(server, config.port, config.host);
    const address = server.address() as AddressInfo;
    const url = `http://${urlHost(config.host)}:${address.port}`;
    started.push({
      name: "http server",
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections with no request would hold close() open forever.
          if ("closeIdleConnections" in server) server.closeIdleConnections();
        }),
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
        front.drain();
        if (!(await within(front.idle(), shutdownTimeoutMs))) {
          logger.warn({ in_flight_requests: front.inFlight }, "requests still in progress at the deadline");
        }
        await stopAll();
        if ("closeAllConnections" in server) server.closeAllConnections();
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
      database,
      db,
      runtime,
      messages,
      metrics,
      logger,
      app,
      stop,
      stopped,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
  const body = problemBody("SERVICE_UNAVAILABLE", "The service is shutting down; retry shortly.", requestId);
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, "Retry-After": "5", "X-Request-Id": requestId },
  });
}

/**
 * The pool runtime plus what operations need of it: the upstreams it runs (for the scrape-time
 * gauges) and a log line per session state change.
 */
class ObservedPoolRuntime extends PoolRuntime {
  private readonly names: Map<string, { name: string; window: number }>;

  constructor(logger: Logger, options: ConstructorParameters<typeof PoolRuntime>[0] = {}) {
    const names = new Map<string, { name: string; window: number }>();
    super({
      ...options,
      pool: {
        ...options.pool,
        onSessionState: (sessionId, state, lastError) => {
          options.pool?.onSessionState?.(sessionId, state, lastError);
          const upstreamId = sessionId.slice(0, sessionId.lastIndexOf("#"));
          const fields = {
            upstream_id: upstreamId,
            upstream: names.get(upstreamId)?.name,
            session: sessionId,
            state,
            ...(lastError !== undefined && { error: lastError.message }),
          };
          if (lastError !== undefined && state !== "bound") logger.warn(fields, "smpp session state");
          else logger.info(fields, "smpp session state");
        },
      },
    });
    this.names = names;
  }

  override async apply(upstream: UpstreamConfig): Promise<void> {
    this.names.set(upstream.id, { name: upstream.name, window: upstream.window });
    await super.apply(upstream);
  }

  override async remove(id: string): Promise<void> {
    this.names.delete(id);
    await super.remove(id);
  }

  /** The name of a running upstream; undefined when unknown. */
  nameOf(id: string): string | undefined {
    return this.names.get(id)?.name;
  }

  *snapshots(): Iterable<{ name: string; window: number; sessions: ReturnType<PoolRuntime["sessions"]> }> {
    for (const [id, { name, window }] of this.names) yield { name, window, sessions: this.sessions(id) };
  }
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

function listen(server: ReturnType<typeof createAdaptorServer>, port: number, host: string): Promise<void> {
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
