/**
 * The claim: one statement takes due deliveries and leases them to this worker, returning everything a
 * send needs (event body, signing secrets), so a batch of hundreds costs one round trip.
 *
 * Shaped this way because:
 * - `FOR UPDATE SKIP LOCKED` lets several instances claim at once without waiting on each other; only
 *   the rows picked are locked (locking every row looked at costs a heap write each), and the due
 *   condition is re-checked on the locked row;
 * - the picked ids go through `= ANY(ARRAY(…))`: the planner then expects a handful of rows and looks
 *   each up by primary key, where a join on the CTE (estimated at the scan's LIMIT) made it hash whole
 *   tables (170 ms against 30 ms for 128 rows out of 20,000);
 * - the lease is `next_attempt_at` pushed `lease` into the future (and recorded in lease_owner /
 *   lease_expires_at): a leased row is simply not due, so the due index alone finds work, and the rows
 *   of a worker that died become due again when its lease runs out — no sweeper needed;
 * - a gate (an endpoint, or for status_callback targets the origin of the URL: see {@link gateOf}) gets
 *   at most its room in this worker's memory per claim (a fixed amount for gates the worker does not
 *   hold; more for a receiver that answers fast), and gates without room are not even looked at, so one
 *   receiver's backlog cannot fill the worker while others wait;
 * - a status_callback delivery (no endpoint) is signed with the account's oldest endpoint's secret,
 *   looked up once per account in the batch (callbacks of one account often fill a whole claim).
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../../db/client.js";
import { countRows } from "../../../db/count-rows.js";
import type { DeliveryToSend } from "../../events/outbox.js";

/**
 * The fairness gate of a delivery: its endpoint, or for a status_callback target (no endpoint) the
 * scheme, authority and port of its URL as written, lower-cased. Callback URLs usually differ per
 * message (`…/dlr?id=123`) while naming one receiver; gated by whole URL, one slow receiver could take
 * every send slot of the worker. {@link GATE_SQL} is the same function in SQL: the claim caps and skips
 * gates by it, so the two must agree (a test checks them against each other).
 */
