/**
 * The dispatcher of one instance (DESIGN.md §1, §3). Two ways in, one way out:
 * - the hot path: the accept pipeline hands over just-committed messages in memory ({@link enqueue}),
 *   already leased to this instance; they are started in batches with one conditional UPDATE each
 *   (`status = 'queued'`, so a message canceled meanwhile is never sent; a HOT update, see claim.ts);
 * - the recovery and scheduling path: a poller claims, with `FOR UPDATE SKIP LOCKED`, scheduled
 *   messages whose time came, retries whose back-off ended and work whose lease ran out (an instance
 *   died, or this one gave it back);
 * - out: each message's attempt (route, submit every part, classify) goes to the result writer, which
 *   stores results, retries and outbox events in batches.
 *
 * Every message this instance holds has its lease renewed by one UPDATE per interval; a live instance's
 * work is therefore never taken by another, and a dead one's is taken once its leases run out.
 * Concurrency is bounded: a message occupies a slot from the moment it is started until its result is
 * committed. Per upstream, parts submitted but not yet committed are bounded by `sessions × window`
 * (unsettled.ts): that is all a crash can send twice.
 */
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import type { AcceptedMessage, MessagePartRow, MessageRow, MessageSink } from "../messages/sink.js";
import { partsByMessage } from "../receipts/apply.js";
import type { UpstreamDirectory } from "../receipts/writer.js";
import type { UpstreamNames } from "../results/message-events.js";
import type { PendingIds } from "../results/pending-ids.js";
import type { RetryPolicy } from "../results/statements.js";
import { type DispatchResult, ResultWriter, type ResultWriterOptions } from "../results/writer.js";
import { RouteTable, type UpstreamAvailability } from "../routing.js";
import { runAttempt, type SubmitTarget } from "./attempt.js";
import { claimDue, startLeased } from "./claim.js";
import { expireOwnLeases, releaseQueued, renewLeases } from "./lease.js";
import { UnsettledGates } from "./unsettled.js";

/** What the dispatcher needs of the live upstreams; {@link PoolRuntime} provides it. */
export interface DispatchRuntime extends UpstreamAvailability, UpstreamDirectory {
  get(upstreamId: string): SubmitTarget | undefined;
}

export interface DispatcherOptions {
  db: Database;
  /** The live upstream pools (the PoolRuntime of this process). */
  runtime: DispatchRuntime;
  /** This instance's id: written to `lease_owner`. Must equal what the MessageService leases with. */
  instanceId: string;
  /** How long a claim keeps other instances off a message; ms. Default 30000. */
  leaseMs?: number;
  /** Leases are renewed this often; ms. Default leaseMs / 3. */
  renewIntervalMs?: number;
  /** Messages dispatched at once (submitting, or waiting for their result to be stored). Default 1000. */
  concurrency?: number;
  /**
   * Handed-over messages kept waiting in memory for a slot; more are given back to the poller (any
   * instance's) at once. Default 5000: a backlog deeper than that gains nothing from memory (the
   * database has it anyway) and only grows the heap (bench:e2e at c=200: 373 MB peak RSS with 20000,
   * 286 MB with 5000, same rate).
   */
  maxQueued?: number;
  /** Time between polls when the last one found less than a full batch; ms. Default 1000. */
  pollIntervalMs?: number;
  /** Most messages one poll claims. Default 500. */
  pollBatch?: number;
  /** Longest {@link Dispatcher.stop} waits for submits in flight to finish; ms. Default 10000. */
  drainTimeoutMs?: number;
  /** Immediate resends of a throttled part within one attempt (the session paces them). Default 50. */
  maxThrottleResends?: number;
  /** Longest one part's submit may take before it counts as an unknown outcome; ms. Default 120000. */
  partTimeoutMs?: number;
  /** Routes are reloaded this often (changes made through another instance); ms. Default 5000. */
  routeRefreshMs?: number;
  /** Retry policy (attempts, back-off); see {@link RetryPolicy} for the defaults. */
  retry?: Partial<RetryPolicy>;
  /** Batching of the result writer. */
  results?: Omit<ResultWriterOptions, "retry" | "logger" | "pendingIds">;
  /**
   * SMSC ids accepted and not committed yet, shared with the receipt writer so a receipt quicker than
   * the result's commit waits for it instead of being stored unmatched. Absent: no waiting.
   */
  pendingIds?: PendingIds;
  logger?: Logger | undefined;
  /** Wall clock. Default `() => new Date()`. */
  now?: () => Date;
}

