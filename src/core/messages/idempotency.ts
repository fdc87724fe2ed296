/**
 * Idempotency-Key (DESIGN.md §4): the same key from the same account within 24 h returns the first
 * response and stores nothing new; the same key with another request is a 409.
 *
 * The key row is written by the accepting statement itself (accept-statement.ts), in the same
 * transaction as the messages and with the 202 body it will answer, so a key exists exactly when its
 * messages do. A concurrent duplicate blocks on the primary key until the first commits, finds the
 * row, and is answered from it here.
 */
import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client.js";
import { idempotencyKeys } from "../../db/schema.js";
import { ConflictError } from "../service-errors.js";

/** How long a key is remembered: 24 h, in ms. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Longest Idempotency-Key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** A key presented with a request, and the fingerprint of that request. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
}

/** The response stored for a key, answered again to every repeat. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * Fingerprint of a request: which operation, and its body with object keys in a fixed order (so the
 * same JSON sent with its keys reordered is the same request).
 */
export function requestHash(operation: string, body: unknown): string {
  return createHash("sha256").update(operation).update("\n").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * What a repeat of `claim` gets: the stored response when the request is the same, a ConflictError
 * when it differs (or the first is somehow still unanswered); null when no live key exists.
 */
export async function replayStored(
  db: Executor,
  accountId: string,
  claim: IdempotencyClaim,
  now: Date,
): Promise<StoredResponse | null> {
  const [row] = await db
    .select({
      requestHash: idempotencyKeys.requestHash,
      responseStatus: idempotencyKeys.responseStatus,
      responseBody: idempotencyKeys.responseBody,
      createdAt: idempotencyKeys.createdAt,
    })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.accountId, accountId), eq(idempotencyKeys.key, claim.key)));
  if (row === undefined || row.createdAt.getTime() <= now.getTime() - IDEMPOTENCY_WINDOW_MS) return null;
  if (row.requestHash !== claim.requestHash) {
    throw new ConflictError(
      "This Idempotency-Key was already used with a different request; use a new key for a new request.",
    );
  }
  if (row.responseStatus === null) {
    throw new ConflictError("A request with this Idempotency-Key is still being processed; retry shortly.");
  }
  return { status: row.responseStatus, body: row.responseBody };
}

/** Default of {@link sweepIdempotencyKeys}'s `limit`: rows one statement deletes. */
export const SWEEP_BATCH_ROWS = 10_000;

/**
 * Deletes keys older than the 24 h window (they no longer answer: the accept statement takes such a key
 * over), at most `limit` rows per statement and statements until fewer come back, so one sweep never
 * holds a long lock. `SKIP LOCKED`: instances sweeping at once take different rows. Returns how many.
 */
export async function sweepIdempotencyKeys(
  db: Executor,
  now: Date = new Date(),
  limit: number = SWEEP_BATCH_ROWS,
): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  let total = 0;
  // Bounded: a backlog larger than 100 statements is left for the next sweep.
  for (let round = 0; round < 100; round++) {
    const rows = await queryRows<{ n: number }>(
      db,
      sql`WITH doomed AS (
            SELECT account_id, key FROM idempotency_keys
            WHERE created_at < ${cutoff.toISOString()}::timestamptz
            ORDER BY created_at LIMIT ${limit}
            FOR UPDATE SKIP LOCKED
          ), deleted AS (
            DELETE FROM idempotency_keys k USING doomed
            WHERE k.account_id = doomed.account_id AND k.key = doomed.key
            RETURNING 1
          )
          SELECT count(*)::int AS n FROM deleted`,
    );
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < limit) break;
  }
  return total;
}
