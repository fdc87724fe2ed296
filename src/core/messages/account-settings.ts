import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { accounts } from "../../db/schema.js";

/** What accepting a message needs to know about its account. */
export interface AccountSettings {
  defaultFrom: string | null;
  maxTps: number | null;
}

export interface AccountSettingsOptions {
  /**
   * How long a read of an account's settings is used before it is read again, in ms. Default 5000:
   * an admin change of default_from or max_tps reaches every instance within that time, and the
   * accept path makes no database round trip of its own.
   */
  ttlMs?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

interface Entry {
  value: Promise<AccountSettings>;
  expiresAt: number;
}

/** Account settings read through a short-lived cache; concurrent misses share one query. */
export class AccountSettingsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    options: AccountSettingsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
  }

  get(accountId: string): Promise<AccountSettings> {
    const now = this.now();
    const cached = this.entries.get(accountId);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    const value = this.read(accountId);
    this.entries.set(accountId, { value, expiresAt: now + this.ttlMs });
    // A failed read is not cached: the next request asks the database again.
    value.catch(() => {
      if (this.entries.get(accountId)?.value === value) this.entries.delete(accountId);
    });
    return value;
  }

  /** Forgets an account's settings, e.g. after this instance changed them. */
  invalidate(accountId: string): void {
    this.entries.delete(accountId);
  }

  private async read(accountId: string): Promise<AccountSettings> {
    const [row] = await this.db
      .select({ defaultFrom: accounts.defaultFrom, maxTps: accounts.maxTps })
      .from(accounts)
      .where(eq(accounts.id, accountId));
    // The API key was just checked, so the account exists; if it was deleted meanwhile the insert's
    // foreign key refuses the message.
    return row ?? { defaultFrom: null, maxTps: null };
  }
}
