/**
 * Group commit of accepted messages (DESIGN.md §3). Requests queue here; a short linger (or a full
 * batch) sends everything queued as ONE statement (accept-statement.ts), and each request's promise
 * settles when that statement has committed. A few groups may be in flight at once so the database
 * connection pool stays busy; while all are, requests keep gathering into the next group, so batches
 * grow exactly when load does.
 *
 * Failure: a group the database refuses for being unreachable fails every request in it with
 * AcceptUnavailableError (503; nothing was stored). Any other failure is retried request by request,
 * so one bad request cannot fail its neighbours. A deadlock or serialization failure is retried whole.
 */
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { isDatabaseUnavailable, sqlState } from "../service-errors.js";
import { type KeyRow, keyId, runAcceptStatement } from "./accept-statement.js";
import { AcceptUnavailableError } from "./errors.js";
import type { IdempotencyClaim, StoredResponse } from "./idempotency.js";
import type { AcceptedMessage, MessageSink } from "./sink.js";

/** One request's worth of messages: committed together or not at all. */
export interface AcceptItem {
  accountId: string;
  messages: AcceptedMessage[];
  /** The request's Idempotency-Key with the response to store for repeats; null without a key. */
  idempotency: (IdempotencyClaim & { response: StoredResponse }) | null;
  /** Acceptance time (the key row's created_at). */
  now: Date;
}

/**
 * `committed`: the messages are stored. `repeat`: the request's Idempotency-Key already existed (or
 * an earlier request of the same group holds it); nothing was stored, answer from the stored key.
 */
export type AcceptOutcome = "committed" | "repeat";

export interface GroupCommitOptions {
  /** How long the first request of a group waits for company before the group is sent, in ms. Default 1. */
  lingerMs?: number;
  /** Most messages in one group (a request is never split, so a batch request may exceed it). Default 500. */
  maxGroupMessages?: number;
  /** Groups being committed at once; keep below the connection pool size. Default 4. */
  maxInFlight?: number;
  /** Most messages waiting for a group; beyond it requests fail at once with 503. Default 20000. */
  maxQueuedMessages?: number;
  /** Deadlock/serialization retries of one group before it fails. Default 2. */
  maxConflictRetries?: number;
}

export interface GroupCommitterDeps {
  db: Database;
  /** Receives committed immediate messages; null: no dispatcher on this instance. */
  sink: MessageSink | null;
  logger?: Logger | undefined;
}

/** Counters for tests, metrics and benchmarks. */
export interface GroupCommitStats {
  /** Accept statements run (one per group, plus retries). */
  statements: number;
  /** Groups committed. */
  groups: number;
  /** Messages committed. */
  messages: number;
  /** Largest group committed, in messages. */
  largestGroup: number;
}

interface Pending {
  item: AcceptItem;
  resolve: (outcome: AcceptOutcome) => void;
  reject: (error: unknown) => void;
}

const RETRYABLE_STATES = new Set(["40001", "40P01"]);

export class GroupCommitter {
  private readonly lingerMs: number;
  private readonly maxGroupMessages: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedMessages: number;
  private readonly maxConflictRetries: number;
  private queue: Pending[] = [];
  private queuedMessages = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly running = new Set<Promise<void>>();
  private readonly counters: GroupCommitStats = { statements: 0, groups: 0, messages: 0, largestGroup: 0 };

  constructor(
    private readonly deps: GroupCommitterDeps,
    options: GroupCommitOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 1;
    this.maxGroupMessages = options.maxGroupMessages ?? 500;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxQueuedMessages = options.maxQueuedMessages ?? 20_000;
    this.maxConflictRetries = options.maxConflictRetries ?? 2;
  }

  get stats(): Readonly<GroupCommitStats> {
    return { ...this.counters };
  }

