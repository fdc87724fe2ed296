/**
 * The messages service behind /v1/messages: accept (validate, rate-limit, prepare, group commit,
 * Idempotency-Key), preview, read and cancel. One per process; main hands it to the API.
 */
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import type { SegmentPreview } from "../../smpp/text/index.js";
import type { Page, PageRequest } from "../pagination.js";
import { ConflictError } from "../service-errors.js";
import { type AcceptItem, type GroupCommitOptions, type GroupCommitStats, GroupCommitter } from "./accept.js";
import { AccountRateLimiter } from "./account-rate.js";
import { AccountSettingsCache, type AccountSettingsOptions } from "./account-settings.js";
import { MessageValidationError, RateLimitedError } from "./errors.js";
import {
  type IdempotencyClaim,
  replayStored,
  requestHash,
  type StoredResponse,
  sweepIdempotencyKeys,
} from "./idempotency.js";
import { ConcatRefs, type LeaseOptions, prepareMessage } from "./prepare.js";
import { cancelMessage, getMessage, listMessages, type MessageFilter } from "./queries.js";
import { type MessageJson, serializeMessage } from "./serialize.js";
import type { AcceptedMessage, MessageSink } from "./sink.js";
import type { RequestedEncoding, SendRequest, ValidMessage } from "./types.js";
import { type ValidationContext, validateSend } from "./validate/message.js";
import { checkText } from "./validate/text.js";

/** Default of {@link MessageServiceOptions.keySweepIntervalMs}: 10 minutes. */
export const DEFAULT_KEY_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Default of {@link MessageServiceOptions.leaseMs}: 30 s. */
export const DEFAULT_ACCEPT_LEASE_MS = 30_000;

export interface MessageServiceOptions {
  db: Database;
  /**
   * This instance's dispatcher: every group commit hands it the immediate messages just committed
   * (see sink.ts). Absent: immediate messages are stored `queued` without a lease and the poller of
   * any instance sends them.
   */
  sink?: MessageSink | undefined;
  /** This instance's id, written to `lease_owner` of the messages handed to `sink`. Required with `sink`. */
  instanceId?: string | undefined;
  /**
   * How long the hand-over claim keeps other instances' pollers off a just-accepted message, in ms.
   * Default {@link DEFAULT_ACCEPT_LEASE_MS}. The dispatcher renews it while it holds the message.
   */
  leaseMs?: number | undefined;
  /** Batch size, linger and concurrency of the group commit (see accept.ts for the defaults). */
  groupCommit?: GroupCommitOptions | undefined;
  /** How long account settings (default_from, max_tps) are cached (default 5000 ms). */
  accountSettings?: AccountSettingsOptions | undefined;
  /**
   * Idempotency keys older than 24 h are deleted in the background, at most once per this interval,
   * started by an accept (no timer of its own), in ms. Default {@link DEFAULT_KEY_SWEEP_INTERVAL_MS};
   * 0 sweeps after every accept.
   */
  keySweepIntervalMs?: number | undefined;
  /** Past `send_at` still taken as "now", in ms. Default 30000. */
  sendAtToleranceMs?: number | undefined;
  /** Take status_callback_url on private addresses (WEBHOOK_ALLOW_PRIVATE). Default false. */
  allowPrivateCallbacks?: boolean | undefined;
  /** Wall clock in ms since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Monotonic clock for the per-account rate, in ms. Default `performance.now`. */
  monotonic?: (() => number) | undefined;
  logger?: Logger | undefined;
}

/**
 * What an accepting request answers: a fresh 202, or the stored response of its Idempotency-Key (only
 * 202s are stored, so a repeat is a 202 with the first body).
 */
export interface AcceptResponse<T> {
  status: 202;
  body: T;
  /** True when answered from an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface BatchBody {
  data: MessageJson[];
}

/** Operation names in the request fingerprint: a key reused across endpoints is a different request. */
const SEND = "POST /v1/messages";
const SEND_BATCH = "POST /v1/messages/batch";

export class MessageService {
  private readonly db: Database;
  private readonly committer: GroupCommitter;
  private readonly settings: AccountSettingsCache;
  private readonly rate: AccountRateLimiter;
  private readonly refs = new ConcatRefs();
  private readonly lease: LeaseOptions | null;
  private readonly clock: () => number;
  private readonly sendAtToleranceMs: number | undefined;
  private readonly allowPrivateCallbacks: boolean;
  private readonly keySweepIntervalMs: number;
  private readonly logger: Logger | undefined;
  /** Wall-clock time of the last sweep start; the first accept of a process sweeps. */
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweeping: Promise<number> | null = null;

