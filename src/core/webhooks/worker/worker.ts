/**
 * The webhook delivery worker: claims due deliveries in batches (claim.ts), sends each as a signed
 * Standard Webhooks POST over keep-alive connection pools with per-receiver fairness (gates.ts), and
 * writes outcomes in batches (results.ts): 2xx succeeds; anything else retries on the schedule
 * (schedule.ts) until it is dead; 410 Gone disables the endpoint.
 *
 * It wakes on `wake()` (main calls it after committing events) and polls as a fallback; several
 * instances can run against one database (SKIP LOCKED claims, leases).
 */
import { randomBytes } from "node:crypto";
import { isIP, type LookupFunction } from "node:net";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { Agent } from "undici";
import type { Database } from "../../../db/client.js";
import { forbiddenAddressReason } from "../address-policy.js";
import { openWebhookSecret, signatureHeader, signingKey } from "../signing.js";
import {
  guardedLookup,
  parseWebhookUrl,
  type ResolveAll,
  UnsafeWebhookUrlError,
  urlHost,
} from "../url-policy.js";
import { type ClaimedDelivery, claimDeliveries, releaseDeliveries } from "./claim.js";
import { type Gate, GateScheduler } from "./gates.js";
import { webhookBody } from "./payload.js";
import { type AttemptResult, disableGoneEndpoints, writeAttemptResults } from "./results.js";
import { nextRetryDelay, type RetryPolicy } from "./schedule.js";
import { postWebhook, type SendOutcome } from "./send.js";

/** 5s, 5m, 30m, 2h, 5h, 10h, 10h: the default of WEBHOOK_RETRY_SCHEDULE. */
const DEFAULT_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

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
  /** Requests in flight to one endpoint (or one status_callback URL) at once. Default 16. */
  perEndpointConcurrency?: number | undefined;
  /**
   * Claimed rows one endpoint may hold here (queued + sending) before claims skip it. Default
   * 8 × concurrency. With the timeout it bounds how long a claimed row can wait here, which the lease
   * must exceed: at most 1.75 × 128 rows / 16 at a time × 15 s = 210 s < 300 s.
   */
  perEndpointBacklog?: number | undefined;
  /** Requests in flight in total. Default 256. */
  maxInFlight?: number | undefined;
  /** Whole-attempt HTTP timeout in ms. Default 15000. */
  timeoutMs?: number | undefined;
  /** Lease on claimed rows in ms; must exceed the time a backlog takes to send. Default 300000 (5 min). */
  leaseMs?: number | undefined;
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
}

const SECRET_CACHE_LIMIT = 1000;
/** Most claimed rows held here, in batches: the bound on memory whatever the receivers do. */
const HARD_CAP_BATCHES = 8;
/** Result writes in flight at once (each is one statement on its own pool connection). */
const MAX_CONCURRENT_FLUSHES = 4;

interface Job {
  row: ClaimedDelivery;
}

export class WebhookWorker {
  private readonly db: Database;
  private readonly secretKey: Uint8Array;
  private readonly allowPrivate: boolean;
  private readonly logger: Logger | undefined;
  private readonly owner: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly backlogPerGate: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly responseBodyLimit: number;
  private readonly userAgent: string;
  private readonly policy: RetryPolicy;
  private readonly agent: Agent;
  private readonly gates: GateScheduler<Job>;

  private running = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private inFlight = 0;
  private readonly sends = new Set<Promise<void>>();
  private pending: AttemptResult[] = [];
  private gone = new Set<string>();
  private readonly flushes = new Set<Promise<void>>();
  private flushQueued = false;
  private readonly keys = new Map<string, Buffer>();
  private readonly unsignedWarned = new Set<string>();

  constructor(options: WebhookWorkerOptions) {
    this.db = options.db;
    this.secretKey = options.secretKey;
    this.allowPrivate = options.allowPrivate === true;
    this.logger = options.logger;
    this.owner = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    const concurrency = options.perEndpointConcurrency ?? 16;
    this.backlogPerGate = options.perEndpointBacklog ?? concurrency * 8;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.leaseMs = options.leaseMs ?? 300_000;
    this.responseBodyLimit = options.responseBodyLimit ?? 1024;
    this.userAgent = options.userAgent ?? "smpp-bridge-webhooks/0.1";
    const scheduleMs = options.retryScheduleMs ?? DEFAULT_SCHEDULE_MS;
    this.policy = {
      scheduleMs,
      jitter: options.jitter ?? 0.2,
      retryAfterMaxMs: options.retryAfterMaxMs ?? Math.max(0, ...scheduleMs),
    };
    this.gates = new GateScheduler<Job>(concurrency);
    this.agent = new Agent({
      connections: concurrency,
      connect: {
        timeout: this.timeoutMs,
        ...(!this.allowPrivate && {
          lookup: guardedLookup(options.resolveAll) as unknown as LookupFunction,
        }),
      },
    });
  }

