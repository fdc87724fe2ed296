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
import { and, eq, lt } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
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

/** Deletes keys older than the 24 h window (they no longer answer); returns how many. */
export async function sweepIdempotencyKeys(db: Executor, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, cutoff))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
