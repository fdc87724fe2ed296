/**
 * What a customer sees of an endpoint's deliveries: one row per event sent to it with its outcome so
 * far, each attempt (status code, first bytes of the answer, duration, error), and a manual retry.
 * Scoped by account through the endpoint, so another tenant's ids are not found.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import {
  type DeliveryStatus,
  type EventType,
  events,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from "../../db/schema.js";
import { type Page, type PageRequest, toPage } from "../pagination.js";
import { ConflictError, NotFoundError } from "../service-errors.js";
import { findEndpoint } from "./endpoints.js";

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: EventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** When the next attempt is due; null once succeeded or dead. */
  nextAttemptAt: Date | null;
  createdAt: Date;
}

export interface WebhookAttempt {
  id: string;
  attemptedAt: Date;
  statusCode: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  eventId: webhookDeliveries.eventId,
  eventType: events.type,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  lastStatusCode: webhookDeliveries.lastStatusCode,
  lastError: webhookDeliveries.lastError,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  createdAt: webhookDeliveries.createdAt,
};

type DeliveryRow = Omit<WebhookDelivery, "nextAttemptAt"> & { nextAttemptAt: Date };

function toDelivery(row: DeliveryRow): WebhookDelivery {
  const waiting = row.status === "pending" || row.status === "failed";
  return { ...row, nextAttemptAt: waiting ? row.nextAttemptAt : null };
}

/** Newest first. */
export async function listDeliveries(
  db: Database,
  accountId: string,
  endpointId: string,
  page: PageRequest,
): Promise<Page<WebhookDelivery>> {
  await findEndpoint(db, accountId, endpointId);
  const rows = await db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        page.before === undefined ? undefined : lt(webhookDeliveries.id, page.before),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(page.limit + 1);
  const result = toPage(rows, page.limit);
  return { items: result.items.map(toDelivery), next: result.next };
}

export async function getDelivery(
  db: Database,
  accountId: string,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDelivery> {
  await findEndpoint(db, accountId, endpointId);
  const [row] = await db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)));
  if (row === undefined) throw new NotFoundError("Delivery", deliveryId);
  return toDelivery(row);
}

/**
 * Sends the delivery again as soon as a worker polls, whatever its status: a `dead` or `succeeded`
 * one gets one more attempt (and, if that fails, whatever the schedule has left), a waiting one is
 * moved to now, in each case to the endpoint's current URL. One a worker holds (leased: being sent,
 * or about to be) keeps its lease, so it is not claimed and sent a second time beside that send.
 * Refused (409) while the endpoint is disabled. The caller should wake the worker.
 */
export async function retryDelivery(
  db: Database,
  accountId: string,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDelivery> {
  const endpoint = await findEndpoint(db, accountId, endpointId);
  if (!endpoint.enabled) {
    throw new ConflictError(`Webhook endpoint ${endpointId} is disabled; enable it before retrying.`);
  }
  const updated = await db
    .update(webhookDeliveries)
    .set({
      // To where the endpoint points now: a finished delivery kept the URL it was last sent to, and a
      // customer who fixed the address then replays what failed expects the new one. Read in this
      // statement, so a PATCH of `url` committed before it is seen.
      url: sql`(SELECT ${webhookEndpoints.url} FROM ${webhookEndpoints} WHERE ${webhookEndpoints.id} = ${endpointId})`,
      status: "pending",
      // A lease is next_attempt_at pushed ahead (worker/claim.ts): a held row stays not due.
      nextAttemptAt: sql`CASE WHEN ${webhookDeliveries.leaseExpiresAt} > now() THEN ${webhookDeliveries.nextAttemptAt} ELSE now() END`,
      leaseOwner: sql`CASE WHEN ${webhookDeliveries.leaseExpiresAt} > now() THEN ${webhookDeliveries.leaseOwner} END`,
      leaseExpiresAt: sql`CASE WHEN ${webhookDeliveries.leaseExpiresAt} > now() THEN ${webhookDeliveries.leaseExpiresAt} END`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)))
    .returning({ id: webhookDeliveries.id });
  if (updated.length === 0) throw new NotFoundError("Delivery", deliveryId);
  return getDelivery(db, accountId, endpointId, deliveryId);
}

/** The attempts of one delivery, newest first. */
export async function listAttempts(
  db: Database,
  accountId: string,
  endpointId: string,
  deliveryId: string,
  page: PageRequest,
): Promise<Page<WebhookAttempt>> {
  await getDelivery(db, accountId, endpointId, deliveryId);
  const rows = await db
    .select({
      id: webhookAttempts.id,
      attemptedAt: webhookAttempts.attemptedAt,
      statusCode: webhookAttempts.statusCode,
      responseBody: webhookAttempts.responseBody,
      durationMs: webhookAttempts.durationMs,
      error: webhookAttempts.error,
    })
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.deliveryId, deliveryId),
        page.before === undefined ? undefined : lt(webhookAttempts.id, page.before),
      ),
    )
    .orderBy(desc(webhookAttempts.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}
