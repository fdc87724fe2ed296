/**
 * Webhook endpoints of a customer account: create (the secret is returned once, stored sealed), list,
 * get, update, delete, rotate the secret. Every query is scoped by account, so another tenant's id is
 * simply not found. Stateless: build one per request from the app's deps.
 */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { anyOfText } from "../../db/any-of.js";
import type { Database, Executor } from "../../db/client.js";
import { type EventType, webhookDeliveries, webhookEndpoints } from "../../db/schema.js";
import { type Page, type PageRequest, toPage } from "../pagination.js";
import { InvalidReferenceError, NotFoundError } from "../service-errors.js";
import { newWebhookSecret, sealWebhookSecret } from "./signing.js";
import { checkWebhookUrl, type ResolveAll, UnsafeWebhookUrlError } from "./url-policy.js";

/** How long the previous secret keeps signing after a rotation: 24 h in milliseconds. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

export interface WebhookEndpoint {
  id: string;
  accountId: string;
  url: string;
  /** Subscribed event types; null = every type. */
  events: EventType[] | null;
  description: string | null;
  enabled: boolean;
  /** Why the service disabled it (e.g. the receiver answered 410 Gone); null when enabled by hand. */
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An endpoint with its signing secret in clear: only ever the answer to create and rotate. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  secret: string;
}

export interface WebhookEndpointInput {
  url: string;
  /** Null or absent: every event type. */
  events?: EventType[] | null | undefined;
  description?: string | null | undefined;
}

export interface WebhookEndpointPatch {
  url?: string | undefined;
  events?: EventType[] | null | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface WebhookEndpointServiceOptions {
  db: Database;
  /** SECRET_KEY: seals endpoint secrets at rest. */
  secretKey: Uint8Array;
  /** WEBHOOK_ALLOW_PRIVATE: accept loopback/private targets. Default false. */
  allowPrivate?: boolean | undefined;
  /** DNS for the SSRF check; default the system resolver. */
  resolveAll?: ResolveAll | undefined;
}

/** Why deliveries still waiting for an endpoint stopped when it was disabled. */
export const DISABLED_DELIVERY_ERROR = "endpoint disabled";

const columns = {
  id: webhookEndpoints.id,
  accountId: webhookEndpoints.accountId,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  description: webhookEndpoints.description,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

export class WebhookEndpointService {
  constructor(private readonly options: WebhookEndpointServiceOptions) {}

  async create(accountId: string, input: WebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
    const url = await this.checkedUrl(input.url);
    const secret = newWebhookSecret();
    const [row] = await this.options.db
      .insert(webhookEndpoints)
      .values({
        accountId,
        url,
        events: normaliseEvents(input.events),
        description: input.description ?? null,
        secretEnc: sealWebhookSecret(secret, this.options.secretKey),
      })
      .returning(columns);
    if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
    return { ...row, secret };
  }

  async list(accountId: string, page: PageRequest): Promise<Page<WebhookEndpoint>> {
    const rows = await this.options.db
      .select(columns)
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.accountId, accountId),
          page.before === undefined ? undefined : lt(webhookEndpoints.id, page.before),
        ),
      )
      .orderBy(desc(webhookEndpoints.id))
      .limit(page.limit + 1);
    return toPage(rows, page.limit);
  }

  get(accountId: string, id: string): Promise<WebhookEndpoint> {
    return findEndpoint(this.options.db, accountId, id);
  }

  /**
   * Absent fields are kept. Disabling stops the deliveries still waiting for the endpoint (they become
   * `dead` and can be retried by hand); enabling clears `disabled_reason`.
   */
  async update(accountId: string, id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpoint> {
    const url = patch.url === undefined ? undefined : await this.checkedUrl(patch.url);
    return this.options.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhookEndpoints)
        .set({
          ...(url !== undefined && { url }),
          ...(patch.events !== undefined && { events: normaliseEvents(patch.events) }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled, disabledReason: null }),
          updatedAt: sql`now()`,
        })
        .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId)))
        .returning(columns);
      if (row === undefined) throw new NotFoundError("Webhook endpoint", id);
      if (patch.enabled === false) await stopWaitingDeliveries(tx, [id], DISABLED_DELIVERY_ERROR);
      if (url !== undefined) {
        // Deliveries not yet taken follow the endpoint to its new URL.
        await tx
          .update(webhookDeliveries)
          .set({ url })
          .where(
            and(
              eq(webhookDeliveries.endpointId, id),
              inArray(webhookDeliveries.status, ["pending", "failed"]),
            ),
          );
      }
      return row;
    });
  }

  /** Deletes the endpoint with its deliveries and their attempts. */
  async delete(accountId: string, id: string): Promise<void> {
    const deleted = await this.options.db
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId)))
      .returning({ id: webhookEndpoints.id });
    if (deleted.length === 0) throw new NotFoundError("Webhook endpoint", id);
  }

  /**
   * A new secret, returned once. The one it replaces keeps signing beside it for
   * {@link PREVIOUS_SECRET_GRACE_MS}, so receivers can switch over without losing a message.
   */
  async rotateSecret(accountId: string, id: string): Promise<WebhookEndpointWithSecret> {
    const secret = newWebhookSecret();
    const [row] = await this.options.db
      .update(webhookEndpoints)
      .set({
        previousSecretEnc: sql`${webhookEndpoints.secretEnc}`,
        previousSecretExpiresAt: sql`now() + make_interval(secs => ${PREVIOUS_SECRET_GRACE_MS / 1000})`,
        secretEnc: sealWebhookSecret(secret, this.options.secretKey),
        updatedAt: sql`now()`,
      })
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId)))
      .returning(columns);
    if (row === undefined) throw new NotFoundError("Webhook endpoint", id);
    return { ...row, secret };
  }

  private async checkedUrl(url: string): Promise<string> {
    try {
      const parsed = await checkWebhookUrl(url, {
        allowPrivate: this.options.allowPrivate === true,
        ...(this.options.resolveAll !== undefined && { resolveAll: this.options.resolveAll }),
      });
      return parsed.href;
    } catch (error) {
      if (error instanceof UnsafeWebhookUrlError) throw new InvalidReferenceError("url", error.message);
      throw error;
    }
  }
}

/** The endpoint if it belongs to the account; {@link NotFoundError} otherwise. */
export async function findEndpoint(db: Executor, accountId: string, id: string): Promise<WebhookEndpoint> {
  const [row] = await db
    .select(columns)
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId)));
  if (row === undefined) throw new NotFoundError("Webhook endpoint", id);
  return row;
}

/**
 * Ends the deliveries of disabled endpoints that are still waiting: they become `dead` with `reason`,
 * so the due queue does not keep rows that nothing will send. A manual retry revives one.
 */
export async function stopWaitingDeliveries(
  db: Executor,
  endpointIds: readonly string[],
  reason: string,
): Promise<void> {
  if (endpointIds.length === 0) return;
  await db
    .update(webhookDeliveries)
    .set({ status: "dead", lastError: reason, leaseOwner: null, leaseExpiresAt: null, updatedAt: sql`now()` })
    .where(
      and(
        anyOfText(webhookDeliveries.endpointId, endpointIds),
        inArray(webhookDeliveries.status, ["pending", "failed"]),
      ),
    );
}

/** Null or absent: null (every type, including types added later). Duplicates dropped. */
function normaliseEvents(events: EventType[] | null | undefined): EventType[] | null {
  if (events === null || events === undefined) return null;
  return [...new Set(events)];
}
