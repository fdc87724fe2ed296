/**
 * Dispatch results to the database in batches (DESIGN.md §3): what each part got from the SMSC, how the
 * attempt ended for each message, and the outbox events of those changes, in ONE transaction per batch
 * (a few statements whatever its size). The same transaction matches receipts that arrived before the
 * part ids they name were stored.
 *
 * A batch that cannot be written (database down) is tried again with back-off until it is: these are
 * facts about what the SMSC already has, and the messages stay leased to this instance meanwhile. Their
 * parts' unsettled permits stay held too, so an upstream stops taking new parts once its gate is full
 * of results the database has not taken: a crash then resends no more than the gate.
 */
import type { Logger } from "pino";
import type { Database, Executor } from "../../db/client.js";
import { smscIdKey } from "../../db/smsc-id.js";
import { Batcher, WRITER_LINGER_MS } from "../dispatch/batcher.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import type { UnsettledPermit } from "../dispatch/unsettled.js";
import { appendEvents, type OutboxEvent, readAccountEndpoints } from "../events/outbox.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";
import { rollUpAndRecord } from "../receipts/apply.js";
import {
  applyWaitingReceipts,
  findWaitingReceipts,
  type LateMatches,
  type NewPartId,
} from "../receipts/unmatched.js";
import type { UpstreamDirectory } from "../receipts/writer.js";
import { refusesItsData, writeInHalves } from "../service-errors.js";
import type { PlannedPart } from "../submit/build.js";
import { eventTypeOf, messageEvent, type UpstreamNames } from "./message-events.js";
import type { MessageDecision, PartResult } from "./outcome.js";
import type { PendingIds } from "./pending-ids.js";
import {
  DEFAULT_RETRY_POLICY,
  dropExtraParts,
  failUnstored,
  type MessageWrite,
  type PartWrite,
  type RetryPolicy,
  writeMessages,
  writeParts,
} from "./statements.js";

/** A part as it was submitted, with what came back. */
export interface SubmittedPart {
  planned: PlannedPart;
  result: PartResult;
}

/** One message's dispatch attempt, finished. */
export interface DispatchResult {
  message: MessageRow;
  /** The parts as they were stored when the attempt started. */
  parts: readonly MessagePartRow[];
  /** Where it was routed; null when it was not (no route). */
  upstreamId: string | null;
  submitted: readonly SubmittedPart[];
  /** The attempt used a new split of `total` parts that replaces the stored parts; null: same split. */
  replace: { total: number } | null;
  decision: MessageDecision;
  /**
   * The permits this attempt still holds at its upstream's unsettled gate (dispatch/unsettled.ts):
   * released as soon as this result is committed, which is what bounds the parts a crash sends twice.
   */
  permit?: UnsettledPermit;
}

export interface ResultWriterOptions {
  /** Most messages per transaction. Default 500. */
  maxBatch?: number;
  /**
   * Transactions writing results at once. Default 4: every part's unsettled permit waits for its
   * commit, so with a small gate (sessions × window) throughput is permits over (submit round trip +
   * wait for a free transaction + commit), and more transactions in flight shorten the wait.
   */
  maxConcurrent?: number;
  retry?: Partial<RetryPolicy>;
  /** Back-off between tries of a batch the database refused; ms. Default 1000. */
  failureBackoffMs?: number;
  /** Wait before a batch starts while the writer has a transaction free; ms. Default {@link WRITER_LINGER_MS}. */
  lingerMs?: number;
  /**
   * SMSC ids not committed yet, which receipts wait for: each message's are settled once its batch is
   * committed, or failed (its receipts then take the unmatched path rather than wait for a retry).
   */
  pendingIds?: Pick<PendingIds, "settle">;
  /** Told after each COMMIT of the waiting receipts the new SMSC ids matched (the metrics count them). */
  onReceiptsMatched?: LateMatches | undefined;
  logger?: Logger | undefined;
}

export interface ResultWriterStats {
  /** Messages written. */
  messages: number;
  /** Transactions committed. */
  batches: number;
  /** Batches that had to be tried again. */
  failures: number;
}

/**
 * Called after a batch committed, with each result and the message row as it now stands (undefined if
 * the message was not `sending` any more, e.g. another instance finished it).
 */
export type OnWritten = (
  written: ReadonlyArray<{ result: DispatchResult; row: MessageRow | undefined }>,
) => void;

export class ResultWriter {
  private readonly batcher: Batcher<DispatchResult>;
  private readonly policy: RetryPolicy;
  private readonly counters: ResultWriterStats = { messages: 0, batches: 0, failures: 0 };
  private closing = false;

