/**
 * The Prometheus metrics of one service process, in a registry of its own (never prom-client's global
 * one, so two services in one process — tests — do not collide). Counters are bumped where things
 * happen; gauges of live state (sessions, windows, webhook queue) are read at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { SessionInfo, SessionState } from "../core/upstream-runtime.js";
import { BACKLOG_CAP, type BacklogStatus, UNMATCHED_RECEIPTS_CAP } from "./backlog-queries.js";

const PREFIX = "smpp_bridge_";

/** Every session state, so a state with no session reads 0 instead of vanishing. */
const SESSION_STATES: readonly SessionState[] = [
  "connecting",
  "binding",
  "bound",
  "unbinding",
  "backoff",
  "closed",
];

/** One live upstream as a scrape sees it. */
export interface UpstreamSnapshot {
  /** The upstream's name (the `upstream` label). */
  name: string;
  /** Configured window per session. */
  window: number;
  sessions: readonly SessionInfo[];
}

/** Live state read at scrape time. */
export interface MetricsSources {
  /** The upstreams running in this process. */
  upstreams(): Iterable<UpstreamSnapshot>;
  /** Webhook deliveries waiting for an attempt (pending or failed-and-rescheduled); undefined: not known. */
  webhookQueueDepth?(): Promise<number | undefined>;
  /** Unmatched receipts by upstream name (capped); undefined: not known (the gauge is left out). */
  unmatchedReceipts?(): Promise<ReadonlyMap<string, number> | undefined>;
  /** Messages still to be sent by status (capped); undefined: not known (the gauge is left out). */
  messageBacklog?(): Promise<Readonly<Record<BacklogStatus, number>> | undefined>;
  /** Brings counters read from elsewhere up to date; awaited before each exposition. Must not throw. */
  refresh?(): Promise<void>;
}

/** How a message left our hands, for the outcome counters. */
export type MessageOutcome = "delivered" | "undelivered" | "failed";

/**
 * How a delivery receipt was placed: matched to its part on arrival, or held unmatched; `matched_late`
 * counts held ones matched since (so it is part of `held`, not beside it).
 */
export type ReceiptOutcome = "matched" | "held" | "matched_late";

/** The outcome of one webhook delivery attempt: a 2xx, another status, or no response at all. */
export type WebhookAttemptOutcome = "succeeded" | "failed" | "error";

