/**
 * The webhook delivery worker: claims due deliveries in batches (claim.ts), sends each as a signed
 * Standard Webhooks POST over keep-alive connection pools with per-receiver fairness (gates.ts; a
 * receiver is an endpoint, or the origin of status_callback URLs), and writes outcomes in batches
 * (results.ts): 2xx succeeds; anything else retries on the schedule (schedule.ts) until it is dead;
 * 410 Gone disables the endpoint. Each receiver's claimed backlog follows its send rate (rates.ts).
 *
 * Deliveries written by this process come the short way (handoff.ts): the outbox leases those the worker
 * has room for to it and hands them over in memory, and they are sent once their transaction is seen
 * committed, with no claim. The claim takes the rest: retries, deliveries there was no room for, other
 * instances' and orphaned work. It runs on `wake()`, polls as a fallback, and several instances can run
 * against one database (SKIP LOCKED claims, leases).
 */
import { randomBytes } from "node:crypto";
import { isIP, type LookupFunction } from "node:net";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { Agent } from "undici";
import type { Database } from "../../../db/client.js";
import { addDeliveryHandOff, type DeliveryToSend } from "../../events/outbox.js";
import { newId } from "../../ids.js";
import { refusesItsData, writeInHalves } from "../../service-errors.js";
import { forbiddenAddressReason } from "../address-policy.js";
import { openWebhookSecret, signatureHeader, signingKey } from "../signing.js";
import {
  guardedLookup,
  parseWebhookUrl,
  type ResolveAll,
  UnsafeWebhookUrlError,
  urlHost,
} from "../url-policy.js";
import { type ClaimedDelivery, claimDeliveries, gateOf, releaseDeliveries } from "./claim.js";
import { type Gate, GateScheduler, held } from "./gates.js";
import { HandOffInbox, type HandOffStats } from "./handoff.js";
import { webhookBody } from "./payload.js";
import { SendRates } from "./rates.js";
import { type HeldDelivery, stillHeld } from "./recheck.js";
import { type AttemptResult, disableGoneEndpoints, endUnrecorded, writeAttemptResults } from "./results.js";
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
  /**
   * Requests in flight to one endpoint (or one status_callback origin) at once (config
   * `webhookEndpointConcurrency`). Default 16. One receiver's rate is at most this many divided by its
   * response time; a slow receiver holds at most this many of the `maxInFlight` slots.
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

const SECRET_CACHE_LIMIT = 1000;
/**
 * Most rows held here (claimed or handed over), in batches: the bound on memory whatever the receivers
 * do (~1 kB a row: 10,000 rows at the default batch).
 */
const HARD_CAP_BATCHES = 20;
/** Most rows one fast receiver may hold from claims of rows it did not miss, in batches. */
const MAX_BACKLOG_BATCHES = 4;
/** A receiver's claimed backlog covers this many seconds of its recent send rate (when above the minimum). */
const BACKLOG_SECONDS = 0.5;
/**
 * A receiver's room for this process's own new deliveries covers this many seconds of its recent send
 * rate, up to the hard cap; so does its claim while its rows wait in the database (backlogged).
 * Handed rows are leased to this worker at insert whatever happens, so holding them costs only memory,
 * whereas a row left unleased costs a claim (a scan of the due rows, and a row update). Under load that
 * outruns a receiver, its queue here stays full: with half a second, every new delivery missed the
 * hand-off and was claimed again (claims carried 98 % of them, at 140 µs of PostgreSQL CPU a row).
 */
const HANDOFF_BACKLOG_SECONDS = 10;
/** Outcomes written at once; fewer wait up to RESULT_LINGER_MS for more. */
const RESULT_BATCH_MIN = 64;
const RESULT_LINGER_MS = 10;
/** Held rows checked at once by {@link WebhookWorker.stillOurs} (the one to send, and those queued next). */
const RECHECK_BATCH = 256;
/** Slack between the latest end of an attempt and the end of its lease, in ms (event-loop delays). */
const LEASE_MARGIN_MS = 1000;