  constructor(
    private readonly db: Database,
    private readonly upstreams: UpstreamDirectory,
    private readonly names: UpstreamNames,
    private readonly onWritten: OnWritten,
    private readonly options: ResultWriterOptions = {},
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.batcher = new Batcher((items) => this.flush(items), {
      maxBatch: options.maxBatch ?? 500,
      maxConcurrent: options.maxConcurrent ?? 4,
      lingerMs: options.lingerMs ?? WRITER_LINGER_MS,
    });
  }

  get stats(): Readonly<ResultWriterStats> {
    return { ...this.counters };
  }

  /** Results waiting for a batch. */
  get pending(): number {
    return this.batcher.pending;
  }

  add(result: DispatchResult): void {
    this.batcher.add(result);
  }

  /** Writes everything queued; a batch the database keeps refusing is given up after a few tries. */
  async close(): Promise<void> {
    this.closing = true;
    await this.batcher.drain();
  }

  private async flush(items: DispatchResult[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows, lateReceipts } = await withConflictRetry(() =>
          this.db.transaction((tx) => this.write(tx, items)),
        );
        this.counters.batches++;
        this.counters.messages += items.length;
        this.settle(items);
        for (const item of items) item.permit?.release();
        this.onWritten(items.map((result) => ({ result, row: rows.get(result.message.id) })));
        if (lateReceipts.length > 0) this.options.onReceiptsMatched?.(lateReceipts);
        return;
      } catch (error) {
        if (refusesItsData(error)) return this.isolate(items, error);
        this.settle(items);
        this.counters.failures++;
        this.options.logger?.error({ err: error, messages: items.length, attempt }, "writing results failed");
        if (this.closing && attempt >= 3) {
          // Shutting down with the database away: the leases run out and the poller sends these again.
          for (const item of items) item.permit?.release();
          this.onWritten(items.map((result) => ({ result, row: undefined })));
          return;
        }
        await sleep(Math.min(30_000, (this.options.failureBackoffMs ?? 1000) * attempt));
      }
    }
  }

  /**
   * The database refused what the batch holds, not its turn: tried whole again it fails the same way
   * for good, holding every permit in it, and the upstream stops sending. Halves are written on their
   * own down to the one result refused alone. That message is then failed with RESULT_NOT_STORED (and
   * its message.failed event) by a statement that writes none of what was refused: left to its lease,
   * the poller would submit it again every lease period, for ever.
   */
  private async isolate(items: DispatchResult[], error: unknown): Promise<void> {
    if (items.length > 1) return writeInHalves(items, (half) => this.flush(half));
    const [item] = items;
    if (item === undefined) return;
    this.settle(items);
    this.counters.failures++;
    let row: MessageRow | undefined;
    try {
      row = await this.db.transaction(async (tx) => {
        const [failed] = await failUnstored(tx, [item.message.id]);
        if (failed !== undefined) {
          await appendEvents(tx, [messageEvent("message.failed", failed, item.parts, this.names)]);
        }
        return failed;
      });
    } catch (fallbackError) {
      // Not even that: the lease runs out and the poller sends it again.
      this.options.logger?.error(
        { err: fallbackError, message_id: item.message.id },
        "failing it failed too",
      );
    }
    this.options.logger?.error(
      { err: error, message_id: item.message.id, failed: row !== undefined },
      "the database refused this message's dispatch result; the message is failed RESULT_NOT_STORED",
    );
    item.permit?.release();
    this.onWritten([{ result: item, row }]);
  }

  private settle(items: readonly DispatchResult[]): void {
    const pending = this.options.pendingIds;
    if (pending !== undefined) for (const item of items) pending.settle(item.message.id);
  }

  /** One batch in one transaction; returns the message rows as written and the upstream of each waiting receipt matched. */
  private async write(
    tx: Executor,
    items: readonly DispatchResult[],
  ): Promise<{ rows: Map<string, MessageRow>; lateReceipts: string[] }> {
    const partWrites: PartWrite[] = [];
    const newIds: NewPartId[] = [];
    const replaceIds: string[] = [];
    const totals: Array<{ messageId: string; total: number }> = [];
    const messageWrites: MessageWrite[] = [];
    for (const item of items) {
      const messageId = item.message.id;
      if (item.replace !== null) {
        replaceIds.push(messageId);
        totals.push({ messageId, total: item.replace.total });
      }
      for (const { planned, result } of item.submitted) {
        const write = partWrite(messageId, item.upstreamId ?? "", planned, result);
        partWrites.push(write);
        if (write.smscMessageId !== null && write.sentAt !== null) {
          newIds.push({
            upstreamId: write.upstreamId,
            smscMessageId: write.smscMessageId,
            messageId,
            index: write.index,
            sentAt: write.sentAt,
          });
        }
      }
      messageWrites.push(messageWrite(item));
    }

    // Sent together (pipelined on the transaction's connection, run by the server in this order): none
    // needs another's result, and every round trip here lengthens the cycle that frees the upstream's
    // unsettled permits, which bounds its throughput (permits per cycle).
    const [partRows, , messageRows, endpoints, waiting] = await Promise.all([
      writeParts(tx, partWrites, replaceIds),
      dropExtraParts(tx, totals),
      writeMessages(tx, messageWrites, this.policy),
      readAccountEndpoints(
        tx,
        items.map((item) => item.message.accountId),
      ),
      findWaitingReceipts(tx, newIds, this.upstreams),
    ]);

    const written = new Map(messageRows.map((m) => [m.id, m]));
    const partsNow = currentParts(items, partRows);
    const events: OutboxEvent[] = [];
    const rollUp: string[] = [];
    for (const item of items) {
      const row = written.get(item.message.id);
      if (row === undefined) continue;
      const type = eventTypeOf(row.status);
      if (type !== null) events.push(messageEvent(type, row, partsNow.get(row.id) ?? [], this.names));
      // Parts accepted in an earlier attempt may have been receipted while this one ran.
      if (row.status === "sent" && item.parts.some((p) => p.smscMessageId !== null)) rollUp.push(row.id);
    }
    // message.sent is recorded before any message.delivered the waiting receipts below may cause.
    await appendEvents(tx, events, endpoints);
    const receipted = await applyWaitingReceipts(tx, waiting, this.names);
    const settled = await rollUpAndRecord(tx, rollUp, this.names);
    for (const row of [...receipted, ...settled]) written.set(row.id, row);
    return { rows: written, lateReceipts: waiting.map((w) => w.receipt.upstream_id) };
  }
}

