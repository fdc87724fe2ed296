import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { ApiKeyUseSink } from "../core/key-use/recorder.js";
import type { MessageService } from "../core/messages/service.js";
import type { UpstreamRuntime } from "../core/upstream-runtime.js";
import type { Database } from "../db/client.js";
import type { MetricsExposition } from "./routes/ops/metrics.js";

/** Everything the API needs from the outside, injected by `createApp` (no module-level state). */
export interface AppDeps {
  db: Database;
  /**
   * The parsed configuration; the API reads the admin token, the secret key and whether webhook URLs
   * may point at private addresses (absent: refused, the safe default).
   */
  config: Pick<Config, "adminToken" | "secretKey"> & Partial<Pick<Config, "webhookAllowPrivate">>;
  /** The live SMPP session pool, as far as the admin API drives it. */
  upstreamRuntime: UpstreamRuntime;
  /** Where unexpected errors are logged with their request id; default: pino at `warn` on stdout. */
  logger?: Logger;
  /**
   * The messages service behind /v1/messages (it owns the group-commit queue, so one per process).
   * Default: one on `db` with no dispatcher (accepted messages are left unleased for the poller).
   */
  messages?: MessageService;
  /** The running service's Prometheus registry behind GET /metrics; default null (an empty page). */
  metrics?: MetricsExposition | null;
  /** Nudges the webhook delivery worker after a manual retry; default: nothing (its poll finds the row). */
  wakeWebhooks?: () => void;
  /**
   * Tells this instance's dispatcher that a route was created or deleted, so the next message is routed
   * by the new table; default: nothing (the dispatcher re-reads its table every few seconds anyway).
   */
  routesChanged?: () => void;
  /**
   * Told the id of every API key that authenticates a request, to keep its `last_used_at`; must not
   * block. Default: nothing is recorded (the running service hands in its ApiKeyUseRecorder).
   */
  apiKeyUses?: ApiKeyUseSink;
}

/** Hono environment of every route: the injected deps and the per-request values middleware sets. */
export interface AppEnv {
  Variables: {
    deps: Required<AppDeps>;
    /** From `X-Request-Id` when the client sent a sane one, else a new UUID; echoed in the response. */
    requestId: string;
    /** The authenticated customer account; set by `customerAuth` on /v1/* only. */
    accountId: string;
  };
}

export type App = OpenAPIHono<AppEnv>;
