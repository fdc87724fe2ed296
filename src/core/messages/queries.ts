/**
 * Reading and canceling a customer's messages. Every query names the account, so another tenant's id
 * is simply not found. Lists are newest first by id (time-ordered) on the (account_id, id desc) index.
 */
import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  inArray,
  isNotNull,
  lt,
  notExists,
  type SQL,
  sql,
} from "drizzle-orm";
import { anyOfText } from "../../db/any-of.js";
import type { Executor } from "../../db/client.js";
import { type MessageStatus, messageParts, messages, upstreams } from "../../db/schema.js";
import { type Page, type PageRequest, toPage } from "../pagination.js";
import { ConflictError, NotFoundError } from "../service-errors.js";
import { type MessageJson, serializeMessage } from "./serialize.js";
import type { MessagePartRow } from "./sink.js";

/** Filters of `GET /v1/messages`, already normalised (`to` in E.164 with `+`). */
export interface MessageFilter {
  status?: MessageStatus | undefined;
  to?: string | undefined;
  clientReference?: string | undefined;
}

/**
 * Statuses a message can be canceled from. `queued` is also a message waiting to retry, which may have
 * parts an SMSC already accepted: such a message is partly sent and is not cancelable (see
 * cancelMessage).
 */
export const CANCELABLE_STATUSES = ["scheduled", "queued"] as const;

const withUpstream = { message: messages, upstreamName: upstreams.name };

export async function getMessage(db: Executor, accountId: string, id: string): Promise<MessageJson> {
  // Message first, parts after (not in parallel): a status and its parts change in one transaction, so
  // parts read later are never older than the status shown beside them.
  const [row] = await db
    .select(withUpstream)
    .from(messages)
    .leftJoin(upstreams, eq(upstreams.id, messages.upstreamId))
    .where(and(eq(messages.id, id), eq(messages.accountId, accountId)));
  if (row === undefined) throw new NotFoundError("Message", id);
  return serializeMessage(row.message, await partsOf(db, [id]), row.upstreamName);
}

export async function listMessages(
  db: Executor,
  accountId: string,
  filter: MessageFilter,
  page: PageRequest,
): Promise<Page<MessageJson>> {
  const conditions: SQL[] = [eq(messages.accountId, accountId)];
  if (page.before !== undefined) conditions.push(lt(messages.id, page.before));
  if (filter.status !== undefined) conditions.push(eq(messages.status, filter.status));
  if (filter.to !== undefined) conditions.push(eq(messages.to, filter.to));
  if (filter.clientReference !== undefined) {
    conditions.push(eq(messages.clientReference, filter.clientReference));
  }
  const rows = await db
    .select(withUpstream)
    .from(messages)
    .leftJoin(upstreams, eq(upstreams.id, messages.upstreamId))
    .where(and(...conditions))
    .orderBy(desc(messages.id))
    .limit(page.limit + 1);
  const { items, next } = toPage(
    rows.map((r) => ({ id: r.message.id, ...r })),
    page.limit,
  );
  const parts = await partsOf(
    db,
    items.map((r) => r.id),
  );
  const byMessage = new Map<string, MessagePartRow[]>();
  for (const part of parts) {
    const list = byMessage.get(part.messageId);
    if (list === undefined) byMessage.set(part.messageId, [part]);
    else list.push(part);
  }
  return {
    items: items.map((r) => serializeMessage(r.message, byMessage.get(r.id) ?? [], r.upstreamName)),
    next,
  };
}

/**
 * Cancels a message that is still `scheduled` or `queued` with no part accepted by an SMSC (a retry
 * after a partial send is `queued` too, but canceling it would strand the parts already on their way:
 * 409). The tests are in the UPDATE itself, so a dispatcher claiming the message at the same moment
 * either sees `canceled` (its own conditional claim fails) or has already moved it on (this update
 * matches nothing: 409).
 */
export async function cancelMessage(db: Executor, accountId: string, id: string): Promise<MessageJson> {
  const update = db
    .update(messages)
    .set({
      status: "canceled",
      updatedAt: sql`now()`,
      doneAt: sql`now()`,
      nextAttemptAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(
      and(
        eq(messages.id, id),
        eq(messages.accountId, accountId),
        inArray(messages.status, [...CANCELABLE_STATUSES]),
        notExists(
          db
            .select({ one: sql`1` })
            .from(messageParts)
            .where(and(eq(messageParts.messageId, messages.id), isNotNull(messageParts.smscMessageId))),
        ),
      ),
    )
    .returning({
      ...getTableColumns(messages),
      upstreamName: sql<
        string | null
      >`(SELECT ${upstreams.name} FROM ${upstreams} WHERE ${upstreams.id} = ${messages.upstreamId})`,
    });
  // Parts do not change on cancel: read them alongside.
  const [[canceled], parts] = await Promise.all([update, partsOf(db, [id])]);
  if (canceled === undefined) {
    const [current] = await db
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.id, id), eq(messages.accountId, accountId)));
    if (current === undefined) throw new NotFoundError("Message", id);
    if ((CANCELABLE_STATUSES as readonly string[]).includes(current.status)) {
      throw new ConflictError(
        `Message ${id} is ${current.status}, but an SMSC already accepted part of it (or it was being sent just now); it cannot be canceled.`,
      );
    }
    throw new ConflictError(
      `Message ${id} is ${current.status}; only scheduled or queued messages can be canceled.`,
    );
  }
  const { upstreamName, ...message } = canceled;
  return serializeMessage(message, parts, upstreamName);
}

async function partsOf(db: Executor, ids: string[]): Promise<MessagePartRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(messageParts)
    .where(anyOfText(messageParts.messageId, ids))
    .orderBy(asc(messageParts.messageId), asc(messageParts.index));
}
