/**
 * The webhook delivery worker: claims due deliveries in batches (claim.ts), sends each as a signed
 * Standard Webhooks POST over keep-alive connection pools with per-receiver fairness (gates.ts; a
 * receiver is an endpoint, or the origin of status_callback URLs), signed with keys kept open
 * (signing-keys.ts), and writes outcomes in batches (result-buffer.ts, results.ts): 2xx succeeds;
 * anything else retries on the schedule (schedule.ts) until it is dead; 410 Gone disables the endpoint.
 * Each receiver's claimed backlog follows its send rate (backlog.ts, rates.ts). Options and statistics:
 * options.ts.
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
import { forbiddenAddressReason } from "../address-policy.js";
import { signatureHeader } from "../signing.js";
import { guardedLookup, parseWebhookUrl, UnsafeWebhookUrlError, urlHost } from "../url-policy.js";
import { BacklogPolicy } from "./backlog.js";
import { type ClaimedDelivery, claimDeliveries, gateOf, releaseDeliveries } from "./claim.js";
import { type Gate, GateScheduler, held } from "./gates.js";
import { HandOffInbox } from "./handoff.js";
import {
  DEFAULT_SCHEDULE_MS,
  emptyStats,
  LEASE_MARGIN_MS,
  type WebhookWorkerOptions,
  type WebhookWorkerStats,
} from "./options.js";
import { ReceiverPace } from "./pace.js";
import { webhookBody } from "./payload.js";
import { type HeldDelivery, stillHeld } from "./recheck.js";
import { ResultBuffer } from "./result-buffer.js";
import { postWebhook, type SendOutcome } from "./send.js";
import { SigningKeys } from "./signing-keys.js";

export type { WebhookWorkerOptions, WebhookWorkerStats } from "./options.js";

/** Held rows checked at once by {@link WebhookWorker.stillOurs} (the one to send, and those queued next). */
const RECHECK_BATCH = 256;
/** Multiple of the per-endpoint concurrency a receiver that answers fast may use (pace.ts). */
const FAST_RECEIVER_BURST = 4;

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
  private readonly allowPrivate: boolean;
  private readonly logger: Logger | undefined;
  private readonly owner: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly backlogs: BacklogPolicy;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly recheckAfterMs: number;
  private readonly responseBodyLimit: number;
  private readonly userAgent: string;
  private readonly keys: SigningKeys;
  private readonly results: ResultBuffer;
  private readonly agent: Agent;
  private readonly gates: GateScheduler<Job>;
  private readonly pace: ReceiverPace;
  private readonly handOffEnabled: boolean;
  private inbox: HandOffInbox | undefined;
  private removeHandOff: (() => void) | undefined;
  /** False once a claim found nothing due (and skipped no gate), until something may have become due. */
  private mayBeDue = true;
  /** Gates whose new deliveries the hand-off had no room for: they ask for a claim as they drain. */
  private readonly refillWanted = new Set<string>();
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
  private readonly counters: WebhookWorkerStats = emptyStats();

  constructor(options: WebhookWorkerOptions) {
    this.db = options.db;
    this.allowPrivate = options.allowPrivate === true;
    this.logger = options.logger;
    this.owner = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    const concurrency = options.perEndpointConcurrency ?? 16;
    this.backlogs = new BacklogPolicy(this.batchSize, options.perEndpointBacklog ?? concurrency * 8);
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
    const policy = {
      scheduleMs,
      jitter: options.jitter ?? 0.2,
      retryAfterMaxMs: options.retryAfterMaxMs ?? Math.max(0, ...scheduleMs),
    };
    this.pace = new ReceiverPace(concurrency, FAST_RECEIVER_BURST);
    this.gates = new GateScheduler<Job>((key) => this.pace.limit(key));
    this.keys = new SigningKeys(options.secretKey, this.logger);
    this.results = new ResultBuffer(
      this.db,
      this.owner,
      policy,
      { running: () => this.running, dropQueued: (key) => this.gates.dropQueued(key) },
      this.counters,
      this.logger,
    );
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

  /**
   * Makes due at once the deliveries a previous run under this instance id left leased (they would
   * otherwise wait for their lease, 5 min); returns how many. Call before {@link start}.
   */
  async recoverOwnLeases(): Promise<number> {
    if (this.running) throw new Error("recoverOwnLeases() must run before start()");
    return releaseDeliveries(this.db, this.owner);
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
          totalRoom: () => this.backlogs.hardCap - this.gates.size - this.results.size,
          gateRoom: (key, now) => {
            if (this.backlogs.backlogged.has(key)) return 0;
            const gate = this.gates.get(key);
            return this.backlogs.longBacklog(key, now) - (gate === undefined ? 0 : held(gate));
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
    await this.results.drain();
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
    this.results.requestFlush();
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
          this.backlogs.hardCap - this.gates.size - this.results.size - reserved,
        );
        if (room <= 0) break;
        const now = performance.now();
        const gateRooms = new Map<string, number>();
        for (const gate of this.gates.all())
          gateRooms.set(gate.key, this.backlogs.backlog(gate.key, now) - held(gate));
        for (const key of this.backlogs.rates.keys(now)) {
          if (!gateRooms.has(key)) gateRooms.set(key, this.backlogs.backlog(key, now));
        }
        for (const [key, n] of this.inbox?.reservedGates() ?? []) {
          gateRooms.set(key, (gateRooms.get(key) ?? this.backlogs.backlog(key, now)) - n);
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
            perGate: this.backlogs.minBacklog,
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
        this.backlogs.noteDrained(rows, room, gateRooms);
        const keys = this.enqueue(rows, sendBy);
        const added = performance.now();
        for (const key of keys) {
          const gate = this.gates.get(key);
          if (gate !== undefined) gate.refillAt = this.backlogs.refillPoint(key, added);
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
        this.results.release(next.item.row.id);
        continue;
      }
      this.inFlight++;
      const send = this.deliver(gate, next.item).finally(() => {
        this.sends.delete(send);
        this.inFlight--;
        this.gates.done(gate);
        this.backlogs.rates.record(gate.key, performance.now());
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
      this.backlogs.backlogged.add(key);
    }
    this.applyRefills();
  }

  private applyRefills(): void {
    const now = performance.now();
    for (const key of this.refillWanted) {
      const gate = this.gates.get(key);
      if (gate !== undefined) {
        gate.refillAt = Math.max(gate.refillAt, this.backlogs.refillPoint(key, now));
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
    this.pace.observe(gate.key, outcome);
    this.results.record(gate.key, row, attemptedAt, outcome);
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
      keys = this.keys.of(row);
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
}

/** The outcome of an attempt that ended before any request was made. */
function failedBeforeSending(error: string): SendOutcome {
  return { statusCode: null, responseBody: null, durationMs: 0, error, retryAfterMs: null };
}
