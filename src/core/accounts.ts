import { desc, eq, lt, sql } from "drizzle-orm";
import { type Database, type Executor, queryRows } from "../db/client.js";
import {
  accounts,
  events,
  inboundMessages,
  messages,
  numbers,
  routes,
  webhookEndpoints,
} from "../db/schema.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import { ConflictError, NotFoundError } from "./service-errors.js";

export type Account = typeof accounts.$inferSelect;

export interface AccountInput {
  name: string;
  /** Sender used when a message has no `from`; null: every message must name one. */
  defaultFrom?: string | null | undefined;
  /** Accepted messages per second; null: unlimited. */
  maxTps?: number | null | undefined;
}

export async function createAccount(db: Database, input: AccountInput): Promise<Account> {
  const [row] = await db
    .insert(accounts)
    .values({ name: input.name, defaultFrom: input.defaultFrom ?? null, maxTps: input.maxTps ?? null })
    .returning();
  if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
  return row;
}

export async function getAccount(db: Executor, id: string): Promise<Account> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  if (row === undefined) throw new NotFoundError("Account", id);
  return row;
}

export async function listAccounts(db: Database, page: PageRequest): Promise<Page<Account>> {
  const rows = await db
    .select()
    .from(accounts)
    .where(page.before === undefined ? undefined : lt(accounts.id, page.before))
    .orderBy(desc(accounts.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

/** Fields absent from the patch are kept; null clears a nullable field. */
export async function updateAccount(
  db: Database,
  id: string,
  patch: Partial<AccountInput>,
): Promise<Account> {
  const [row] = await db
    .update(accounts)
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.defaultFrom !== undefined && { defaultFrom: patch.defaultFrom }),
      ...(patch.maxTps !== undefined && { maxTps: patch.maxTps }),
      updatedAt: sql`now()`,
    })
    .where(eq(accounts.id, id))
    .returning();
  if (row === undefined) throw new NotFoundError("Account", id);
  return row;
}

/**
 * Deletes an account with its API keys and webhook endpoints. Refused (409) while numbers or routes
 * still point at it, and for good once it has traffic: messages, inbound SMS and events are the
 * record a gateway bills and answers disputes from, so they are never deleted by cascade. Such an
 * account is retired by revoking its keys instead.
 */
export async function deleteAccount(db: Database, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Row lock first: a number or route created concurrently waits for us, then fails its FK check.
    const [locked] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.id, id))
      .for("update");
    if (locked === undefined) throw new NotFoundError("Account", id);

    const [counts] = await queryRows<{ numbers: number; routes: number; history: boolean }>(
      tx,
      sql`SELECT
        (SELECT count(*)::int FROM ${numbers} WHERE ${numbers.accountId} = ${id}) AS numbers,
        (SELECT count(*)::int FROM ${routes} WHERE ${routes.accountId} = ${id}) AS routes,
        (EXISTS (SELECT 1 FROM ${messages} WHERE ${messages.accountId} = ${id})
          OR EXISTS (SELECT 1 FROM ${inboundMessages} WHERE ${inboundMessages.accountId} = ${id})
          OR EXISTS (SELECT 1 FROM ${events} WHERE ${events.accountId} = ${id})) AS history`,
    );
    const referencedBy: string[] = [];
    if (counts !== undefined && counts.numbers > 0) referencedBy.push(plural(counts.numbers, "number"));
    if (counts !== undefined && counts.routes > 0) referencedBy.push(plural(counts.routes, "route"));
    if (referencedBy.length > 0) {
      throw new ConflictError(`Account ${id} still has ${referencedBy.join(" and ")}; delete them first.`);
    }
    if (counts?.history === true) {
      throw new ConflictError(
        `Account ${id} has message history, which is kept; revoke its API keys to retire it instead.`,
      );
    }
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.accountId, id));
    await tx.delete(accounts).where(eq(accounts.id, id));
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
