/** Reading inbound SMS for the API: a tenant's inbox, and every message (or the unassigned) for admins. */

import { and, desc, eq, getTableColumns, isNull, lt, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { inboundMessages, upstreams } from "../../db/schema.js";
import { type Page, type PageRequest, toPage } from "../pagination.js";
import { NotFoundError } from "../service-errors.js";

/** An inbound_messages row with its upstream's name (null once the upstream is deleted). */
export type InboundRow = typeof inboundMessages.$inferSelect & { upstreamName: string | null };

export interface InboundFilter {
  /** Only this account's messages. */
  accountId?: string | undefined;
  /** Only messages to this number (E.164 with `+`). */
  to?: string | undefined;
  /** Only messages to numbers no account owned when they arrived. */
  unassigned?: boolean | undefined;
}

const columns = { ...getTableColumns(inboundMessages), upstreamName: upstreams.name };

/** Newest first (ids are time-ordered), keyset-paged. */
export async function listInbound(
  db: Database,
  filter: InboundFilter,
  page: PageRequest,
): Promise<Page<InboundRow>> {
  const conditions: SQL[] = [];
  if (filter.accountId !== undefined) conditions.push(eq(inboundMessages.accountId, filter.accountId));
  if (filter.unassigned === true) conditions.push(isNull(inboundMessages.accountId));
  if (filter.to !== undefined) conditions.push(eq(inboundMessages.to, filter.to));
  if (page.before !== undefined) conditions.push(lt(inboundMessages.id, page.before));
  const rows = await db
    .select(columns)
    .from(inboundMessages)
    .leftJoin(upstreams, eq(upstreams.id, inboundMessages.upstreamId))
    .where(and(...conditions))
    .orderBy(desc(inboundMessages.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

/** One of the account's inbound messages; another account's is not found, like one that does not exist. */
export async function getInbound(db: Database, accountId: string, id: string): Promise<InboundRow> {
  const [row] = await db
    .select(columns)
    .from(inboundMessages)
    .leftJoin(upstreams, eq(upstreams.id, inboundMessages.upstreamId))
    .where(and(eq(inboundMessages.id, id), eq(inboundMessages.accountId, accountId)));
  if (row === undefined) throw new NotFoundError("Inbound message", id);
  return row;
}