const ORIGIN_PREFIX = /^[^/]*\/\/[^/?#]*/;

export function gateOf(endpointId: string | null, url: string): string {
  if (endpointId !== null) return endpointId;
  return (ORIGIN_PREFIX.exec(url)?.[0] ?? url).toLowerCase();
}

/** {@link gateOf} over a `webhook_deliveries` row. */
export const GATE_SQL = sql.raw(
  `coalesce(endpoint_id, lower(coalesce(substring(url from '^[^/]*//[^/?#]*'), url)))`,
);

/**
 * A delivery's signing secrets as the columns `secret_enc` and `previous_secret_enc` (the previous one
 * only while it still signs), over the aliases `own` (its endpoint; no row for a status_callback target)
 * and `oldest` (the account's oldest endpoint, which signs callbacks). The claim and the recheck of held
 * rows (recheck.ts) share it, so a row re-read before sending is signed as a claim would sign it.
 */
export const SIGNING_SECRETS_SQL = sql.raw(
  `coalesce(own.secret_enc, oldest.secret_enc) AS secret_enc,
   CASE WHEN own.id IS NOT NULL THEN
     CASE WHEN own.previous_secret_expires_at > now() THEN own.previous_secret_enc END
   ELSE
     CASE WHEN oldest.previous_secret_expires_at > now() THEN oldest.previous_secret_enc END
   END AS previous_secret_enc`,
);

/** A claimed row: what a send needs (the same shape the outbox hand-off gives). */
export interface ClaimedDelivery extends DeliveryToSend, Record<string, unknown> {}

export interface ClaimRequest {
  /** Lease holder written to the rows. */
  owner: string;
  /** Most rows to take. */
  limit: number;
  /** Most rows per gate in this claim, for gates not in `gateRooms`. */
  perGate: number;
  /** Most rows for particular gates (those the worker holds or sends to fast); 0 or less: none. */
  gateRooms: ReadonlyMap<string, number>;
  /** Lease length in milliseconds. */
  leaseMs: number;
}

/** Due rows looked at per claim, as a multiple of `limit`: room for the per-gate cap to skip some. */
const SCAN_FACTOR = 4;

export function claimDeliveries(db: Executor, request: ClaimRequest): Promise<ClaimedDelivery[]> {
  const leaseSeconds = request.leaseMs / 1000;
  const skip: string[] = [];
  const roomGates: string[] = [];
  const rooms: number[] = [];
  for (const [gate, room] of request.gateRooms) {
    if (room <= 0) skip.push(gate);
    else {
      roomGates.push(gate);
      rooms.push(room);
    }
  }
  return queryRows<ClaimedDelivery>(
    db,
    sql`WITH candidates AS (
      SELECT id, ${GATE_SQL} AS gate, next_attempt_at
      FROM webhook_deliveries
      WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()
        AND NOT (${GATE_SQL} = ANY(${sql.param(skip)}::text[]))
      ORDER BY next_attempt_at
      LIMIT ${request.limit * SCAN_FACTOR}
    ), picked AS (
      SELECT ranked.id FROM (
        SELECT id, gate, next_attempt_at,
               row_number() OVER (PARTITION BY gate ORDER BY next_attempt_at, id) AS rank
        FROM candidates
      ) ranked
      LEFT JOIN unnest(${sql.param(roomGates)}::text[], ${sql.param(rooms)}::int[]) AS g(gate, room)
        ON g.gate = ranked.gate
      WHERE ranked.rank <= coalesce(g.room, ${request.perGate})
      ORDER BY ranked.next_attempt_at
      LIMIT ${request.limit}
    ), locked AS (
      -- Only the picked rows are locked; the due condition is checked again on the locked version, so
      -- a row another worker claimed meanwhile (its next_attempt_at moved on) is not taken twice.
      -- Written NOT IN the finished statuses so the due index cannot serve it (see results.ts): the
      -- planner then scanned every due row and filtered it against the picked ids.
      SELECT d.id FROM webhook_deliveries d
      WHERE d.id = ANY(ARRAY(SELECT id FROM picked))
        AND d.status NOT IN ('succeeded', 'dead') AND d.next_attempt_at <= now()
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_deliveries d
      SET lease_owner = ${request.owner},
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
          next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
      WHERE d.id = ANY(ARRAY(SELECT id FROM locked))
      RETURNING d.id, d.event_id, d.endpoint_id, d.url, d.attempts
    ), signers AS (
      SELECT DISTINCT ON (w.account_id)
             w.account_id, w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at
      FROM webhook_endpoints w
      WHERE w.account_id = ANY(ARRAY(
        SELECT e.account_id FROM claimed c JOIN events e ON e.id = c.event_id WHERE c.endpoint_id IS NULL
      ))
      ORDER BY w.account_id, w.id
    )
    SELECT c.id, c.event_id, c.endpoint_id, c.url, c.attempts,
           e.type AS event_type, e.account_id,
           to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
           e.payload::text AS payload,
           ${SIGNING_SECRETS_SQL}
    FROM claimed c
    JOIN events e ON e.id = c.event_id
    LEFT JOIN webhook_endpoints own ON own.id = c.endpoint_id
    LEFT JOIN signers oldest ON c.endpoint_id IS NULL AND oldest.account_id = e.account_id`,
  );
}

/**
 * Gives back rows leased to `owner` that were not sent: due again at once, for any instance. `ids`: the
 * claimed rows a stopping worker did not send; absent: every row still leased to `owner`, which at
 * start are the ones a previous run under this instance id took and died with (run it before the worker
 * takes any hand-off, which leases new rows to the same owner). Returns how many it released.
 */
export function releaseDeliveries(db: Executor, owner: string, ids?: readonly string[]): Promise<number> {
  if (ids?.length === 0) return Promise.resolve(0);
  const only = ids === undefined ? sql`` : sql`id = ANY(${sql.param([...ids])}::text[]) AND `;
  return countRows(
    db,
    sql`UPDATE webhook_deliveries
        SET next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
        WHERE ${only}lease_owner = ${owner} AND status IN ('pending', 'failed')
        RETURNING 1`,
  );
}