export interface DispatcherStats {
  /** Handed-over messages waiting for a slot. */
  queued: number;
  /** Messages holding a slot. */
  active: number;
  /** Messages started from the in-memory hand-over. */
  startedFromMemory: number;
  /** Messages claimed by the poller. */
  claimedByPoller: number;
  /** Handed-over messages that were no longer queued when started (canceled, or taken elsewhere). */
  skipped: number;
  /** Attempts whose results were stored, by outcome. */
  sent: number;
  failed: number;
  retried: number;
  /**
   * Per upstream id: parts submitted whose outcome is not committed yet (at most sessions × window),
   * messages waiting for room, and the most parts ever unsettled at once.
   */
  unsettled: Map<string, { unsettled: number; waiting: number; peak: number }>;
}

/** The pending work of a message being started: the row as handed over, and its parts. */
interface Work {
  message: MessageRow;
  parts: MessagePartRow[];
}

/**
 * Wiring (main): one per process, started before the API accepts and stopped after it stopped.
 * ```ts
 * const runtime = new PoolRuntime();
 * const receipts = new ReceiptProcessor({ db, upstreams: runtime, logger });
 * runtime.setReceiptHandler(receipts);
 * receipts.start();
 * const upstreams = new UpstreamSync(db, config.secretKey, runtime, { logger });
 * await upstreams.start(); // every upstream handed to the pool, then re-read every 10 s
 * const dispatcher = new Dispatcher({ db, runtime, instanceId, logger });
 * await dispatcher.start();
 * const messages = new MessageService({ db, sink: dispatcher, instanceId }); // same lease length
 * // shutdown: messages.close() → dispatcher.stop() → runtime.close() → receipts.stop()
 * ```
 * `instanceId` must be unique among running instances (a stable one, e.g. kept in DATA_DIR, lets a
 * restarted process take its own leased work back at once instead of after the lease).
 */