  constructor(options: MessageServiceOptions) {
    this.db = options.db;
    const sink = options.sink ?? null;
    if (sink !== null && options.instanceId === undefined) {
      throw new TypeError("MessageService: a sink needs the instanceId its messages are leased to");
    }
    this.lease =
      sink === null || options.instanceId === undefined
        ? null
        : { instanceId: options.instanceId, leaseMs: options.leaseMs ?? DEFAULT_ACCEPT_LEASE_MS };
    this.committer = new GroupCommitter(
      { db: options.db, sink, logger: options.logger },
      options.groupCommit,
    );
    this.settings = new AccountSettingsCache(options.db, {
      ...options.accountSettings,
      now: options.accountSettings?.now ?? options.monotonic,
    });
    this.rate = new AccountRateLimiter({ now: options.monotonic });
    this.clock = options.clock ?? Date.now;
    this.sendAtToleranceMs = options.sendAtToleranceMs;
    this.allowPrivateCallbacks = options.allowPrivateCallbacks ?? false;
    this.keySweepIntervalMs = options.keySweepIntervalMs ?? DEFAULT_KEY_SWEEP_INTERVAL_MS;
    this.logger = options.logger;
  }

  /** Group commit counters (statements, groups, messages). */
  get stats(): Readonly<GroupCommitStats> {
    return this.committer.stats;
  }

  /**
   * Accepts one message: 202 with the Message once committed. Throws MessageValidationError (422),
   * RateLimitedError (429), ConflictError (409, key reused with another body) or
   * AcceptUnavailableError (503).
   */
  async send(
    accountId: string,
    request: SendRequest,
    idempotencyKey?: string,
  ): Promise<AcceptResponse<MessageJson>> {
    const now = new Date(this.clock());
    const claim = this.claim(idempotencyKey, SEND, request);
    const { defaultFrom, maxTps } = await this.settings.get(accountId);
    const result = validateSend(request, this.context(defaultFrom, now));
    if (!result.ok) return this.refuse(accountId, claim, now, new MessageValidationError(result.issues));
    const wait = this.rate.admit(accountId, maxTps, 1);
    if (wait !== null) return this.refuse(accountId, claim, now, new RateLimitedError(wait, maxTps ?? 0));

    const accepted = this.prepare(result.value, accountId, now);
    const body = serializeMessage(accepted.message, accepted.parts, null);
    return this.accept({ accountId, messages: [accepted], now }, claim, body);
  }

  /** Accepts 1–1000 messages all or nothing: one invalid item fails the request with every item's issues. */
  async sendBatch(
    accountId: string,
    requests: SendRequest[],
    idempotencyKey?: string,
  ): Promise<AcceptResponse<BatchBody>> {
    const now = new Date(this.clock());
    const claim = this.claim(idempotencyKey, SEND_BATCH, requests);
    const { defaultFrom, maxTps } = await this.settings.get(accountId);
    const context = this.context(defaultFrom, now);
    const valid: ValidMessage[] = [];
    const issues: MessageValidationError["issues"] = [];
    requests.forEach((request, i) => {
      const result = validateSend(request, context, `messages.${i}.`);
      if (result.ok) valid.push(result.value);
      else issues.push(...result.issues);
    });
    if (issues.length > 0) return this.refuse(accountId, claim, now, new MessageValidationError(issues));
    const wait = this.rate.admit(accountId, maxTps, requests.length);
    if (wait !== null) return this.refuse(accountId, claim, now, new RateLimitedError(wait, maxTps ?? 0));

    const messages = valid.map((v) => this.prepare(v, accountId, now));
    const body = { data: messages.map((m) => serializeMessage(m.message, m.parts, null)) };
    return this.accept({ accountId, messages, now }, claim, body);
  }

  /** The encoding and segments a text would be sent with; nothing is stored. Throws MessageValidationError. */
  preview(text: string, encoding: RequestedEncoding = "auto"): SegmentPreview {
    const result = checkText(text, encoding);
    if (!result.ok) throw new MessageValidationError([result.issue]);
    return result.preview;
  }

  get(accountId: string, id: string): Promise<MessageJson> {
    return getMessage(this.db, accountId, id);
  }

  list(accountId: string, filter: MessageFilter, page: PageRequest): Promise<Page<MessageJson>> {
    return listMessages(this.db, accountId, filter, page);
  }

