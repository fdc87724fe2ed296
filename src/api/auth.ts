import type { MiddlewareHandler } from "hono";
import { ApiKeyLookup } from "../core/api-key-lookup.js";
import { hashToken, verifyToken } from "../core/crypto.js";
import type { AppEnv } from "./app-env.js";
import { ApiError } from "./errors.js";

/**
 * Bearer authentication. The admin token opens /admin/* only; customer API keys open /v1/* only. Each
 * check fails the other kind of credential naturally: an API key never equals the admin token, and the
 * admin token matches no API key row.
 */

/** The token of `Authorization: Bearer <token>`, or null when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(realm: string, detail: string): ApiError {
  return new ApiError("UNAUTHORIZED", detail, { headers: { "WWW-Authenticate": `Bearer realm="${realm}"` } });
}

/** Checks the admin token (ADMIN_TOKEN) in constant time: both sides are hashed to equal length first. */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  let expectedHash: string | undefined;
  return async (c, next) => {
    expectedHash ??= hashToken(c.get("deps").config.adminToken);
    const token = bearerToken(c.req.header("Authorization"));
    if (token === null)
      throw unauthorized("admin", "Send the admin token as `Authorization: Bearer <token>`.");
    if (!verifyToken(token, expectedHash)) throw unauthorized("admin", "The admin token is not valid.");
    await next();
  };
}

/**
 * Checks a customer API key and sets `accountId` on the context. The key row is read on every request
 * (one indexed lookup by prefix), so a revoked key fails on the very next request on every instance.
 * The use is handed to the recorder of `last_used_at`, which only notes it in memory.
 */
export function customerAuth(): MiddlewareHandler<AppEnv> {
  // Concurrent requests share one lookup query (see ApiKeyLookup): still read on every request.
  let lookup: ApiKeyLookup | undefined;
  return async (c, next) => {
    const token = bearerToken(c.req.header("Authorization"));
    if (token === null) throw unauthorized("api", "Send your API key as `Authorization: Bearer <key>`.");
    lookup ??= new ApiKeyLookup(c.get("deps").db);
    const identity = await lookup.authenticate(token);
    if (identity === null) throw unauthorized("api", "The API key is not valid or has been revoked.");
    c.get("deps").apiKeyUses.record(identity.keyId);
    c.set("accountId", identity.accountId);
    await next();
  };
}
