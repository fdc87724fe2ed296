/**
 * What the service hands its pipeline and its scrape for the receipt, inbound and backlog metrics:
 * hooks the receipt writer, the result writer, the receipt sweeper and the inbound processor call after
 * each COMMIT (a batch's counts go into in-memory counters, nothing else), and the capped, cached
 * database reads behind the backlog gauges (backlog-queries.ts, scrape-read.ts).
 *
 * These counters are of this instance (add them up across instances with `sum`), unlike the message
 * outcome counters read from the shared event log (event-log-counters.ts).
 */
import type { Logger } from "pino";
import type { InboundStored } from "../core/inbound/record.js";
import type { LateMatches } from "../core/receipts/unmatched.js";
import type { Database } from "../db/client.js";
import { readMessageBacklog, readUnmatchedReceipts, readWebhookQueueDepth } from "./backlog-queries.js";
import type { MetricsSources, ServiceMetrics } from "./metrics.js";
import { scrapeRead } from "./scrape-read.js";

/** Longest a scrape waits for a backlog count before it serves the last one; ms. */
const SCRAPE_WAIT_MS = 2_000;

export interface PipelineCounters {
  receiptsStored(stored: ReadonlyArray<{ upstreamId: string; matched: boolean }>): void;
  receiptsMatchedLate: LateMatches;
  inboundStored: InboundStored;
}

/** The after-COMMIT hooks, labelling by upstream name (`nameOf`). */
export function pipelineCounters(
  metrics: ServiceMetrics,
  nameOf: (upstreamId: string) => string,
): PipelineCounters {
  return {
    receiptsStored(stored) {
      for (const [key, n] of tally(stored, (r) => `${r.upstreamId}\u0000${r.matched}`)) {
        const [upstreamId = "", matched] = key.split("\u0000");
        metrics.receipts(nameOf(upstreamId), matched === "true" ? "matched" : "held", n);
      }
    },
    receiptsMatchedLate(upstreamIds) {
      for (const [upstreamId, n] of tally(upstreamIds, (id) => id)) {
        metrics.receipts(nameOf(upstreamId), "matched_late", n);
      }
    },
    inboundStored(messages) {
      for (const [key, n] of tally(messages, (m) => `${m.upstreamId}\u0000${m.accountId !== null}`)) {
        const [upstreamId = "", routed] = key.split("\u0000");
        metrics.inbound(nameOf(upstreamId), routed === "true", n);
      }
    },
  };
}

export interface BacklogSourceOptions {
  /** How long a count is served before a scrape reads again; ms. */
  ttlMs: number;
  logger?: Logger | undefined;
}

/** The backlog gauges' reads: capped, one at a time, cached, and the last value when the database fails. */
export function backlogSources(
  db: Database,
  upstreams: () => Iterable<{ id: string; name: string }>,
  options: BacklogSourceOptions,
): Pick<MetricsSources, "unmatchedReceipts" | "messageBacklog" | "webhookQueueDepth"> {
  const read = <T>(what: string, count: () => Promise<T>) =>
    scrapeRead(count, {
      ttlMs: options.ttlMs,
      waitMs: SCRAPE_WAIT_MS,
      onError: (error) => options.logger?.warn({ err: error }, `metrics: counting ${what} failed`),
    });
  return {
    unmatchedReceipts: read("unmatched receipts", async () => {
      const live = [...upstreams()];
      const counts = await readUnmatchedReceipts(
        db,
        live.map((u) => u.id),
      );
      return new Map(live.map((u) => [u.name, counts.get(u.id) ?? 0]));
    }),
    messageBacklog: read("the message backlog", () => readMessageBacklog(db)),
    webhookQueueDepth: read("the webhook queue", () => readWebhookQueueDepth(db)),
  };
}

function tally<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
