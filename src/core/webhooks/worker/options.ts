/** The webhook worker's options, its statistics, and the defaults and margins they imply. */
import type { Logger } from "pino";
import type { Database } from "../../../db/client.js";
import type { ResolveAll } from "../url-policy.js";
import type { HandOffStats } from "./handoff.js";

/** 5s, 5m, 30m, 2h, 5h, 10h, 10h: the default of WEBHOOK_RETRY_SCHEDULE. */
export const DEFAULT_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Slack between the latest end of an attempt and the end of its lease, in ms (event-loop delays). */
export const LEASE_MARGIN_MS = 1000;

export interface WebhookWorkerOptions {
  db: Database;
  /** SECRET_KEY: opens the sealed endpoint secrets. */
  secretKey: Uint8Array;
  /** Delays before each retry in ms (config `webhookRetryScheduleMs`). Default 5s,5m,30m,2h,5h,10h,10h. */
  retryScheduleMs?: readonly number[] | undefined;
  /** Send to loopback/private addresses (config `webhookAllowPrivate`). Default false. */
  allowPrivate?: boolean | undefined;
  logger?: Logger | undefined;
  /** Lease owner written on claimed rows. Default `<host>:<pid>:<random>`. */
  instanceId?: string | undefined;
  /** Fallback poll for due work (retries, other instances' commits), in ms. Default 1000. */
  pollIntervalMs?: number | undefined;
  /** Rows per claim. Default 500. */
  batchSize?: number | undefined;
  /**
   * Requests in flight to one endpoint (or one status_callback origin) at once (config
   * `webhookEndpointConcurrency`). Default 16. A slow receiver holds at most this many of the
   * `maxInFlight` slots; one that keeps answering 2xx within a second may use 4 times as many
   * (pace.ts).
   */
  perEndpointConcurrency?: number | undefined;
  /**
   * Claimed rows any endpoint (or callback origin) may hold here, queued + sending, before claims skip
   * it. Default 8 × concurrency (128). A receiver that answers faster may hold half a second of its
   * recent rate, up to 4 batches: it is refilled when a quarter of its backlog has gone, and the rest
   * must last while the claim runs (at 128 rows, a 50 ms claim would cap it at 1,920/s). A receiver
   * that is slow or hangs keeps this small backlog, so it cannot hold the rows others need. New
   * deliveries written by this process may fill up to 10 s of a receiver's rate (hand-off), within the
   * hard cap of 20 batches for all receivers.
   */
  perEndpointBacklog?: number | undefined;
  /** Requests in flight in total. Default 256. */
  maxInFlight?: number | undefined;
  /** Whole-attempt HTTP timeout in ms. Default 15000. */
  timeoutMs?: number | undefined;
  /**
   * Lease on claimed rows in ms. Default 300000 (5 min); must exceed `timeoutMs` by a second at least.
   * A claimed row is sent only while its whole attempt still fits in the lease (counted from before the
   * claim was sent, on this process's monotonic clock); later it is given back unsent, due at once.
   */
  leaseMs?: number | undefined;
  /**
   * A held row that waited longer than this in its gate, in ms, is checked against the database before
   * it is sent (recheck.ts): its endpoint may have been disabled, deleted or moved to another URL, its
   * secret rotated, or the delivery retried by hand, while it waited. Default 1000.
   */
  recheckAfterMs?: number | undefined;
  /** Relative jitter of retry delays, 0–1. Default 0.2 (±20 %). */
  jitter?: number | undefined;
  /** Most a `Retry-After` may delay a retry, in ms. Default the longest delay of the schedule. */
  retryAfterMaxMs?: number | undefined;
  /** Response body bytes kept per attempt. Default 1024. */
  responseBodyLimit?: number | undefined;
  /** `user-agent` header. Default `smpp-bridge-webhooks/0.1`. */
  userAgent?: string | undefined;
  /** DNS used for the connect-time SSRF check; default the system resolver. */
  resolveAll?: ResolveAll | undefined;
  /**
   * Take deliveries written by this process in memory, leased at insert, instead of claiming them
   * (handoff.ts). Default true.
   */
  handOff?: boolean | undefined;
}

/** Database work done so far: what claiming and recording cost per delivery (benchmarks, tuning). */
export interface WebhookWorkerStats extends HandOffStats {
  /** Claim statements run, rows they returned, and their summed duration in ms. */
  claims: number;
  claimedRows: number;
  claimMs: number;
  /** Attempt-result statements written, attempts they recorded, and their summed duration in ms. */
  resultWrites: number;
  resultRows: number;
  resultWriteMs: number;
  /** Claimed rows given back unsent because their lease ran short. */
  released: number;
}

/** Every counter at zero. */
export function emptyStats(): WebhookWorkerStats {
  return {
    claims: 0,
    claimedRows: 0,
    claimMs: 0,
    resultWrites: 0,
    resultRows: 0,
    resultWriteMs: 0,
    released: 0,
    handedRows: 0,
    handOffDropped: 0,
    commitChecks: 0,
    commitCheckMs: 0,
  };
}
