/**
 * The transactional outbox (DESIGN.md §1): every status change a webhook event names writes its event
 * here in the SAME transaction as the change, so an event exists exactly when the change does. Each event
 * fans out at once into one `webhook_deliveries` row per enabled endpoint of the account subscribed to its
 * type, plus one for the message's `status_callback_url`; the webhook worker only ever reads deliveries.
 *
 * Two statements however many events: the account's endpoints are read once, then events and deliveries
 * go in together as one statement (two data-modifying CTEs over unnest arrays), so a batch of 500 receipts
 * costs the same round trips as one.
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

interface EndpointRow extends Record<string, unknown> {
  id: string;
  account_id: string;
  url: string;
  events: string[] | null;
}

/**
 * Writes the events and their deliveries with `tx` (pass the transaction of the change). Returns the
 * new event ids, in the order given; ids are time-ordered, so that is also their order in the table.
 */
export async function appendEvents(tx: Executor, events: readonly OutboxEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const accounts = [...new Set(events.map((e) => e.accountId))];
  const endpoints = await queryRows<EndpointRow>(
    tx,
    sql`SELECT id, account_id, url, events FROM webhook_endpoints
        WHERE account_id = ANY(${sql.param(accounts)}::text[]) AND enabled`,
  );
  const byAccount = new Map<string, EndpointRow[]>();
  for (const endpoint of endpoints) {
    const list = byAccount.get(endpoint.account_id);
    if (list === undefined) byAccount.set(endpoint.account_id, [endpoint]);
    else list.push(endpoint);
  }

  const eventIds: string[] = [];
  const eventTypes: string[] = [];
  const eventAccounts: string[] = [];
  const payloads: string[] = [];
  const deliveryIds: string[] = [];
  const deliveryEvents: string[] = [];
  const deliveryEndpoints: Array<string | null> = [];
  const deliveryUrls: string[] = [];
  for (const event of events) {
    const id = newId("evt");
    eventIds.push(id);
    eventTypes.push(event.type);
    eventAccounts.push(event.accountId);
    payloads.push(JSON.stringify(event.data));
    for (const endpoint of byAccount.get(event.accountId) ?? []) {
      // `events` null means every type.
      if (endpoint.events !== null && !endpoint.events.includes(event.type)) continue;
      deliveryIds.push(newId("whd"));
      deliveryEvents.push(id);
      deliveryEndpoints.push(endpoint.id);
      deliveryUrls.push(endpoint.url);
    }
    if (event.callbackUrl) {
      deliveryIds.push(newId("whd"));
      deliveryEvents.push(id);
      deliveryEndpoints.push(null);
      deliveryUrls.push(event.callbackUrl);
    }
  }

  await tx.execute(
    sql`WITH new_events AS (
      INSERT INTO events (id, account_id, type, payload)
      SELECT e.id, e.account_id, e.type, e.payload::jsonb
      FROM unnest(${sql.param(eventIds)}::text[], ${sql.param(eventAccounts)}::text[],
                  ${sql.param(eventTypes)}::text[], ${sql.param(payloads)}::text[])
        AS e(id, account_id, type, payload)
      RETURNING id
    )
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, url)
    SELECT d.id, d.event_id, d.endpoint_id, d.url
    FROM unnest(${sql.param(deliveryIds)}::text[], ${sql.param(deliveryEvents)}::text[],
                ${sql.param(deliveryEndpoints)}::text[], ${sql.param(deliveryUrls)}::text[])
      AS d(id, event_id, endpoint_id, url)
    -- Read new_events so its insert is ordered before the deliveries that reference it.
    WHERE d.event_id IN (SELECT id FROM new_events)`,
  );
  return eventIds;
}
