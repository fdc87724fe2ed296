import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { accounts, numbers } from "../db/schema.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import { ConflictError, InvalidReferenceError, NotFoundError, sqlState } from "./service-errors.js";

export type InboundNumber = typeof numbers.$inferSelect;

export interface NumberInput {
  /** E.164 with the leading `+` (the API normalises it). */
  number: string;
  accountId: string;
}

export interface NumberFilter {
  accountId?: string | undefined;
}

/** Assigns an inbound number to an account; a number belongs to one account only (409 otherwise). */
export async function createNumber(db: Database, input: NumberInput): Promise<InboundNumber> {
  return db.transaction(async (tx) => {
    // FOR SHARE: the account cannot be deleted between this check and our insert.
    const [account] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.id, input.accountId))
      .for("share");
    if (account === undefined)
      throw new InvalidReferenceError("account_id", `No account ${input.accountId}.`);
    const [existing] = await tx
      .select({ id: numbers.id, accountId: numbers.accountId })
      .from(numbers)
      .where(eq(numbers.number, input.number));
    if (existing !== undefined) throw duplicate(input.number, existing.accountId);
    try {
      const [row] = await tx.insert(numbers).values(input).returning();
      if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
      return row;
    } catch (error) {
      // Lost a race with a concurrent insert of the same number.
      if (sqlState(error) === "23505") throw duplicate(input.number, null);
      throw error;
    }
  });
}

function duplicate(number: string, accountId: string | null): ConflictError {
  const owner = accountId === null ? "" : ` to account ${accountId}`;
  return new ConflictError(`Number ${number} is already assigned${owner}.`);
}

export async function getNumber(db: Database, id: string): Promise<InboundNumber> {
  const [row] = await db.select().from(numbers).where(eq(numbers.id, id));
  if (row === undefined) throw new NotFoundError("Number", id);
  return row;
}

export async function listNumbers(
  db: Database,
  page: PageRequest,
  filter: NumberFilter = {},
): Promise<Page<InboundNumber>> {
  const conditions: SQL[] = [];
  if (page.before !== undefined) conditions.push(lt(numbers.id, page.before));
  if (filter.accountId !== undefined) conditions.push(eq(numbers.accountId, filter.accountId));
  const rows = await db
    .select()
    .from(numbers)
    .where(and(...conditions))
    .orderBy(desc(numbers.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

/** Inbound SMS already received keep their account; only future ones go unassigned. */
export async function deleteNumber(db: Database, id: string): Promise<void> {
  const deleted = await db.delete(numbers).where(eq(numbers.id, id)).returning({ id: numbers.id });
  if (deleted.length === 0) throw new NotFoundError("Number", id);
}