/** Latency buckets for a submit_sm round trip, in seconds (1 ms to 10 s, the default response timeout). */
const SUBMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** HTTP request buckets, in seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServiceMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources = { upstreams: () => [] };

  private readonly httpRequests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: "HTTP requests answered, by method, route pattern and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "Time from request to response headers, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly acceptedTotal = new Counter({
    name: `${PREFIX}messages_accepted_total`,
    help: "Messages accepted (committed and answered 202), by account.",
    labelNames: ["account"] as const,
    registers: [this.registry],
  });
  private readonly submittedTotal = new Counter({
    name: `${PREFIX}messages_submitted_total`,
    help: "Messages whose every part the SMSC accepted (status sent), by upstream and account.",
    labelNames: ["upstream", "account"] as const,
    registers: [this.registry],
  });
  private readonly outcomeTotals: Record<MessageOutcome, Counter<"upstream" | "account">> = {
    delivered: new Counter({
      name: `${PREFIX}messages_delivered_total`,
      help: "Messages receipted delivered, by upstream and account.",
      labelNames: ["upstream", "account"] as const,
      registers: [this.registry],
    }),
    undelivered: new Counter({
      name: `${PREFIX}messages_undelivered_total`,
      help: "Messages a receipt reported not delivered, by upstream and account.",
      labelNames: ["upstream", "account"] as const,
      registers: [this.registry],
    }),
    failed: new Counter({
      name: `${PREFIX}messages_failed_total`,
      help: "Messages failed (no route, rejected by the SMSC, retries exhausted), by upstream and account.",
      labelNames: ["upstream", "account"] as const,
      registers: [this.registry],
    }),
  };
  private readonly submitLatency = new Histogram({
    name: `${PREFIX}submit_duration_seconds`,
    help: "submit_sm to submit_sm_resp (or failure), by upstream.",
    labelNames: ["upstream"] as const,
    buckets: SUBMIT_BUCKETS,
    registers: [this.registry],
  });
  private readonly webhookAttempts = new Counter({
    name: `${PREFIX}webhook_attempts_total`,
    help: "Webhook delivery attempts, by outcome.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly receiptsTotal = new Counter({
    name: `${PREFIX}receipts_total`,
    help: "Delivery receipts stored by this instance, by upstream and outcome: matched on arrival, held unmatched, or matched_late (held ones matched since; part of held).",
    labelNames: ["upstream", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly inboundTotal = new Counter({
    name: `${PREFIX}inbound_messages_total`,
    help: "Inbound SMS stored by this instance, by upstream and whether the number belongs to an account (routed).",
    labelNames: ["upstream", "routed"] as const,
    registers: [this.registry],
  });
  private readonly throttledTotal = new Counter({
    name: `${PREFIX}upstream_throttled_total`,
    help: "submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL, by upstream.",
    labelNames: ["upstream"] as const,
    registers: [this.registry],
  });
  private readonly malformedTlvsTotal = new Counter({
    name: `${PREFIX}smpp_malformed_tlvs_total`,
    help: "Known TLVs of the wrong length an SMSC sent (kept raw), once per tag per connection, by upstream.",
    labelNames: ["upstream"] as const,
    registers: [this.registry],
  });

  private readonly retentionDeletedTotal = new Counter({
    name: `${PREFIX}retention_deleted_total`,
    help: "Rows the retention sweep (MESSAGE_RETENTION) deleted, by table.",
    labelNames: ["table"] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: `${PREFIX}upstream_sessions`,
      help: "SMPP sessions per upstream and state.",
      labelNames: ["upstream", "state"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.sources.upstreams()) {
          const counts = new Map<SessionState, number>(SESSION_STATES.map((s) => [s, 0]));
          for (const s of upstream.sessions) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
          for (const [state, n] of counts) this.set({ upstream: upstream.name, state }, n);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}upstream_window_in_flight`,
      help: "Requests outstanding on the upstream's sessions (window slots in use).",
      labelNames: ["upstream"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.sources.upstreams()) {
          const inFlight = upstream.sessions.reduce((sum, s) => sum + s.in_flight, 0);
          this.set({ upstream: upstream.name }, inFlight);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}upstream_window_capacity`,
      help: "Window slots of the upstream's bound sessions (bound sessions × window).",
      labelNames: ["upstream"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.sources.upstreams()) {
          const bound = upstream.sessions.filter((s) => s.state === "bound").length;
          this.set({ upstream: upstream.name }, bound * upstream.window);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}webhook_queue_depth`,
      help: "Webhook deliveries waiting for an attempt (pending, or failed and rescheduled).",
      registers: [this.registry],
      async collect() {
        // Not known yet (the database never answered): left out. After that, the last value read.
        const depth = await metrics.sources.webhookQueueDepth?.();
        if (depth !== undefined) this.set(depth);
      },
    });
    new Gauge({
      name: `${PREFIX}receipts_unmatched`,
      help: `Receipts waiting unmatched, by upstream (counted up to ${UNMATCHED_RECEIPTS_CAP} each). Growing: the upstream's message_id_format is likely wrong.`,
      labelNames: ["upstream"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await metrics.sources.unmatchedReceipts?.();
        if (counts === undefined) return;
        for (const [upstream, n] of counts) this.set({ upstream }, n);
      },
    });
    new Gauge({
      name: `${PREFIX}messages_backlog`,
      help: `Messages still to be sent, by status: queued, sending, scheduled (counted up to ${BACKLOG_CAP} together, soonest due first).`,
      labelNames: ["status"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const backlog = await metrics.sources.messageBacklog?.();
        if (backlog === undefined) return;
        for (const [status, n] of Object.entries(backlog)) this.set({ status }, n);
      },
    });
  }

  /** Where the scrape-time gauges read live state. */
  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** The exposition's Content-Type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of everything. */
  async render(): Promise<string> {
    await this.sources.refresh?.();
    return this.registry.metrics();
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  accepted(account: string, count = 1): void {
    this.acceptedTotal.inc({ account }, count);
  }

  submitted(upstream: string, account: string, count = 1): void {
    this.submittedTotal.inc({ upstream, account }, count);
  }

  outcome(outcome: MessageOutcome, upstream: string, account: string, count = 1): void {
    this.outcomeTotals[outcome].inc({ upstream, account }, count);
  }

  submitDuration(upstream: string, seconds: number): void {
    this.submitLatency.observe({ upstream }, seconds);
  }

  webhookAttempt(outcome: WebhookAttemptOutcome, count = 1): void {
    this.webhookAttempts.inc({ outcome }, count);
  }

  /** Rows one retention sweep deleted, per table (a table with none is still exposed, at its total). */
  retentionDeleted(counts: Readonly<Record<string, number>>): void {
    for (const [table, n] of Object.entries(counts)) this.retentionDeletedTotal.inc({ table }, n);
  }

  receipts(upstream: string, outcome: ReceiptOutcome, count = 1): void {
    this.receiptsTotal.inc({ upstream, outcome }, count);
  }

  inbound(upstream: string, routed: boolean, count = 1): void {
    this.inboundTotal.inc({ upstream, routed: String(routed) }, count);
  }

  throttled(upstream: string): void {
    this.throttledTotal.inc({ upstream });
  }

  malformedTlv(upstream: string): void {
    this.malformedTlvsTotal.inc({ upstream });
  }
}