  /** Starts polling and claims at once. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.tick(), this.pollIntervalMs);
    this.wake();
  }

  /** Asks for a claim now (call after committing events or a manual retry). Cheap; safe before start. */
  wake(): void {
    if (!this.running) return;
    if (this.claiming !== undefined) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = undefined;
    });
  }

  /**
   * Stops claiming, gives back claimed rows not yet sent, waits for the requests in flight (each
   * bounded by the timeout), writes every outcome, and closes the connection pools.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    await this.claiming;
    const unsent = this.gates.dropAllQueued().map((job) => job.row.id);
    await Promise.allSettled([...this.sends]);
    await this.drainResults();
    try {
      await releaseDeliveries(this.db, this.owner, unsent);
    } catch (error) {
      this.logger?.warn({ err: error }, "webhook worker could not release its unsent deliveries");
    }
    await this.agent.close();
  }

  private tick(): void {
    this.wake();
    this.requestFlush();
  }

  private async claimLoop(): Promise<void> {
    do {
      this.claimAgain = false;
      let more = true;
      while (more && this.running) {
        // Receivers whose backlog is full are skipped by the claim and do not count against the
        // room here: slow receivers must not use up the room the others need. Their rows are
        // bounded per receiver (perEndpointBacklog), and all of it by a hard cap.
        const full = this.gates.fullGates(this.backlogPerGate);
        const flowing = this.gates.size - full.items;
        const room = Math.min(
          this.batchSize,
          this.batchSize * 2 - flowing,
          this.batchSize * HARD_CAP_BATCHES - this.gates.size,
        );
        if (room <= 0) break;
        let rows: ClaimedDelivery[];
        try {
          rows = await claimDeliveries(this.db, {
            owner: this.owner,
            limit: room,
            perGate: this.backlogPerGate,
            skipGates: full.keys,
            leaseMs: this.leaseMs,
          });
        } catch (error) {
          this.logger?.warn({ err: error }, "webhook claim failed; retrying at the next poll");
          return;
        }
        for (const row of rows) this.gates.add(gateKey(row), { row });
        this.pump();
        more = rows.length >= room;
      }
    } while (this.claimAgain && this.running);
  }

  /** Starts sends while slots are free. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight) {
      const next = this.gates.next();
      if (next === undefined) return;
      this.inFlight++;
      const gate = next.gate;
      const send = this.deliver(gate, next.item).finally(() => {
        this.sends.delete(send);
        this.inFlight--;
        this.gates.done(gate);
        this.pump();
        // Refill when a busy receiver's backlog is a quarter done, or the whole backlog half done:
        // the next claim is back before the pipe runs dry, and claims stay bounded (one per quarter
        // backlog) when nothing is due.
        if (
          this.running &&
          (gate.queue.length + gate.active === Math.floor((this.backlogPerGate * 3) / 4) ||
            this.gates.size === Math.floor(this.batchSize / 2))
        ) {
          this.wake();
        }
      });
      this.sends.add(send);
    }
  }

  private async deliver(gate: Gate<Job>, job: Job): Promise<void> {
    const row = job.row;
    const attemptedAt = new Date();
    const outcome = await this.attempt(row);
    this.record(gate, row, attemptedAt, outcome);
  }

  private async attempt(row: ClaimedDelivery): Promise<SendOutcome> {
    const blocked = this.blockedReason(row.url);
    if (blocked !== null) {
      return { statusCode: null, responseBody: null, durationMs: 0, error: blocked, retryAfterMs: null };
    }
    const body = webhookBody(row.event_id, row.event_type, row.created_at, row.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": this.userAgent,
      "webhook-id": row.event_id,
      "webhook-timestamp": String(timestamp),
    };
    const keys = this.signingKeys(row);
    if (keys.length > 0) headers["webhook-signature"] = signatureHeader(row.event_id, timestamp, body, keys);
    return postWebhook(this.agent, {
      url: row.url,
      body,
      headers,
      timeoutMs: this.timeoutMs,
      responseBodyLimit: this.responseBodyLimit,
    });
  }

  /** Why a URL may not be sent to before any connection (scheme, or a literal forbidden address). */
  private blockedReason(text: string): string | null {
    let url: URL;
    try {
      url = parseWebhookUrl(text);
    } catch (error) {
      return `blocked: ${error instanceof UnsafeWebhookUrlError ? error.message : "bad URL"}`;
    }
    if (this.allowPrivate) return null;
    const host = urlHost(url);
    if (isIP(host) === 0) return null; // names are checked, and pinned, when a connection opens
    const reason = forbiddenAddressReason(host);
    return reason === null ? null : `blocked: ${host} is a ${reason}`;
  }

  private signingKeys(row: ClaimedDelivery): Buffer[] {
    if (row.secret_enc === null) {
      if (!this.unsignedWarned.has(row.account_id)) {
        this.unsignedWarned.add(row.account_id);
        this.logger?.warn(
          { account_id: row.account_id, delivery_id: row.id },
          "status_callback_url webhook sent unsigned: the account has no webhook endpoint whose secret could sign it",
        );
      }
      return [];
    }
    const keys = [this.key(row.secret_enc)];
    if (row.previous_secret_enc !== null) keys.push(this.key(row.previous_secret_enc));
    return keys;
  }

  private key(sealed: string): Buffer {
    let key = this.keys.get(sealed);
    if (key === undefined) {
      if (this.keys.size >= SECRET_CACHE_LIMIT) this.keys.clear();
      key = signingKey(openWebhookSecret(sealed, this.secretKey));
      this.keys.set(sealed, key);
    }
    return key;
  }

  private record(gate: Gate<Job>, row: ClaimedDelivery, attemptedAt: Date, outcome: SendOutcome): void {
    const attemptsMade = row.attempts + 1;
    const code = outcome.statusCode;
    let status: AttemptResult["status"];
    let nextAttemptAt: Date | null = null;
    if (code !== null && code >= 200 && code < 300) {
      status = "succeeded";
    } else if (code === 410) {
      status = "dead";
      if (row.endpoint_id !== null) {
        this.gone.add(row.endpoint_id);
        // Its other claimed rows are ended by the disable statement; do not send them.
        this.gates.dropQueued(gate.key);
      }
    } else {
      const delay = nextRetryDelay(attemptsMade, this.policy, outcome.retryAfterMs);
      if (delay === null) status = "dead";
      else {
        status = "failed";
        nextAttemptAt = new Date(Date.now() + delay);
      }
    }
    this.pending.push({
      deliveryId: row.id,
      status,
      nextAttemptAt,
      attemptedAt,
      statusCode: code,
      responseBody: outcome.responseBody,
      durationMs: outcome.durationMs,
      error: outcome.error,
    });
    this.requestFlush();
  }

  /**
   * Writes the outcomes gathered so far: up to {@link MAX_CONCURRENT_FLUSHES} writes at once, each
   * taking everything that queued up while the others ran (group commit), so the write latency of
   * one statement does not cap the delivery rate.
   */
  private requestFlush(): void {
    if (this.flushes.size >= MAX_CONCURRENT_FLUSHES) {
      this.flushQueued = true;
      return;
    }
    if (this.pending.length === 0 && this.gone.size === 0) return;
    const results = this.pending;
    const gone = [...this.gone];
    this.pending = [];
    this.gone = new Set();
    let failed = false;
    const flush = (async () => {
      try {
        await writeAttemptResults(this.db, this.owner, results);
        await disableGoneEndpoints(this.db, gone);
      } catch (error) {
        // Kept for a later flush (the next poll); if this instance dies first, the leases run out and
        // the deliveries are sent again: at least once.
        failed = true;
        this.pending = [...results, ...this.pending];
        for (const id of gone) this.gone.add(id);
        this.logger?.warn({ err: error }, "writing webhook attempt results failed; will retry");
      }
    })().finally(() => {
      this.flushes.delete(flush);
      const again = this.flushQueued && !failed;
      this.flushQueued = false;
      if (again) this.requestFlush();
    });
    this.flushes.add(flush);
  }

  /** Flushes until nothing is left, giving up after a few rounds that write nothing (stop). */
  private async drainResults(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await Promise.all([...this.flushes]);
      if (this.pending.length === 0 && this.gone.size === 0) return;
      const before = this.pending.length;
      this.requestFlush();
      await Promise.all([...this.flushes]);
      if (this.pending.length >= before && round >= 2) return;
    }
  }
}

function gateKey(row: ClaimedDelivery): string {
  return row.endpoint_id ?? row.url;
}
