import { and, desc, eq, inArray, isNull, lt, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { accounts, routes, upstreams } from "../db/schema.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import { ConflictError, InvalidReferenceError, NotFoundError, sqlState } from "./service-errors.js";

export type Route = typeof routes.$inferSelect;

export interface RouteInput {
  /** Destination digits without `+`; "" matches every number. */
  prefix: string;
  /** Failover order; each must exist. */
  upstreamIds: string[];
  /** null: a shared route for every account. */
  accountId: string | null;
}

export interface RouteFilter {
  /** Only the routes of this account; `null`: only shared routes. */
  accountId?: string | null | undefined;
}

/**
 * Adds a route after checking that its upstreams and account exist. The referenced rows are locked
 * FOR SHARE so a concurrent delete of one of them waits and then sees this route (409), instead of
 * leaving it pointing at nothing.
 */
export async function createRoute(db: Database, input: RouteInput): Promise<Route> {
  return db.transaction(async (tx) => {
    const found = await tx
      .select({ id: upstreams.id })
      .from(upstreams)
      .where(and(inArray(upstreams.id, input.upstreamIds), isNull(upstreams.deletedAt)))
      .for("share");
    const known = new Set(found.map((row) => row.id));
    const missing = input.upstreamIds.findIndex((id) => !known.has(id));
    if (missing >= 0) {
      throw new InvalidReferenceError(
        `upstream_ids.${missing}`,
        `No upstream ${input.upstreamIds[missing]}.`,
      );
    }
    if (input.accountId !== null) {
      const [account] = await tx
        .select({ id: accounts.id })
        .from(accounts)
        .where(eq(accounts.id, input.accountId))
        .for("share");
      if (account === undefined)
        throw new InvalidReferenceError("account_id", `No account ${input.accountId}.`);
    }
    const scope = input.accountId === null ? "shared routes" : `account ${input.accountId}`;
    const duplicate = new ConflictError(`A route for prefix "${input.prefix}" already exists in ${scope}.`);
    const [existing] = await tx
      .select({ id: routes.id })
      .from(routes)
      .where(
        and(
          eq(routes.prefix, input.prefix),
          input.accountId === null ? isNull(routes.accountId) : eq(routes.accountId, input.accountId),
        ),
      );
    if (existing !== undefined) throw duplicate;
    try {
      const [row] = await tx.insert(routes).values(input).returning();
      if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
      return row;
    } catch (error) {
      if (sqlState(error) === "23505") throw duplicate;
      throw error;
    }
  });
}

export async function getRoute(db: Database, id: string): Promise<Route> {
  const [row] = await db.select().from(routes).where(eq(routes.id, id));
  if (row === undefined) throw new NotFoundError("Route", id);
  return row;
}

export async function listRoutes(
  db: Database,
  page: PageRequest,
  filter: RouteFilter = {},
): Promise<Page<Route>> {
  const conditions: SQL[] = [];
  if (page.before !== undefined) conditions.push(lt(routes.id, page.before));
  if (filter.accountId === null) conditions.push(isNull(routes.accountId));
  else if (filter.accountId !== undefined) conditions.push(eq(routes.accountId, filter.accountId));
  const rows = await db
    .select()
    .from(routes)
    .where(and(...conditions))
    .orderBy(desc(routes.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

export async function deleteRoute(db: Database, id: string): Promise<void> {
  const deleted = await db.delete(routes).where(eq(routes.id, id)).returning({ id: routes.id });
  if (deleted.length === 0) throw new NotFoundError("Route", id);
}