interface Job {
  row: DeliveryToSend;
  /** `performance.now()` after which the attempt could outlast the lease: the row is given back. */
  sendBy: number;
  /** `performance.now()` when the row was last read from the database (claimed, handed, rechecked). */
  checkedAt: number;
  /** The recheck under way that covers this job, if any. */
  check?: Promise<void> | undefined;
  /** The recheck found the row no longer ours to send (see recheck.ts). */
  dropped?: boolean;
}

export class WebhookWorker {
  private readonly db: Database;
  private readonly secretKey: Uint8Array;
  private readonly allowPrivate: boolean;
  private readonly logger: Logger | undefined;
  private readonly owner: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly minBacklog: number;
  private readonly maxBacklog: number;
  private readonly rates = new SendRates();
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly recheckAfterMs: number;
  private readonly responseBodyLimit: number;
  private readonly userAgent: string;
  private readonly policy: RetryPolicy;
  private readonly agent: Agent;
  private readonly gates: GateScheduler<Job>;
  private readonly handOffEnabled: boolean;
  private inbox: HandOffInbox | undefined;
  private removeHandOff: (() => void) | undefined;
  /** False once a claim found nothing due (and skipped no gate), until something may have become due. */
  private mayBeDue = true;
  /** Gates whose new deliveries the hand-off had no room for: they ask for a claim as they drain. */
  private readonly refillWanted = new Set<string>();
  /**
   * Gates with deliveries left in the database for the claim: they take no hand-offs until a claim
   * drains them, so newer deliveries do not overtake older ones, and a receiver that cannot keep up is
   * served by whole claims rather than by hand-offs of a row or two whenever a slot frees (measured:
   * that costs more database CPU per delivery than claiming alone).
   */
  private readonly backlogged = new Set<string>();
  /**
   * A gate that holds nothing here (nor expects hand-offs) missed the hand-off since the last claim
   * began: no refill of its own will ask for its rows, so the next commit of events should.
   */
  private missedUnheld = false;