  /** Queues a request's messages; resolves once they are committed (or found to be a repeat). */
  submit(item: AcceptItem): Promise<AcceptOutcome> {
    if (this.closed) {
      return Promise.reject(new AcceptUnavailableError("The service is shutting down.", 1));
    }
    const count = item.messages.length;
    if (this.queuedMessages > 0 && this.queuedMessages + count > this.maxQueuedMessages) {
      return Promise.reject(
        new AcceptUnavailableError("Too many messages are waiting for the database; retry shortly.", 1),
      );
    }
    return new Promise<AcceptOutcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.queuedMessages += count;
      if (this.inFlight >= this.maxInFlight) return; // a finishing group starts the next one
      if (this.queuedMessages >= this.maxGroupMessages) this.startGroups();
      else this.timer ??= setTimeout(() => this.onLinger(), this.lingerMs);
    });
  }

  /** Stops taking requests, commits what is queued, and waits for every group in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    while (this.queue.length > 0 || this.running.size > 0) {
      this.startGroups();
      await Promise.allSettled([...this.running]);
    }
  }

  private onLinger(): void {
    this.timer = undefined;
    this.startGroups();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts as many groups as there is room for, from the queue. */
  private startGroups(): void {
    this.clearTimer();
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      const run = this.commit(group).finally(() => {
        this.inFlight--;
        this.running.delete(run);
        // Whatever queued meanwhile has waited long enough.
        if (this.queue.length > 0) this.startGroups();
      });
      this.running.add(run);
    }
  }

  private takeGroup(): Pending[] {
    let messages = 0;
    let end = 0;
    while (end < this.queue.length) {
      const size = this.queue[end]?.item.messages.length ?? 0;
      if (end > 0 && messages + size > this.maxGroupMessages) break;
      messages += size;
      end++;
    }
    const group = this.queue.slice(0, end);
    this.queue = this.queue.slice(end);
    this.queuedMessages -= messages;
    return group;
  }

  private async commit(group: Pending[], attempt = 0): Promise<void> {
    let outcomes: AcceptOutcome[];
    try {
      outcomes = await this.execute(group.map((p) => p.item));
    } catch (error) {
      if (RETRYABLE_STATES.has(sqlState(error) ?? "") && attempt < this.maxConflictRetries) {
        return this.commit(group, attempt + 1);
      }
      if (group.length > 1 && !isDatabaseUnavailable(error)) {
        this.deps.logger?.warn({ err: error }, "group commit failed; committing its requests one by one");
        for (const pending of group) await this.commit([pending]);
        return;
      }
      this.deps.logger?.error({ err: error }, "accepting messages failed");
      const failure = new AcceptUnavailableError(
        "The message could not be stored; nothing was accepted. Retry the request.",
        isDatabaseUnavailable(error) ? 5 : 1,
        { cause: error },
      );
      for (const pending of group) pending.reject(failure);
      return;
    }
    this.handOver(group, outcomes);
    group.forEach((pending, i) => {
      pending.resolve(outcomes[i] ?? "repeat");
    });
  }

  /** Runs one accept statement for the items; the outcome of each, in order. */
  private async execute(items: AcceptItem[]): Promise<AcceptOutcome[]> {
    const keys: KeyRow[] = [];
    const leaders = new Map<string, number>();
    const messages: Array<{ row: AcceptedMessage["message"]; key: string | null }> = [];
    const parts: AcceptedMessage["parts"] = [];
    const included = items.map((item, i) => {
      const claim = item.idempotency;
      if (claim !== null) {
        const id = keyId(item.accountId, claim.key);
        // A second request with the same key in the same group waits for the first's answer.
        if (leaders.has(id)) return false;
        leaders.set(id, i);
        keys.push({
          accountId: item.accountId,
          key: claim.key,
          requestHash: claim.requestHash,
          responseStatus: claim.response.status,
          responseBody: claim.response.body,
          createdAt: item.now,
        });
      }
      for (const accepted of item.messages) {
        messages.push({ row: accepted.message, key: claim?.key ?? null });
        for (const part of accepted.parts) parts.push(part);
      }
      return true;
    });
    this.counters.statements++;
    const created = await runAcceptStatement(this.deps.db, { keys, messages, parts });
    const outcomes = items.map((item, i): AcceptOutcome => {
      if (!included[i]) return "repeat";
      if (item.idempotency === null) return "committed";
      return created.has(keyId(item.accountId, item.idempotency.key)) ? "committed" : "repeat";
    });
    let committed = 0;
    items.forEach((item, i) => {
      if (outcomes[i] === "committed") committed += item.messages.length;
    });
    this.counters.groups++;
    this.counters.messages += committed;
    this.counters.largestGroup = Math.max(this.counters.largestGroup, committed);
    return outcomes;
  }

  /** Gives the committed immediate messages to this instance's dispatcher. */
  private handOver(group: Pending[], outcomes: AcceptOutcome[]): void {
    const sink = this.deps.sink;
    if (sink === null) return;
    const ready: AcceptedMessage[] = [];
    group.forEach((pending, i) => {
      if (outcomes[i] !== "committed") return;
      for (const accepted of pending.item.messages) {
        if (accepted.message.status === "queued") ready.push(accepted);
      }
    });
    if (ready.length === 0) return;
    try {
      sink.enqueue(ready);
    } catch (error) {
      // The rows are committed and leased to us: when the lease runs out the poller sends them.
      this.deps.logger?.error({ err: error }, "the dispatcher refused accepted messages");
    }
  }
}
