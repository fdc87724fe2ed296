/**
 * The transactional outbox (DESIGN.md §1): every status change a webhook event names writes its event
 * here in the SAME transaction as the change, so an event exists exactly when the change does. Each event
 * fans out at once into one `webhook_deliveries` row per enabled endpoint of the account subscribed to its
 * type, plus one for the message's `status_callback_url`; the webhook worker only ever reads deliveries.
 *
 * Two statements however many events: the account's endpoints are read once, then events and deliveries
 * go in together as one statement (two data-modifying CTEs over unnest arrays), so a batch of 500 receipts
 * costs the same round trips as one.
 *
 * The hand-off (DESIGN.md §3, as the dispatcher does for accepted messages): when a webhook worker runs
 * in this process on the same database ({@link addDeliveryHandOff}), the deliveries it has room for are
 * inserted already leased to it, exactly as its claim would leave them, and given to it in memory with
 * everything a send needs, so the common case never runs the claim. The worker sends them only once it
 * has seen this transaction commit; whatever it does not take is inserted unleased for the claim.
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import type { EventType } from "../../db/schema.js";
import { newId } from "../ids.js";

/** One event to record. */
export interface OutboxEvent {
  accountId: string;
  type: EventType;
  /** The body's `data`: the Message or InboundMessage as the API renders it now. */
  data: unknown;
  /** An extra target besides the account's endpoints (a message's status_callback_url); null: none. */
  callbackUrl?: string | null;
}

/** Everything one send of a delivery needs: what the worker's claim returns, or the hand-off gives. */
export interface DeliveryToSend {
  id: string;
  event_id: string;
  endpoint_id: string | null;
  url: string;
  /** Attempts made before this one. */
  attempts: number;
  event_type: string;
  account_id: string;
  /** The event's creation time, ISO 8601 UTC with milliseconds. */
  created_at: string;
  /** The event's `data` as JSON text. */
  payload: string;
  /** Sealed signing secret: the endpoint's, or for a callback the account's oldest endpoint's; null: none. */
  secret_enc: string | null;
  /** Sealed previous secret while it still signs (within 24 h of a rotation); null otherwise. */
  previous_secret_enc: string | null;
}

/** Where a new delivery goes: its endpoint (null for a status_callback target) and URL. */
export interface DeliveryTarget {
  endpointId: string | null;
  url: string;
}

/** A webhook worker of this process that takes new deliveries in memory. */
export interface DeliveryHandOff {
  /** Lease holder written on the rows it takes. */
  readonly owner: string;
  /** Lease length in ms. */
  readonly leaseMs: number;
  /** Asked before the rows are written: which of `targets` it takes now; undefined: none. */
  reserve(targets: readonly DeliveryTarget[]): HandOffReservation | undefined;
}

export interface HandOffReservation {
  /** One flag per target given to {@link DeliveryHandOff.reserve}: true when taken. */
  readonly taken: readonly boolean[];
  /**
   * The taken rows were written, leased to the owner, by transaction `xid` (pg_current_xact_id), which
   * has NOT committed yet and may still roll back.
   */
  offer(rows: DeliveryToSend[], xid: string): void;
  /** Writing failed: nothing will be offered. */
  cancel(): void;
}

/**
 * The hand-offs of each database, keyed by drizzle's dialect object: a database and every transaction
 * opened on it share that one object, so a transaction finds its own database's workers even where one
 * process opens several databases (tests), and rows are never leased to a worker of another database.
 */
const handOffs = new WeakMap<object, { list: DeliveryHandOff[]; turn: number }>();

function databaseKey(db: Executor): object | undefined {
  const dialect: unknown = (db as unknown as { dialect?: unknown }).dialect;
  return typeof dialect === "object" && dialect !== null ? dialect : undefined;
}

/** Lets `handOff` take new deliveries written on `db` (or its transactions). Returns the undo. */
export function addDeliveryHandOff(db: Executor, handOff: DeliveryHandOff): () => void {
  const key = databaseKey(db);
  if (key === undefined) return () => {};
  let entry = handOffs.get(key);
  if (entry === undefined) {
    entry = { list: [], turn: 0 };
    handOffs.set(key, entry);
  }
  entry.list.push(handOff);
  const registered = entry;
  return () => {
    registered.list = registered.list.filter((h) => h !== handOff);
  };
}

interface EndpointRow extends Record<string, unknown> {
  id: string;
  account_id: string;
  url: string;
  events: string[] | null;
  enabled: boolean;
  secret_enc: string | null;
  previous_secret_enc: string | null;
}

interface WrittenEvent extends Record<string, unknown> {
  xid: string;
  id: string;
  created_at: string;
  payload: string;
}