  private running = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private inFlight = 0;
  private readonly sends = new Set<Promise<void>>();
  private pending: AttemptResult[] = [];
  private gone = new Set<string>();
  /** Claimed rows whose lease ran too short to send them: released by the next flush. */
  private unsent: string[] = [];
  /** The result write running, if any: one at a time (see {@link requestFlush}). */
  private flushing: Promise<void> | undefined;
  private flushQueued = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly keys = new Map<string, Buffer>();
  private readonly unsignedWarned = new Set<string>();
  private readonly counters: WebhookWorkerStats = {
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

  constructor(options: WebhookWorkerOptions) {
    this.db = options.db;
    this.secretKey = options.secretKey;
    this.allowPrivate = options.allowPrivate === true;
    this.logger = options.logger;
    this.owner = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    const concurrency = options.perEndpointConcurrency ?? 16;
    this.minBacklog = options.perEndpointBacklog ?? concurrency * 8;
    this.maxBacklog = Math.max(this.minBacklog, this.batchSize * MAX_BACKLOG_BATCHES);
    this.maxInFlight = options.maxInFlight ?? 256;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.leaseMs = options.leaseMs ?? 300_000;
    if (this.leaseMs < this.timeoutMs + LEASE_MARGIN_MS) {
      throw new RangeError(
        `webhook lease (${this.leaseMs} ms) must exceed the attempt timeout (${this.timeoutMs} ms) by ${LEASE_MARGIN_MS} ms`,
      );
    }
    this.recheckAfterMs = options.recheckAfterMs ?? 1000;
    this.responseBodyLimit = options.responseBodyLimit ?? 1024;
    this.userAgent = options.userAgent ?? "smpp-bridge-webhooks/0.1";
    const scheduleMs = options.retryScheduleMs ?? DEFAULT_SCHEDULE_MS;
    this.policy = {
      scheduleMs,
      jitter: options.jitter ?? 0.2,
      retryAfterMaxMs: options.retryAfterMaxMs ?? Math.max(0, ...scheduleMs),
    };
    this.gates = new GateScheduler<Job>(concurrency);
    this.handOffEnabled = options.handOff ?? true;
    this.agent = new Agent({
      // The gates bound the requests to each receiver; the pool only follows them. A per-origin cap
      // here would queue requests inside undici, where their timeout already runs, whenever several
      // gates (endpoints of different accounts, callbacks) share an origin. No pipelining: a slow
      // answer must not hold up the requests behind it on the connection.
      connections: this.maxInFlight,
      pipelining: 1,
      connect: {
        timeout: this.timeoutMs,
        ...(!this.allowPrivate && {
          lookup: guardedLookup(options.resolveAll) as unknown as LookupFunction,
        }),
      },
    });
  }

  /** Starts polling, takes hand-offs from the outbox, and claims at once. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.tick(), this.pollIntervalMs);
    if (this.handOffEnabled) {
      const inbox = new HandOffInbox(
        this.db,
        this.owner,
        this.leaseMs,
        this.leaseMs - this.timeoutMs - LEASE_MARGIN_MS,
        {
          totalRoom: () => this.batchSize * HARD_CAP_BATCHES - this.gates.size - this.pending.length,
          gateRoom: (key, now) => {
            if (this.backlogged.has(key)) return 0;
            const gate = this.gates.get(key);
            return this.longBacklog(key, now) - (gate === undefined ? 0 : held(gate));
          },
          take: (rows, sendBy) => this.take(rows, sendBy),
          missed: (keys) => this.missed(keys),
        },
        this.counters,
        this.logger,
      );
      this.inbox = inbox;
      this.removeHandOff = addDeliveryHandOff(this.db, inbox);
    }
    this.wake();
  }

  /** Asks for a claim now (call after a manual retry, or anything else made due). Cheap; safe before start. */
  wake(): void {
    if (!this.running) return;
    this.mayBeDue = true;
    if (this.claiming !== undefined) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = undefined;
    });
  }

  /**
   * Events were committed by this process (main calls it after receipts and inbound SMS): claims when
   * some of their deliveries went to the database for a gate that holds nothing here. A gate that
   * holds rows asks for its own claim as it drains (refillAt); claiming after every commit instead made
   * a busy receiver's claims small and many (one per receipt batch, ~50 rows, each scanning the due
   * rows), which cost PostgreSQL 140 µs per delivery.
   */
  wakeForNewEvents(): void {
    if (this.inbox === undefined || this.missedUnheld) this.wake();
  }

  /**
   * Stops claiming and taking hand-offs, gives back claimed and handed-over rows not yet sent, waits
   * for the requests in flight (each bounded by the timeout), writes every outcome, and closes the
   * connection pools. Handed-over rows whose transaction had not committed yet keep their lease until it
   * runs out (then the claim of any instance takes them).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    this.removeHandOff?.();
    this.removeHandOff = undefined;
    const handed = (await this.inbox?.close()) ?? [];
    this.inbox = undefined;
    await this.claiming;
    const unsent = [...this.gates.dropAllQueued().map((job) => job.row.id), ...handed];
    await Promise.allSettled([...this.sends]);
    await this.drainResults();
    try {
      await releaseDeliveries(this.db, this.owner, unsent);
    } catch (error) {
      this.logger?.warn({ err: error }, "webhook worker could not release its unsent deliveries");
    }
    await this.agent.close();
  }

  /** A copy of the counters since construction. */
  stats(): WebhookWorkerStats {
    return { ...this.counters };
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
        // Each receiver is bounded by its own backlog (small unless it answers fast), and the whole
        // of it, with the outcomes not yet written, by a hard cap.
        // Room reserved for hand-offs not yet committed counts as held.
        const reserved = this.inbox?.reserved() ?? 0;
        const room = Math.min(
          this.batchSize,
          this.batchSize * HARD_CAP_BATCHES - this.gates.size - this.pending.length - reserved,
        );
        if (room <= 0) break;
        const now = performance.now();
        const gateRooms = new Map<string, number>();
        for (const gate of this.gates.all())
          gateRooms.set(gate.key, this.backlog(gate.key, now) - held(gate));
        for (const key of this.rates.keys(now)) {
          if (!gateRooms.has(key)) gateRooms.set(key, this.backlog(key, now));
        }
        for (const [key, n] of this.inbox?.reservedGates() ?? []) {
          gateRooms.set(key, (gateRooms.get(key) ?? this.backlog(key, now)) - n);
        }
        this.missedUnheld = false;
        let rows: ClaimedDelivery[];
        // Taken before the claim is sent, so it is no later than the lease's start in the database.
        const claimStarted = performance.now();
        const sendBy = claimStarted + this.leaseMs - this.timeoutMs - LEASE_MARGIN_MS;
        try {
          rows = await claimDeliveries(this.db, {
            owner: this.owner,
            limit: room,
            perGate: this.minBacklog,
            gateRooms,
            leaseMs: this.leaseMs,
          });
        } catch (error) {
          this.logger?.warn({ err: error }, "webhook claim failed; retrying at the next poll");
          return;
        }
        this.counters.claims++;
        this.counters.claimedRows += rows.length;
        this.counters.claimMs += performance.now() - claimStarted;
        // Nothing due anywhere: refills need not claim again until something may have become due.
        if (rows.length === 0 && [...gateRooms.values()].every((n) => n > 0)) this.mayBeDue = false;
        this.noteDrained(rows, room, gateRooms);
        const keys = this.enqueue(rows, sendBy);
        const added = performance.now();
        for (const key of keys) {
          const gate = this.gates.get(key);
          if (gate !== undefined) gate.refillAt = this.refillPoint(key, added);
        }
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
      const gate = next.gate;
      if (performance.now() > next.item.sendBy) {
        // Another instance may claim it once the lease ends; sending now could overlap with that.
        this.gates.done(gate);
        this.unsent.push(next.item.row.id);
        this.requestFlush();
        continue;
      }
      this.inFlight++;
      const send = this.deliver(gate, next.item).finally(() => {
        this.sends.delete(send);
        this.inFlight--;
        this.gates.done(gate);
        this.rates.record(gate.key, performance.now());
        this.pump();
        // Refill when a busy receiver's backlog is a quarter done, or the whole backlog half done:
        // the next claim is back before the pipe runs dry. A receiver asks once per claim that
        // brought it rows, so claims stay bounded when nothing more is due.
        if (!this.running) return;
        if (gate.refillAt >= 0 && held(gate) <= gate.refillAt) {
          gate.refillAt = -1;
          this.wake();
        } else if (this.gates.size === Math.floor(this.batchSize / 2) && this.mayBeDue) {
          this.wake();
        }
      });
      this.sends.add(send);
    }
  }

  /** Handed-over rows, committed: queued like claimed ones. */
  private take(rows: readonly DeliveryToSend[], sendBy: number): void {
    this.enqueue(rows, sendBy);
    this.applyRefills();
    this.pump();
  }

  /** Queues rows (claimed or handed over) in their gates; returns the gates they went to. */
  private enqueue(rows: readonly DeliveryToSend[], sendBy: number): Set<string> {
    const keys = new Set<string>();
    const checkedAt = performance.now();
    for (const row of rows) {
      const key = gateOf(row.endpoint_id, row.url);
      keys.add(key);
      this.gates.add(key, { row, sendBy, checkedAt });
    }
    return keys;
  }

  /**
   * The outbox wrote deliveries the hand-off had no room for (not committed yet: claiming now could
   * miss them). A gate that holds or expects rows claims when it has drained to its refill point, as
   * after a claim; the others are left to the wakes after commits, the refill of the whole backlog, and
   * the poll.
   */
  private missed(keys: ReadonlySet<string>): void {
    this.mayBeDue = true;
    for (const key of keys) {
      if (this.gates.get(key) === undefined && (this.inbox?.reserved(key) ?? 0) === 0)
        this.missedUnheld = true;
      this.refillWanted.add(key);
      this.backlogged.add(key);
    }
    this.applyRefills();
  }

  /**
   * A claim that was not cut by its limit took fewer rows of a backlogged gate than the gate had room
   * for: nothing of it is due in the database any more, so it takes hand-offs again. (The claim's scan
   * window can hide a gate's rows behind others; then the gate takes hand-offs a little early, and its
   * older rows go with the next claims.)
   */
  private noteDrained(
    rows: readonly ClaimedDelivery[],
    limit: number,
    gateRooms: ReadonlyMap<string, number>,
  ) {
    if (this.backlogged.size === 0 || rows.length >= limit) return;
    const taken = new Map<string, number>();
    for (const row of rows) {
      const key = gateOf(row.endpoint_id, row.url);
      taken.set(key, (taken.get(key) ?? 0) + 1);
    }
    for (const key of this.backlogged) {
      const room = gateRooms.get(key) ?? this.minBacklog;
      if (room > 0 && (taken.get(key) ?? 0) < room) this.backlogged.delete(key);
    }
  }

  private applyRefills(): void {
    const now = performance.now();
    for (const key of this.refillWanted) {
      const gate = this.gates.get(key);
      if (gate !== undefined) {
        gate.refillAt = Math.max(gate.refillAt, this.refillPoint(key, now));
        this.refillWanted.delete(key);
      } else if ((this.inbox?.reserved(key) ?? 0) === 0) {
        this.refillWanted.delete(key);
      }
    }
  }

  private async deliver(gate: Gate<Job>, job: Job): Promise<void> {
    if (!(await this.stillOurs(gate, job))) return;
    const row = job.row;
    const attemptedAt = new Date();
    let outcome: SendOutcome;
    try {
      outcome = await this.attempt(row);
    } catch (error) {
      // A fault of ours, recorded as a failed attempt: thrown out of here it would end the process
      // (unhandled rejection), and the restarted one would claim this delivery and end again.
      this.logger?.error({ err: error, delivery_id: row.id }, "webhook attempt failed before sending");
      outcome = failedBeforeSending(error instanceof Error ? error.message : String(error));
    }
    this.record(gate, row, attemptedAt, outcome);
  }

  /**
   * Whether a job may still be sent. One that waited longer than `recheckAfterMs` is checked against
   * the database first, with every job queued behind it in its gate, in one statement: those no longer
   * ours (disabled, deleted, retried by hand, taken over) are dropped without an attempt, the others
   * take their row's current URL and signing secrets. Jobs already covered by a check under way wait
   * for it.
   */
  private async stillOurs(gate: Gate<Job>, job: Job): Promise<boolean> {
    if (job.check === undefined && performance.now() - job.checkedAt > this.recheckAfterMs) {
      // The head of the queue only: those are sent next, and a fast receiver's long backlog (seconds
      // of hand-offs) is not looked up again every second.
      const jobs = [job, ...gate.queue.slice(0, RECHECK_BATCH).filter((j) => j.check === undefined)];
      const check = this.recheck(gate.key, jobs);
      for (const j of jobs) j.check = check;
    }
    if (job.check !== undefined) await job.check;
    return job.dropped !== true;
  }

  private async recheck(key: string, jobs: readonly Job[]): Promise<void> {
    let current: Map<string, HeldDelivery> | undefined;
    try {
      current = await stillHeld(
        this.db,
        this.owner,
        jobs.map((j) => j.row.id),
      );
    } catch (error) {
      // Sent as held, as before the check existed: a database hiccup must not stall the receiver, and
      // an outcome is still written only while the lease is ours.
      this.logger?.warn({ err: error }, "webhook recheck of held deliveries failed; sending them as held");
    }
    const now = performance.now();
    let dropped = false;
    for (const j of jobs) {
      j.check = undefined;
      j.checkedAt = now;
      if (current === undefined) continue;
      const fresh = current.get(j.row.id);
      if (fresh === undefined) dropped = j.dropped = true;
      else {
        j.row.url = fresh.url;
        j.row.secret_enc = fresh.secret_enc;
        j.row.previous_secret_enc = fresh.previous_secret_enc;
      }
    }
    if (dropped) this.gates.removeQueued(key, (j) => j.dropped === true);
  }

  private async attempt(row: DeliveryToSend): Promise<SendOutcome> {
    const target = this.target(row.url);
    if (typeof target === "string") return failedBeforeSending(target);
    const body = webhookBody(row.event_id, row.event_type, row.created_at, row.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": this.userAgent,
      "webhook-id": row.event_id,
      "webhook-timestamp": String(timestamp),
    };
    let keys: Buffer[];
    try {
      keys = this.signingKeys(row);
    } catch {
      // Never sent unsigned instead: the receiver would rightly refuse it, or worse, accept it.
      return failedBeforeSending(
        "the endpoint's signing secret cannot be opened with this SECRET_KEY (was it changed?)",
      );
    }
    if (keys.length > 0) headers["webhook-signature"] = signatureHeader(row.event_id, timestamp, body, keys);
    return postWebhook(this.agent, {
      url: target,
      body,
      headers,
      timeoutMs: this.timeoutMs,
      responseBodyLimit: this.responseBodyLimit,
    });
  }

  /**
   * Held rows at or below which the gate `key` asks for a claim: when a quarter of its backlog has gone,
   * so the next claim is back before the pipe runs dry. A backlogged gate waits until half has gone:
   * its backlog is seconds long, and a claim costs about the same for 50 rows as for 500 (it scans the
   * due rows), so fewer, fuller claims.
   */
  private refillPoint(key: string, now: number): number {
    const backlog = this.backlog(key, now);
    return this.backlogged.has(key) ? Math.floor(backlog / 2) : Math.floor((backlog * 3) / 4);
  }

  /**
   * Rows the gate `key` may hold: half a second of its recent rate, within the bounds; or, while its
   * rows wait in the database because the hand-off had no room (backlogged), as much as the hand-off
   * gives it: claimed a quarter of half a second at a time, a receiver kept busy never drained its rows
   * from the database, so it never took hand-offs again while the load lasted.
   */
  private backlog(key: string, now: number): number {
    if (this.backlogged.has(key)) return this.longBacklog(key, now);
    const byRate = Math.ceil(this.rates.perSecond(key, now) * BACKLOG_SECONDS);
    return Math.min(this.maxBacklog, Math.max(this.minBacklog, byRate));
  }

  /** {@link HANDOFF_BACKLOG_SECONDS} of the gate's recent rate, at least the minimum, at most the cap. */
  private longBacklog(key: string, now: number): number {
    const byRate = Math.ceil(this.rates.perSecond(key, now) * HANDOFF_BACKLOG_SECONDS);
    return Math.min(this.batchSize * HARD_CAP_BATCHES, Math.max(this.minBacklog, byRate));
  }

  /**
   * The URL to send to, parsed; or why it may not be sent to before any connection (scheme, or a
   * literal forbidden address).
   */
  private target(text: string): URL | string {
    let url: URL;
    try {
      url = parseWebhookUrl(text);
    } catch (error) {
      return `blocked: ${error instanceof UnsafeWebhookUrlError ? error.message : "bad URL"}`;
    }
    if (this.allowPrivate) return url;
    const host = urlHost(url);
    if (isIP(host) === 0) return url; // names are checked, and pinned, when a connection opens
    const reason = forbiddenAddressReason(host);
    return reason === null ? url : `blocked: ${host} is a ${reason}`;
  }

  private signingKeys(row: DeliveryToSend): Buffer[] {
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

  private record(gate: Gate<Job>, row: DeliveryToSend, attemptedAt: Date, outcome: SendOutcome): void {
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
      attemptId: newId("wha"),
      deliveryId: row.id,
      attemptsBefore: row.attempts,
      status,
      nextAttemptAt,
      attemptedAt,
      statusCode: code,
      responseBody: outcome.responseBody,
      durationMs: outcome.durationMs,
      error: outcome.error,
    });
    this.flushSoon();
  }

  /**
   * Flushes at once when a batch's worth of outcomes waits, else within {@link RESULT_LINGER_MS}. At a
   * moderate rate sends finish one by one, and each write carried 2 outcomes (bench:kannel with a
   * 200/s SMSC); under full load outcomes pile up while a write runs, and nothing lingers.
   */
  private flushSoon(): void {
    if (this.pending.length >= RESULT_BATCH_MIN || !this.running) {
      this.requestFlush();
      return;
    }
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      this.requestFlush();
    }, RESULT_LINGER_MS);
  }

  /**
   * Writes the outcomes gathered so far, one write at a time, each taking everything that queued up
   * while the previous one ran (group commit), so the write latency does not cap the delivery rate:
   * the batches grow with it. Four writes side by side carried ~12 attempts each at 1,500/s; one at a
   * time carries 60–90 at twice the rate, for a third of the database CPU per attempt. Outcomes not yet
   * written count against the claim's hard cap, so a slow database also slows the claims.
   */
  private requestFlush(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.flushing !== undefined) {
      this.flushQueued = true;
      return;
    }
    if (this.pending.length === 0 && this.gone.size === 0 && this.unsent.length === 0) return;
    const results = this.pending;
    const gone = [...this.gone];
    const unsent = this.unsent;
    this.pending = [];
    this.gone = new Set();
    this.unsent = [];
    let failed = false;
    // What fails is kept for a later flush (the next poll); if this instance dies first, the leases run
    // out and the deliveries are sent again: at least once. Each part is kept on its own, so a part
    // that was written is not written twice.
    const attempt = async (what: string, write: () => Promise<void>, keep: () => void) => {
      try {
        await write();
      } catch (error) {
        failed = true;
        keep();
        this.logger?.warn({ err: error }, `writing webhook ${what} failed; will retry`);
      }
    };
    this.flushing = (async () => {
      await attempt(
        "attempt results",
        async () => {
          const started = performance.now();
          await this.writeResults(results);
          if (results.length === 0) return;
          this.counters.resultWrites++;
          this.counters.resultRows += results.length;
          this.counters.resultWriteMs += performance.now() - started;
        },
        () => {
          this.pending = [...results, ...this.pending];
        },
      );
      await attempt(
        "endpoint disables (410 Gone)",
        () => disableGoneEndpoints(this.db, gone),
        () => {
          for (const id of gone) this.gone.add(id);
        },
      );
      await attempt(
        "releases of unsent deliveries",
        async () => {
          await releaseDeliveries(this.db, this.owner, unsent);
          this.counters.released += unsent.length;
        },
        () => {
          this.unsent = [...unsent, ...this.unsent];
        },
      );
    })().finally(() => {
      this.flushing = undefined;
      const again = this.flushQueued && !failed;
      this.flushQueued = false;
      if (again) this.flushSoon();
    });
  }

  /**
   * Writes outcomes. A batch the database refuses for what it holds (not for the moment) is halved down
   * to the outcome refused alone: kept, it would fail every later flush it joined, and no outcome would
   * be written again. That delivery is ended without its attempt row (endUnrecorded), else it would be
   * sent again every lease period for ever. Writing an outcome twice changes nothing, so a half written
   * before the other failed for the moment may go again with it.
   */
  private async writeResults(results: AttemptResult[]): Promise<void> {
    try {
      await writeAttemptResults(this.db, this.owner, results);
    } catch (error) {
      if (!refusesItsData(error)) throw error;
      if (results.length > 1) return writeInHalves(results, (half) => this.writeResults(half));
      const [result] = results;
      if (result === undefined) return;
      this.logger?.error(
        { err: error, delivery_id: result.deliveryId },
        "the database refused this webhook attempt's outcome; the delivery is ended without it",
      );
      try {
        await endUnrecorded(this.db, this.owner, result);
      } catch (endError) {
        // Not even that: dropped all the same (kept, it would block the others); the lease runs out.
        this.logger?.error({ err: endError, delivery_id: result.deliveryId }, "ending it failed too");
      }
    }
  }

  /** Flushes until nothing is left, giving up after a few rounds that write nothing (stop). */
  private async drainResults(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.flushing;
      if (this.pending.length === 0 && this.gone.size === 0 && this.unsent.length === 0) return;
      const before = this.pending.length;
      this.requestFlush();
      await this.flushing;
      if (this.pending.length >= before && round >= 2) return;
    }
  }
}

/** The outcome of an attempt that ended before any request was made. */
function failedBeforeSending(error: string): SendOutcome {
  return { statusCode: null, responseBody: null, durationMs: 0, error, retryAfterMs: null };
}
