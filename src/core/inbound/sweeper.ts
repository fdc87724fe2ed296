/**
 * Surfaces concatenated inbound SMS whose set never completed: once a segment has waited
 * `incompleteAfterMs`, the segments that did arrive become one inbound message flagged `incomplete`
 * (and its `inbound.received` event), so a lost segment does not hide the rest forever. Runs on every
 * instance; the group locks the processor takes keep two instances (or a late segment) from surfacing
 * or completing the same set twice. It also deletes what recognises repeats (joined segments, repeat
 * keys of whole SMS) once past its retention.
 */

import type { Logger } from "pino";
import type { Database, Transaction } from "../../db/client.js";
import { withConflictRetry } from "../dispatch/conflict-retry.js";
import { SweepLoop } from "../sweep-loop.js";
import { assembleGroups, type InboundStored, recordInbound } from "./record.js";
import {
  deleteExpired,
  findDueGroups,
  loadPendingParts,
  lockGroups,
  type StoredInbound,
} from "./statements.js";

export interface InboundSweeperOptions {
  /** How long a segment waits for its siblings before its set is surfaced incomplete; ms. Default 86_400_000 (24 h). */
  incompleteAfterMs?: number;
  /** Pause between sweeps; ms. Default 60_000. */
  intervalMs?: number;
  /** Most sets surfaced per transaction; a sweep runs transactions until none is due. Default 100. */
  batchSize?: number;
  /**
   * How long what recognises a repeat is kept: segments already joined into a message, and the repeat
   * keys of whole SMS (see the processor's `repeatWindowMs`, which this should not undercut); ms.
   * Default 3_600_000 (1 h).
   */
  repeatRetentionMs?: number;
  /** Told after each COMMIT of the incomplete messages it surfaced (the metrics count them). Default none. */
  onStored?: InboundStored | undefined;
  logger?: Logger | undefined;
}

export class InboundSweeper {
  private readonly incompleteAfterSeconds: number;
  private readonly batchSize: number;
  private readonly retentionSeconds: number;
  private readonly loop: SweepLoop;

  constructor(
    private readonly db: Database,
    private readonly options: InboundSweeperOptions = {},
  ) {
    this.incompleteAfterSeconds = (options.incompleteAfterMs ?? 86_400_000) / 1000;
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.retentionSeconds = (options.repeatRetentionMs ?? 3_600_000) / 1000;
    this.loop = new SweepLoop(
      () => this.sweepOnce(),
      Math.max(1, options.intervalMs ?? 60_000),
      (error) => this.options.logger?.error({ err: error }, "inbound sweep failed"),
    );
  }

  /** Sweeps now and then every `intervalMs` until {@link stop}. */
  start(): void {
    this.loop.start();
  }

  /** Stops the timer and waits for a running sweep to finish. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * One sweep: surfaces every due set, then deletes joined segments and repeat keys past their
   * retention; returns how many inbound messages it created.
   */
  async sweepOnce(): Promise<number> {
    let created = 0;
    // Bounded: each round surfaces its groups (their parts leave the pending index) or finds none due.
    for (let round = 0; round < 1000; round++) {
      const n = await withConflictRetry(() => this.db.transaction((tx) => this.sweepBatch(tx)));
      created += n.created.length;
      if (n.created.length > 0) this.options.onStored?.(n.created);
      if (n.groups < this.batchSize) break;
    }
    const deleteLimit = this.batchSize * 10;
    for (const what of ["joined parts", "repeat keys"] as const) {
      for (let round = 0; round < 1000; round++) {
        const deleted = await deleteExpired(this.db, what, this.retentionSeconds, deleteLimit);
        if (deleted < deleteLimit) break;
      }
    }
    return created;
  }

  private async sweepBatch(tx: Transaction): Promise<{ groups: number; created: StoredInbound[] }> {
    const due = await findDueGroups(tx, this.incompleteAfterSeconds, this.batchSize);
    if (due.length === 0) return { groups: 0, created: [] };
    await lockGroups(tx, due);
    // Read again under the locks: a segment committed meanwhile may have completed a set.
    const pending = await loadPendingParts(tx, due);
    const records = assembleGroups(pending, { incomplete: true });
    const stored = await recordInbound(tx, records, { logger: this.options.logger });
    for (const r of records) {
      if (r.message.incomplete) {
        this.options.logger?.warn(
          { inbound_id: r.message.id, segments: r.message.segments, upstream_id: r.message.upstreamId },
          "concatenated inbound SMS surfaced with segments missing",
        );
      }
    }
    return { groups: due.length, created: stored };
  }
}