interface Taker {
  handOff: DeliveryHandOff;
  reservation: HandOffReservation;
  /** Indexes into the delivery arrays. */
  indexes: number[];
}

/** The webhook endpoints of some accounts, read for {@link appendEvents}. */
export interface AccountEndpoints {
  /** Enabled endpoints per account, in id order. */
  enabled: Map<string, EndpointRow[]>;
  /** Each account's oldest endpoint, enabled or not: it signs status_callback deliveries. */
  oldest: Map<string, EndpointRow>;
  /** The accounts read. */
  accounts: Set<string>;
}

/**
 * Reads the endpoints {@link appendEvents} fans out to. A writer that knows its accounts before its
 * events (the result writer) sends this beside its other statements rather than after them: one round
 * trip less in a transaction whose length bounds the upstream's throughput.
 */
export async function readAccountEndpoints(
  tx: Executor,
  accountIds: Iterable<string>,
): Promise<AccountEndpoints> {
  const accounts = new Set(accountIds);
  const enabled = new Map<string, EndpointRow[]>();
  const oldest = new Map<string, EndpointRow>();
  if (accounts.size === 0) return { enabled, oldest, accounts };
  // Disabled endpoints too, in id order: a status_callback delivery is signed with the account's
  // oldest endpoint's secret whether enabled or not, as the claim's `signers` does.
  const endpoints = await queryRows<EndpointRow>(
    tx,
    sql`SELECT id, account_id, url, events, enabled, secret_enc,
               CASE WHEN previous_secret_expires_at > now() THEN previous_secret_enc END AS previous_secret_enc
        FROM webhook_endpoints
        WHERE account_id = ANY(${sql.param([...accounts])}::text[])
        ORDER BY account_id, id`,
  );
  for (const endpoint of endpoints) {
    if (!oldest.has(endpoint.account_id)) oldest.set(endpoint.account_id, endpoint);
    if (!endpoint.enabled) continue;
    const list = enabled.get(endpoint.account_id);
    if (list === undefined) enabled.set(endpoint.account_id, [endpoint]);
    else list.push(endpoint);
  }
  return { enabled, oldest, accounts };
}

/**
 * Writes the events and their deliveries with `tx` (pass the transaction of the change). Returns the
 * new event ids, in the order given; ids are time-ordered, so that is also their order in the table.
 * `endpoints`, when given, must have been read in the same transaction for every account of `events`.
 */
