import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { accounts, apiKeys } from "../db/schema.js";
import { generateApiKey } from "./crypto.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import { NotFoundError } from "./service-errors.js";

/** A key as stored and listed: never the key itself, never its hash. */
export type ApiKey = Omit<typeof apiKeys.$inferSelect, "keyHash">;

export interface CreatedApiKey {
  id: string;
  /** The whole key: returned this once, never stored. */
  key: string;
  prefix: string;
  createdAt: Date;
}

const listed = {
  id: apiKeys.id,
  accountId: apiKeys.accountId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

export async function createApiKey(
  db: Database,
  accountId: string,
  name: string | null,
): Promise<CreatedApiKey> {
  return db.transaction(async (tx) => {
    // FOR SHARE: the account cannot be deleted between this check and our insert.
    const [account] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.id, accountId))
      .for("share");
    if (account === undefined) throw new NotFoundError("Account", accountId);
    const generated = generateApiKey();
    const [row] = await tx
      .insert(apiKeys)
      .values({ accountId, name, prefix: generated.prefix, keyHash: generated.hash })
      .returning({ id: apiKeys.id, createdAt: apiKeys.createdAt });
    if (row === undefined) throw new Error("INSERT … RETURNING gave no row");
    return { id: row.id, key: generated.key, prefix: generated.prefix, createdAt: row.createdAt };
  });
}

/** The account's keys, revoked ones included (with `revokedAt`), newest first. */
export async function listApiKeys(db: Database, accountId: string, page: PageRequest): Promise<Page<ApiKey>> {
  const [account] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
  if (account === undefined) throw new NotFoundError("Account", accountId);
  const rows = await db
    .select(listed)
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.accountId, accountId),
        page.before === undefined ? undefined : lt(apiKeys.id, page.before),
      ),
    )
    .orderBy(desc(apiKeys.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

/**
 * Revokes a key of the account. Effective at once: authentication (ApiKeyLookup) reads the row on
 * every request, there is no cache to outlive it. Revoking a revoked key is a no-op (keeps the first
 * time).
 */
export async function revokeApiKey(db: Database, accountId: string, keyId: string): Promise<void> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
    .returning({ id: apiKeys.id });
  if (row === undefined) throw new NotFoundError("API key", keyId);
}
