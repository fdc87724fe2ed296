/**
 * API key checks batched like the accept path's group commit: requests that arrive while a lookup is
 * running wait for the next one, which reads all their keys in ONE indexed query (`prefix = ANY(…)`).
 * Under load that turns one database round trip per request into one per batch; at rest the first
 * request's query starts at once, so nothing waits for company.
 *
 * Revocation stays immediate: a request only joins a query that has not been sent yet, so every query
 * reads the database after every request in it arrived (a key revoked before a request came is seen
 * revoked, as with a query per request).
 */
import { and, isNull } from "drizzle-orm";
import { anyOfText } from "../db/any-of.js";
import type { Database } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { apiKeyPrefix, verifyToken } from "./crypto.js";

export interface ApiKeyLookupOptions {
  /** Lookups running at once; requests arriving meanwhile queue for the next. Default 2. */
  maxInFlight?: number;
  /** Most keys read by one query. Default 500. */
  maxBatch?: number;
}

/** Whom a valid key authenticates: its account, and the key itself (for its `last_used_at`). */
export interface ApiKeyIdentity {
  accountId: string;
  keyId: string;
}

interface Waiting {
  token: string;
  prefix: string;
  resolve: (identity: ApiKeyIdentity | null) => void;
  reject: (error: unknown) => void;
}

export class ApiKeyLookup {
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private queue: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    options: ApiKeyLookupOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** The key and account a presented key stands for, or null when the key is unknown or revoked. */
  authenticate(token: string): Promise<ApiKeyIdentity | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ token, prefix: apiKeyPrefix(token), resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const prefixes = [...new Set(batch.map((w) => w.prefix))];
      const rows = await this.db
        .select({
          id: apiKeys.id,
          prefix: apiKeys.prefix,
          accountId: apiKeys.accountId,
          keyHash: apiKeys.keyHash,
        })
        .from(apiKeys)
        .where(and(anyOfText(apiKeys.prefix, prefixes), isNull(apiKeys.revokedAt)));
      const byPrefix = new Map(rows.map((row) => [row.prefix, row]));
      for (const waiting of batch) {
        const row = byPrefix.get(waiting.prefix);
        const valid = row !== undefined && verifyToken(waiting.token, row.keyHash);
        waiting.resolve(valid ? { accountId: row.accountId, keyId: row.id } : null);
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
