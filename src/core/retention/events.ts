/**
 * Retention of the outbox: one batch of events older than the cutoff, deleted with their webhook
 * deliveries and those deliveries' attempts, but only events none of whose deliveries is still waiting
 * (`pending`, or `failed` with another attempt scheduled): a delivery still retrying must not vanish,
 * and its event is what it sends.
 *
 * webhook_deliveries has no index on event_id (each index is a write per insert and per status change
 * of the busiest table) and no foreign key to events (its cascade would scan the table per event). The
 * deliveries of a batch are found by primary-key range instead: they are only ever made with their
 * event, in the same synchronous loop of one process (events/outbox.ts), whose ids never go back in
 * time, so a delivery's id encodes a time at or just after its event's, within
 * {@link DELIVERY_ID_SLACK_MS}.
 *
 * Locks are taken with SKIP LOCKED only: two sweeps take different events, and a delivery that another
 * transaction holds (a manual retry, an endpoint being deleted) keeps its event for a later sweep.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { countRows } from "../../db/count-rows.js";
import { firstIdAt, idTime } from "../ids.js";
import { lockOldRows } from "./old-rows.js";

/**
 * How long after its event's id a delivery's id may have been made. They are made microseconds apart;
 * the margin only widens the id range read per batch by this much of traffic.
 */
export const DELIVERY_ID_SLACK_MS = 2_000;

export interface EventBatch {
  /** Events looked at; fewer than the limit means none is left after `last`. */
  scanned: number;
  /** The greatest id looked at: the next batch starts after it. */
  last: string | undefined;
  events: number;
  webhook_deliveries: number;
  webhook_attempts: number;
}

/** Deletes up to `limit` events with id greater than `after` made before `cutoff`, as described above. */
export async function deleteOldEvents(
  tx: Executor,
  cutoff: Date,
  limit: number,
  after = "",
): Promise<EventBatch> {
  const ids = await lockOldRows(tx, "events", cutoff, limit, after);
  const batch: EventBatch = {
    scanned: ids.length,
    last: ids.at(-1),
    events: 0,
    webhook_deliveries: 0,
    webhook_attempts: 0,
  };
  const first = idTime(ids[0] ?? "");
  const last = idTime(ids.at(-1) ?? "");
  if (first === null || last === null) return batch;

  const deliveries = await queryRows<{ id: string; event_id: string }>(
    tx,
    sql`SELECT id, event_id FROM webhook_deliveries
        WHERE id >= ${firstIdAt("whd", first)} AND id < ${firstIdAt("whd", last + DELIVERY_ID_SLACK_MS)}
          AND event_id = ANY(${sql.param(ids)}::text[])`,
  );
  // Only settled deliveries are locked, on their latest version: one still waiting, one a manual retry
  // revived since the read above, and one another transaction holds are not, and keep their event.
  const locked = new Set(
    (
      await queryRows<{ id: string }>(
        tx,
        sql`SELECT id FROM webhook_deliveries
            WHERE id = ANY(${sql.param(deliveries.map((d) => d.id))}::text[])
              AND status IN ('succeeded', 'dead')
            FOR UPDATE SKIP LOCKED`,
      )
    ).map((d) => d.id),
  );
  const kept = new Set(deliveries.filter((d) => !locked.has(d.id)).map((d) => d.event_id));
  const doomedEvents = ids.filter((id) => !kept.has(id));
  const doomedDeliveries = deliveries.filter((d) => !kept.has(d.event_id)).map((d) => d.id);
  if (doomedEvents.length === 0) return batch;

  // The attempts would go by cascade (indexed by delivery); deleted first so they are counted.
  batch.webhook_attempts = await countRows(
    tx,
    sql`DELETE FROM webhook_attempts WHERE delivery_id = ANY(${sql.param(doomedDeliveries)}::text[]) RETURNING 1`,
  );
  batch.webhook_deliveries = await countRows(
    tx,
    sql`DELETE FROM webhook_deliveries WHERE id = ANY(${sql.param(doomedDeliveries)}::text[]) RETURNING 1`,
  );
  batch.events = await countRows(
    tx,
    sql`DELETE FROM events WHERE id = ANY(${sql.param(doomedEvents)}::text[]) RETURNING 1`,
  );
  return batch;
}