export async function appendEvents(
  tx: Executor,
  events: readonly OutboxEvent[],
  endpoints?: AccountEndpoints,
): Promise<string[]> {
  if (events.length === 0) return [];
  const read =
    endpoints ??
    (await readAccountEndpoints(
      tx,
      events.map((e) => e.accountId),
    ));
  for (const event of events) {
    if (!read.accounts.has(event.accountId))
      throw new Error(`appendEvents: endpoints of account ${event.accountId} were not read`);
  }
  const { enabled: byAccount, oldest } = read;

  const eventIds: string[] = [];
  // The events travel as one JSON document: their payloads as text[] elements cost an escaping pass
  // each (postgres-js arrayEscape was 3.6 % of the service's JavaScript CPU in bench:kannel).
  const eventDocs: Array<{ id: string; account_id: string; type: string; payload: unknown }> = [];
  const deliveryIds: string[] = [];
  const deliveryEvents: number[] = [];
  const deliverySigners: Array<EndpointRow | undefined> = [];
  const targets: DeliveryTarget[] = [];
  events.forEach((event, index) => {
    const id = newId("evt");
    eventIds.push(id);
    eventDocs.push({ id, account_id: event.accountId, type: event.type, payload: event.data });
    for (const endpoint of byAccount.get(event.accountId) ?? []) {
      // `events` null means every type.
      if (endpoint.events !== null && !endpoint.events.includes(event.type)) continue;
      deliveryIds.push(newId("whd"));
      deliveryEvents.push(index);
      deliverySigners.push(endpoint);
      targets.push({ endpointId: endpoint.id, url: endpoint.url });
    }
    if (event.callbackUrl) {
      deliveryIds.push(newId("whd"));
      deliveryEvents.push(index);
      deliverySigners.push(oldest.get(event.accountId));
      targets.push({ endpointId: null, url: event.callbackUrl });
    }
  });

  const takers = reserveHandOffs(tx, targets);
  const owners: Array<string | null> = deliveryIds.map(() => null);
  const leases: Array<string | null> = deliveryIds.map(() => null);
  for (const taker of takers) {
    for (const i of taker.indexes) {
      owners[i] = taker.handOff.owner;
      leases[i] = String(taker.handOff.leaseMs / 1000);
    }
  }

  // The events of handed-over deliveries come back as stored: the body is built from the jsonb's text
  // (the claim's too), so a retry sends the very bytes of the first attempt.
  const handedEvents = [
    ...new Set(takers.flatMap((t) => t.indexes.map((i) => eventIds[deliveryEvents[i] ?? 0] ?? ""))),
  ];
  let written: WrittenEvent[];
  try {
    written = await queryRows<WrittenEvent>(
      tx,
      sql`WITH new_events AS (
        INSERT INTO events (id, account_id, type, payload)
        SELECT e.id, e.account_id, e.type, e.payload
        FROM jsonb_to_recordset(${JSON.stringify(eventDocs)}::jsonb)
          AS e(id text, account_id text, type text, payload jsonb)
        RETURNING id, created_at, payload
      ), new_deliveries AS (
        -- A handed-over row is leased as a claim leaves it: next_attempt_at is the lease's end, so no
        -- claim takes it while the lease runs. The lease counts from now on the wall clock, not from
        -- now() (the transaction's start), so it is never shorter than what the worker counts with.
        INSERT INTO webhook_deliveries (id, event_id, endpoint_id, url, lease_owner, lease_expires_at, next_attempt_at)
        SELECT d.id, d.event_id, d.endpoint_id, d.url, d.owner, d.lease_end, coalesce(d.lease_end, now())
        FROM (
          SELECT u.*, clock.at + make_interval(secs => u.lease) AS lease_end
          FROM unnest(${sql.param(deliveryIds)}::text[],
                      ${sql.param(deliveryEvents.map((i) => eventIds[i] ?? ""))}::text[],
                      ${sql.param(targets.map((t) => t.endpointId))}::text[],
                      ${sql.param(targets.map((t) => t.url))}::text[], ${sql.param(owners)}::text[],
                      ${sql.param(leases)}::text[]::float8[])
            AS u(id, event_id, endpoint_id, url, owner, lease)
          CROSS JOIN (SELECT clock_timestamp() AS at) AS clock
        ) AS d
        -- Read new_events so its insert is ordered before the deliveries that reference it.
        WHERE d.event_id IN (SELECT id FROM new_events)
      )
      SELECT pg_current_xact_id()::text AS xid, e.id,
             to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
             e.payload::text AS payload
      FROM new_events e WHERE e.id = ANY(${sql.param(handedEvents)}::text[])`,
    );
  } catch (error) {
    for (const taker of takers) taker.reservation.cancel();
    throw error;
  }

  const stored = new Map(written.map((row) => [row.id, row]));
  const xid = written[0]?.xid ?? "";
  for (const taker of takers) {
    const rows: DeliveryToSend[] = [];
    for (const i of taker.indexes) {
      const e = deliveryEvents[i] ?? 0;
      const event = stored.get(eventIds[e] ?? "");
      if (event === undefined) continue; // cannot happen: every handed event was written
      const signer = deliverySigners[i];
      rows.push({
        id: deliveryIds[i] ?? "",
        event_id: eventIds[e] ?? "",
        endpoint_id: targets[i]?.endpointId ?? null,
        url: targets[i]?.url ?? "",
        attempts: 0,
        event_type: events[e]?.type ?? "",
        account_id: events[e]?.accountId ?? "",
        created_at: event.created_at,
        payload: event.payload,
        secret_enc: signer?.secret_enc ?? null,
        previous_secret_enc: signer?.previous_secret_enc ?? null,
      });
    }
    taker.reservation.offer(rows, xid);
  }
  return eventIds;
}

/** Asks this database's hand-offs in turn which deliveries each takes; each is given what is left. */
function reserveHandOffs(tx: Executor, targets: readonly DeliveryTarget[]): Taker[] {
  const key = databaseKey(tx);
  const entry = key === undefined ? undefined : handOffs.get(key);
  if (entry === undefined || entry.list.length === 0 || targets.length === 0) return [];
  const takers: Taker[] = [];
  let left = targets.map((_, i) => i);
  const start = entry.turn++ % entry.list.length;
  for (let k = 0; k < entry.list.length && left.length > 0; k++) {
    const handOff = entry.list[(start + k) % entry.list.length];
    if (handOff === undefined) continue;
    const reservation = handOff.reserve(left.map((i) => targets[i] as DeliveryTarget));
    if (reservation === undefined) continue;
    const indexes = left.filter((_, j) => reservation.taken[j] === true);
    if (indexes.length === 0) {
      reservation.cancel();
      continue;
    }
    takers.push({ handOff, reservation, indexes });
    left = left.filter((_, j) => reservation.taken[j] !== true);
  }
  return takers;
}