export class Dispatcher implements MessageSink {
  /** The route table the attempts read; call `routes.invalidate()` after a route change. */
  readonly routes: RouteTable;
  private readonly db: Database;
  private readonly runtime: DispatchRuntime;
  private readonly instanceId: string;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly pollBatch: number;
  private readonly options: DispatcherOptions;
  private readonly writer: ResultWriter;
  private readonly gates: UnsettledGates;
  private readonly now: () => Date;
  private queue: AcceptedMessage[] = [];
  private queueHead = 0;
  /** Ids of the messages this instance holds: queued here or holding a slot. Their leases are renewed. */
  private readonly held = new Set<string>();
  private active = 0;
  private running = false;
  private stopping = false;
  private polling = false;
  /**
   * The database probably holds more due work than the last poll could take (it claimed a full batch,
   * found no free slot, or messages were given back): the next freed slots poll at once instead of
   * waiting for the timer, which would cap a backlog at `concurrency` messages per poll interval.
   */
  private moreDue = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = {
    startedFromMemory: 0,
    claimedByPoller: 0,
    skipped: 0,
    sent: 0,
    failed: 0,
    retried: 0,
  };

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.db = options.db;
    this.runtime = options.runtime;
    this.instanceId = options.instanceId;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.concurrency = Math.max(1, options.concurrency ?? 1000);
    this.maxQueued = Math.max(0, options.maxQueued ?? 5_000);
    this.pollBatch = Math.max(1, options.pollBatch ?? 500);
    this.now = options.now ?? (() => new Date());
    this.routes = new RouteTable(options.db, options.runtime, { refreshMs: options.routeRefreshMs ?? 5000 });
    this.gates = new UnsettledGates((id) => {
      const config = options.runtime.get(id)?.config;
      return config === undefined ? undefined : config.sessions * config.window;
    });
    const names: UpstreamNames = (id) => options.runtime.get(id)?.config.name ?? null;
    this.writer = new ResultWriter(options.db, options.runtime, names, (written) => this.onWritten(written), {
      ...options.results,
      retry: options.retry,
      logger: options.logger,
      pendingIds: options.pendingIds,
    });
  }

  get stats(): DispatcherStats {
    return {
      queued: this.queue.length - this.queueHead,
      active: this.active,
      ...this.counters,
      unsettled: this.gates.stats(),
    };
  }

  /**
   * Starts dispatching: expires leases a previous run under the same instance id left (its work is
   * taken at once), loads the routes, starts the poller and the lease renewal. Call before the API
   * accepts messages.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const expired = await expireOwnLeases(this.db, this.instanceId);
    if (expired > 0) this.options.logger?.info({ messages: expired }, "taking back work of a previous run");
    await this.routes.start();
    this.running = true;
    this.stopping = false;
    const pollMs = this.options.pollIntervalMs ?? 1000;
    this.pollTimer = setInterval(() => {
      // A PATCH that widened an upstream is noticed here even when no commit frees a permit.
      this.gates.recheck();
      void this.poll();
    }, pollMs);
    this.pollTimer.unref();
    const renewMs = this.options.renewIntervalMs ?? Math.max(100, Math.floor(this.leaseMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), renewMs);
    this.renewTimer.unref();
    void this.poll();
  }

  /**
   * The accept pipeline's hand-over (see MessageSink). Never blocks or throws: while stopped, or beyond
   * `maxQueued`, messages are left to their lease and the poller.
   */
  enqueue(items: AcceptedMessage[]): void {
    if (!this.running) return;
    const room = this.maxQueued - (this.queue.length - this.queueHead);
    const taken = room >= items.length ? items : items.slice(0, Math.max(0, room));
    for (const item of taken) {
      this.queue.push(item);
      this.held.add(item.message.id);
    }
    if (taken.length < items.length) {
      const rest = items.slice(taken.length).map((i) => i.message.id);
      // Due once released: claimed as soon as slots free, not at the next tick.
      void this.giveBack(rest).then(() => {
        this.moreDue = true;
        this.pollIfRoom();
      });
    }
    this.pump();
  }

  /**
   * Stops taking work and drains: handed-over messages not yet started are given back to the poller,
   * submits in flight get up to `drainTimeoutMs` to finish and their results are stored. What is still
   * in flight after that keeps its lease until it runs out, and is then sent again by whichever
   * instance polls first (at-least-once).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const waiting = this.takeQueued(Number.MAX_SAFE_INTEGER).map((w) => w.message.id);
    for (const id of waiting) this.held.delete(id);
    await this.giveBack(waiting);
    // Attempts still waiting for room at a gate send nothing: they are stored as not sent (queued).
    this.gates.cancelWaiting();
    await this.whenIdle(this.options.drainTimeoutMs ?? 10_000);
    await this.writer.close();
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.routes.stop();
  }

  /** One poll now (the timer calls it too); resolves with the number of messages claimed. */
  async poll(): Promise<number> {
    // One poll at a time; a tick that finds one running is skipped (a slow database must not turn
    // the timer into back-to-back polls).
    if (!this.running || this.polling) return 0;
    // In-memory work first: the poller only fills the slots the hand-over leaves free.
    const free = this.freeSlots();
    if (free <= 0) {
      this.moreDue = true;
      return 0;
    }
    const limit = Math.min(free, this.pollBatch);
    this.polling = true;
    this.moreDue = false;
    this.active += limit; // reserved while the claim runs, so the hand-over cannot overbook
    let claimed: MessageRow[] = [];
    try {
      claimed = await claimDue(this.db, this.instanceId, this.leaseMs, limit);
      const parts = await partsByMessage(
        this.db,
        claimed.map((m) => m.id),
      );
      this.active -= limit - claimed.length;
      this.counters.claimedByPoller += claimed.length;
      for (const message of claimed) {
        this.held.add(message.id);
        void this.run({ message, parts: parts.get(message.id) ?? [] });
      }
    } catch (error) {
      // Claimed rows whose parts could not be read stay leased to us and come back when it runs out.
      this.active -= limit;
      this.options.logger?.warn({ err: error }, "polling for due messages failed");
    } finally {
      this.polling = false;
    }
    // A full batch: more is probably due, so the next poll does not wait for the timer.
    if (claimed.length === limit) {
      this.moreDue = true;
      if (this.running) setImmediate(() => void this.poll());
    }
    return claimed.length;
  }

  /** Slots neither taken nor promised to handed-over messages waiting here. */
  private freeSlots(): number {
    return this.concurrency - this.active - (this.queue.length - this.queueHead);
  }

  // ---- the hand-over ------------------------------------------------------------------------------

  private pump(): void {
    while (this.running && this.active < this.concurrency && this.queue.length > this.queueHead) {
      const batch = this.takeQueued(Math.min(this.concurrency - this.active, 500));
      this.active += batch.length;
      void this.startBatch(batch);
    }
  }

  private takeQueued(n: number): AcceptedMessage[] {
    const end = Math.min(this.queue.length, this.queueHead + n);
    const batch = this.queue.slice(this.queueHead, end);
    this.queueHead = end;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return batch;
  }

  /** Moves a batch of handed-over messages to `sending` (one statement) and dispatches the ones it got. */
  private async startBatch(batch: AcceptedMessage[]): Promise<void> {
    let started: Awaited<ReturnType<typeof startLeased>>;
    try {
      started = await startLeased(
        this.db,
        this.instanceId,
        batch.map((b) => b.message.id),
      );
    } catch (error) {
      // The database refused: these stay leased to us, so the poller takes them when the lease ends.
      this.options.logger?.warn({ err: error, messages: batch.length }, "starting messages failed");
      for (const item of batch) this.held.delete(item.message.id);
      this.release(batch.length);
      return;
    }
    const byId = new Map(started.map((s) => [s.id, s]));
    let skipped = 0;
    for (const item of batch) {
      const s = byId.get(item.message.id);
      if (s === undefined) {
        this.held.delete(item.message.id);
        skipped++;
        continue;
      }
      const message: MessageRow = {
        ...item.message,
        status: "sending",
        attempts: s.attempts,
        nextAttemptAt: s.nextAttemptAt,
        updatedAt: s.updatedAt,
        leaseOwner: this.instanceId,
        leaseExpiresAt: s.leaseExpiresAt,
      };
      void this.run({ message, parts: item.parts });
    }
    this.counters.startedFromMemory += started.length;
    this.counters.skipped += skipped;
    if (skipped > 0) this.release(skipped);
  }

  // ---- attempts and their results -----------------------------------------------------------------

  private async run(work: Work): Promise<void> {
    let result: DispatchResult;
    try {
      result = await runAttempt(
        {
          routes: this.routes,
          upstream: (id) => this.runtime.get(id),
          maxThrottleResends: this.options.maxThrottleResends ?? 50,
          stopping: () => this.stopping,
          now: this.now,
          partTimeoutMs: this.options.partTimeoutMs ?? 120_000,
          unsettled: (id) => this.gates.for(id),
          accepted: (messageId, upstreamId, id) => this.options.pendingIds?.add(messageId, upstreamId, id),
        },
        work.message,
        work.parts,
      );
    } catch (error) {
      // A fault of ours (runAttempt catches every SMPP failure): retried, counted, so it is bounded.
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger?.error({ err: error, message_id: work.message.id }, "dispatch attempt crashed");
      result = {
        message: work.message,
        parts: work.parts,
        upstreamId: null,
        submitted: [],
        replace: null,
        decision: { kind: "retry", counted: true, message, smppStatus: null },
      };
    }
    this.writer.add(result);
  }

  private onWritten(written: ReadonlyArray<{ result: DispatchResult; row: MessageRow | undefined }>): void {
    for (const { result, row } of written) {
      this.held.delete(result.message.id);
      if (row === undefined) continue;
      if (row.status === "queued") this.counters.retried++;
      else if (row.status === "failed") this.counters.failed++;
      else this.counters.sent++;
    }
    this.release(written.length);
  }

  private release(n: number): void {
    this.active -= n;
    if (this.active === 0 && this.queue.length === this.queueHead) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.pump();
    this.pollIfRoom();
  }

  /** Polls now when more is due and a quarter batch is free (a slot or two would cost a claim each). */
  private pollIfRoom(): void {
    if (this.moreDue && this.freeSlots() >= Math.min(this.pollBatch, this.concurrency) / 4) void this.poll();
  }

  private whenIdle(timeoutMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }

  // ---- leases -------------------------------------------------------------------------------------

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await renewLeases(this.db, this.instanceId, this.leaseMs, [...this.held]);
    } catch (error) {
      this.options.logger?.warn({ err: error, messages: this.held.size }, "renewing leases failed");
    }
  }

  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await releaseQueued(this.db, this.instanceId, ids);
    } catch (error) {
      // Not lost: the leases run out and the poller takes them.
      this.options.logger?.warn({ err: error, messages: ids.length }, "giving messages back failed");
    }
  }
}
