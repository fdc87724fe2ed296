/**
 * What stands between the HTTP server and the API app: one log line and the request metrics per
 * request, a count of requests in progress (so shutdown can wait for them), and the drain switch
 * that answers new requests 503 while the service stops. Kept outside the app so the app stays a pure
 * function of its dependencies and the route label comes from the app's own route table.
 */
import { randomUUID } from "node:crypto";
import { TrieRouter } from "hono/router/trie-router";
import type { Logger } from "pino";
import type { ServiceMetrics } from "./metrics.js";

/** The part of a Hono app the front needs. */
export interface FetchApp {
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
  /** Hono's registered routes; middleware entries (`ALL`) are ignored. */
  readonly routes: ReadonlyArray<{ method: string; path: string }>;
}

export interface HttpFrontOptions {
  app: FetchApp;
  logger: Logger;
  metrics: ServiceMetrics;
  /** The answer to a request that arrives while draining; gets the request id to echo. */
  drainingResponse: (requestId: string) => Response;
}

/** Route label for requests no route matched (keeps the label set bounded). */
export const UNMATCHED_ROUTE = "unmatched";

/** Same rule as Hono's requestId middleware: a sane client id is echoed, anything else replaced. */
const SANE_REQUEST_ID = /^[\w\-=]{1,255}$/;

export class HttpFront {
  private readonly app: FetchApp;
  private readonly logger: Logger;
  private readonly metrics: ServiceMetrics;
  private readonly drainingResponse: (requestId: string) => Response;
  private readonly router = new TrieRouter<string>();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private drainingValue = false;

  constructor(options: HttpFrontOptions) {
    this.app = options.app;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.drainingResponse = options.drainingResponse;
    for (const route of options.app.routes) {
      if (route.method !== "ALL") this.router.add(route.method, route.path, route.path);
    }
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.active;
  }

  get draining(): boolean {
    return this.drainingValue;
  }

  /** From now on, new requests are answered with the draining response; those in progress finish. */
  drain(): void {
    this.drainingValue = true;
  }

  /** Resolves once no request is in progress (at once if none is). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The server's fetch handler. */
  readonly fetch = async (request: Request, env?: unknown): Promise<Response> => {
    const started = performance.now();
    if (this.drainingValue) {
      const offered = request.headers.get("x-request-id");
      const requestId = offered !== null && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
      const response = this.drainingResponse(requestId);
      response.headers.set("Connection", "close");
      this.observe(request, response, started);
      return response;
    }
    this.active++;
    try {
      const response = await this.app.fetch(request, env);
      this.observe(request, response, started);
      return response;
    } finally {
      this.active--;
      if (this.active === 0) this.wakeIdle();
    }
  };

  /** The route pattern a request matched (`/v1/messages/:id`), or {@link UNMATCHED_ROUTE}. */
  routeOf(method: string, path: string): string {
    const lookup = method === "HEAD" ? "GET" : method;
    const [matches] = this.router.match(lookup, path);
    return matches[0]?.[0] ?? UNMATCHED_ROUTE;
  }

  private observe(request: Request, response: Response, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    const path = pathOf(request.url);
    const route = this.routeOf(request.method, path);
    this.metrics.httpRequest(request.method, route, response.status, seconds);
    if (!this.logger.isLevelEnabled("info")) return;
    // The path, not the query string: nothing secret travels in either, but queries are noise here.
    this.logger.info(
      {
        request_id: response.headers.get("x-request-id") ?? undefined,
        method: request.method,
        route,
        path,
        status: response.status,
        duration_ms: Math.round(seconds * 10_000) / 10,
      },
      "request",
    );
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The path of an absolute request URL, without the query string. The server builds `request.url` as
 * `scheme://host/path?query` from the request line; a full URL parse per request was wasted work.
 */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