  cancel(accountId: string, id: string): Promise<MessageJson> {
    return cancelMessage(this.db, accountId, id);
  }

  /**
   * Deletes idempotency keys past their 24 h (see idempotency.ts); returns how many. Runs by itself
   * from accepts every `keySweepIntervalMs`; a sweep already running is joined, not doubled.
   */
  sweepIdempotencyKeys(): Promise<number> {
    this.sweeping ??= sweepIdempotencyKeys(this.db, new Date(this.clock())).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** Commits what is queued, stops accepting, and waits for a key sweep in progress. */
  async close(): Promise<void> {
    await this.committer.close();
    await this.sweeping?.catch(() => 0);
  }

  private claim(key: string | undefined, operation: string, body: unknown): IdempotencyClaim | null {
    if (key === undefined) return null;
    this.maybeSweep();
    return { key, requestHash: requestHash(operation, body) };
  }

  /** Starts a background key sweep when the interval has passed since the last one. */
  private maybeSweep(): void {
    const now = this.clock();
    if (this.sweeping !== null || now - this.lastSweepAt < this.keySweepIntervalMs) return;
    this.lastSweepAt = now;
    this.sweepIdempotencyKeys().catch((error: unknown) => {
      this.logger?.warn(
        { err: error },
        "sweeping expired idempotency keys failed; the next interval retries",
      );
    });
  }

  /**
   * Forgets the cached settings (default_from, max_tps) of an account this instance just changed, so its
   * next send uses them. Other instances see the change when their cache entry expires.
   */
  accountChanged(accountId: string): void {
    this.settings.invalidate(accountId);
  }

  private context(defaultFrom: string | null, now: Date): ValidationContext {
    return {
      defaultFrom,
      now: now.getTime(),
      sendAtToleranceMs: this.sendAtToleranceMs,
      allowPrivateCallbacks: this.allowPrivateCallbacks,
    };
  }

  private prepare(valid: ValidMessage, accountId: string, now: Date): AcceptedMessage {
    const ref = valid.partTexts.length > 1 ? this.refs.take() : 0;
    return prepareMessage(valid, accountId, now, ref, this.lease);
  }

  /** Commits admitted messages; their rate tokens go back when they were not what got stored. */
  private async accept<T>(
    item: Omit<AcceptItem, "idempotency">,
    claim: IdempotencyClaim | null,
    body: T,
  ): Promise<AcceptResponse<T>> {
    let response: AcceptResponse<T>;
    try {
      response = await this.commit(item, claim, body);
    } catch (error) {
      this.rate.refund(item.accountId, item.messages.length);
      throw error;
    }
    if (response.replayed) this.rate.refund(item.accountId, item.messages.length);
    return response;
  }

  private async commit<T>(
    item: Omit<AcceptItem, "idempotency">,
    claim: IdempotencyClaim | null,
    body: T,
  ): Promise<AcceptResponse<T>> {
    // Stored as a JSON string value, not a jsonb object: jsonb would reorder the keys, and the repeat
    // must get the first response as it was.
    const idempotency =
      claim === null ? null : { ...claim, response: { status: 202, body: JSON.stringify(body) } };
    const outcome = await this.committer.submit({ ...item, idempotency });
    if (outcome === "committed" || claim === null) return { status: 202, body, replayed: false };
    const stored = await replayStored(this.db, item.accountId, claim, item.now);
    if (stored === null) {
      // The key expired between the two statements: vanishingly rare, and a retry will take it over.
      throw new ConflictError("This Idempotency-Key is being renewed; retry the request.");
    }
    return replay<T>(stored);
  }

  /**
   * A request that cannot be accepted now may still be the repeat of one that was (its send_at has
   * since passed, or the account is over its rate): with a key, the stored response wins.
   */
  private async refuse<T>(
    accountId: string,
    claim: IdempotencyClaim | null,
    now: Date,
    error: Error,
  ): Promise<AcceptResponse<T>> {
    if (claim !== null) {
      const stored = await replayStored(this.db, accountId, claim, now);
      if (stored !== null) return replay<T>(stored);
    }
    throw error;
  }
}

/**
 * The stored first response. Only 202 bodies this service rendered are stored (as JSON text), so the
 * parse gives back the `T` it was made from.
 */
function replay<T>(stored: StoredResponse): AcceptResponse<T> {
  const body = (typeof stored.body === "string" ? JSON.parse(stored.body) : stored.body) as T;
  return { status: 202, body, replayed: true };
}