function partWrite(
  messageId: string,
  upstreamId: string,
  planned: PlannedPart,
  result: PartResult,
): PartWrite {
  const base = {
    messageId,
    index: planned.index,
    text: planned.text,
    shortMessage: planned.body.short_message,
    esmClass: planned.body.esm_class,
    dataCoding: planned.body.data_coding,
    upstreamId,
  };
  if (result.ok) {
    return {
      ...base,
      status: "sent",
      smscMessageId: result.smscMessageId,
      smscIdKey: smscIdKey(result.smscMessageId),
      commandStatus: 0,
      sentAt: result.sentAt,
    };
  }
  const failure = result.failure;
  return {
    ...base,
    status: failure.kind === "permanent" ? "failed" : "pending",
    smscMessageId: null,
    smscIdKey: null,
    commandStatus: failure.status,
    sentAt: null,
  };
}

function messageWrite(item: DispatchResult): MessageWrite {
  const d = item.decision;
  const common = { id: item.message.id, upstreamId: item.upstreamId };
  switch (d.kind) {
    case "sent":
      return {
        ...common,
        kind: "sent",
        errorCode: null,
        errorMessage: null,
        smppStatus: null,
        refund: false,
      };
    case "failed":
      return {
        ...common,
        kind: "failed",
        errorCode: d.code,
        errorMessage: d.message,
        smppStatus: d.smppStatus,
        refund: false,
      };
    case "retry":
      return {
        ...common,
        kind: "retry",
        errorCode: null,
        errorMessage: d.message,
        smppStatus: d.smppStatus,
        refund: !d.counted,
      };
  }
}

/** Each message's parts after the write: the stored ones overlaid with the rows just written. */
function currentParts(
  items: readonly DispatchResult[],
  written: readonly MessagePartRow[],
): Map<string, MessagePartRow[]> {
  const fresh = new Map<string, MessagePartRow>();
  for (const row of written) fresh.set(`${row.messageId}\u0000${row.index}`, row);
  const out = new Map<string, MessagePartRow[]>();
  for (const item of items) {
    const byIndex = new Map<number, MessagePartRow>();
    for (const part of item.parts) byIndex.set(part.index, part);
    for (const { planned } of item.submitted) {
      const row = fresh.get(`${item.message.id}\u0000${planned.index}`);
      if (row !== undefined) byIndex.set(row.index, row);
    }
    const total = item.replace?.total;
    const list = [...byIndex.values()].filter((p) => total === undefined || p.index <= total);
    out.set(
      item.message.id,
      list.sort((a, b) => a.index - b.index),
    );
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
