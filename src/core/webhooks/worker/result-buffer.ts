/**
 * The outcomes of attempts on their way to the database: each outcome turned into the delivery's next
 * state (succeeded, retried on the schedule, dead; 410 Gone disables the endpoint), gathered, and
 * written in batches one write at a time (results.ts), with the endpoints to disable and the claimed
 * rows to give back unsent. What a write fails to store is kept for the next one.
 */
import type { Logger } from "pino";
import type { Database } from "../../../db/client.js";
import type { DeliveryToSend } from "../../events/outbox.js";
import { newId } from "../../ids.js";
import { refusesItsData, writeInHalves } from "../../service-errors.js";
import { releaseDeliveries } from "./claim.js";
import type { WebhookWorkerStats } from "./options.js";
import { type AttemptResult, disableGoneEndpoints, endUnrecorded, writeAttemptResults } from "./results.js";
import { nextRetryDelay, type RetryPolicy } from "./schedule.js";
import type { SendOutcome } from "./send.js";

/** Outcomes written at once; fewer wait up to RESULT_LINGER_MS for more. */
const RESULT_BATCH_MIN = 64;
const RESULT_LINGER_MS = 10;

/** What the worker lends the buffer. */
export interface ResultHost {
  /** Whether the worker runs; once stopped, every outcome is written at once. */
  running(): boolean;
  /** The endpoint behind gate `key` answered 410 Gone: its queued rows must not be sent. */
  dropQueued(key: string): void;
}

/** The counters the buffer keeps (the worker's stats). */
type ResultCounters = Pick<WebhookWorkerStats, "resultWrites" | "resultRows" | "resultWriteMs" | "released">;

export class ResultBuffer {
  private pending: AttemptResult[] = [];
  private gone = new Set<string>();
  /** Claimed rows whose lease ran too short to send them: released by the next flush. */
  private unsent: string[] = [];
  /** The result write running, if any: one at a time (see {@link requestFlush}). */
  private flushing: Promise<void> | undefined;
  private flushQueued = false;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly owner: string,
    private readonly policy: RetryPolicy,
    private readonly host: ResultHost,
    /** Counted into. */
    private readonly counters: ResultCounters,
    private readonly logger: Logger | undefined,
  ) {}

  /** Outcomes not yet written: they count against the worker's hard cap. */
  get size(): number {
    return this.pending.length;
  }

  /** The outcome of an attempt of `row`, sent through gate `key`. */
  record(key: string, row: DeliveryToSend, attemptedAt: Date, outcome: SendOutcome): void {
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
        this.host.dropQueued(key);
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

  /** A claimed row not sent (its lease ran short): given back, due at once, by a flush started now. */
  release(id: string): void {
    this.unsent.push(id);
    this.requestFlush();
  }

  /**
   * Flushes at once when a batch's worth of outcomes waits, else within {@link RESULT_LINGER_MS}. At a
   * moderate rate sends finish one by one, and each write carried 2 outcomes (bench:kannel with a
   * 200/s SMSC); under full load outcomes pile up while a write runs, and nothing lingers.
   */
  private flushSoon(): void {
    if (this.pending.length >= RESULT_BATCH_MIN || !this.host.running()) {
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
  requestFlush(): void {
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

  /** Flushes until nothing is left, giving up after a few rounds that write nothing (stop). */
  async drain(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.flushing;
      if (this.pending.length === 0 && this.gone.size === 0 && this.unsent.length === 0) return;
      const before = this.pending.length;
      this.requestFlush();
      await this.flushing;
      if (this.pending.length >= before && round >= 2) return;
    }
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
}
