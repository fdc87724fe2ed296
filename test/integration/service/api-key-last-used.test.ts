/**
 * `last_used_at` of API keys through the running service: requests authenticate over real HTTP, the
 * recorder's flush (called here, never waited for by time) writes the uses, the admin list shows them.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../../src/db/schema.js";
import { call, startTestService, type TestService } from "./harness.js";

interface KeyJson {
  id: string;
  key: string;
  last_used_at: string | null;
}

describe("API key last_used_at", () => {
  let t: TestService;
  let accountId: string;

  const admin = (method: string, path: string, json?: unknown) =>
    call(t.service.url, method, path, t.config.adminToken, json);
  const useKey = (key: string) => call(t.service.url, "GET", "/v1/messages?limit=1", key);
  const newKey = async (): Promise<KeyJson> => {
    const created = await admin("POST", `/admin/accounts/${accountId}/api-keys`, {});
    expect(created.status).toBe(201);
    return created.body as KeyJson;
  };
  const listed = async (keyId: string): Promise<KeyJson | undefined> => {
    const page = await admin("GET", `/admin/accounts/${accountId}/api-keys?limit=100`);
    expect(page.status).toBe(200);
    return (page.body as { data: KeyJson[] }).data.find((k) => k.id === keyId);
  };
  const storedLastUse = async (keyId: string): Promise<Date | null> => {
    const [row] = await t.database.db
      .select({ at: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(eq(apiKeys.id, keyId));
    return row?.at ?? null;
  };

  beforeAll(async () => {
    t = await startTestService();
    const account = await admin("POST", "/admin/accounts", { name: "acme" });
    accountId = (account.body as { id: string }).id;
  });

  afterAll(async () => {
    await t?.close();
  });

  it("lists null for a key never used, and create answers null too", async () => {
    const key = await newKey();
    expect(key.last_used_at).toBeNull();
    await t.service.apiKeyUses.flush();
    expect((await listed(key.id))?.last_used_at).toBeNull();
  });

  it("lists the time of a use once flushed; the request itself writes nothing", async () => {
    const key = await newKey();
    const before = Date.now();
    expect((await useKey(key.key)).status).toBe(200);
    const after = Date.now();
    expect((await listed(key.id))?.last_used_at).toBeNull();
    await t.service.apiKeyUses.flush();
    const lastUsed = (await listed(key.id))?.last_used_at;
    expect(lastUsed).toEqual(expect.any(String));
    const at = Date.parse(lastUsed as string);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });

  it("writes a key once for two uses within the minute, whether or not a flush comes between", async () => {
    const key = await newKey();
    const start = { ...t.service.apiKeyUses.stats };
    expect((await useKey(key.key)).status).toBe(200);
    expect((await useKey(key.key)).status).toBe(200);
    await t.service.apiKeyUses.flush();
    const first = await storedLastUse(key.id);
    expect(first).not.toBeNull();
    expect(t.service.apiKeyUses.stats.keysWritten - start.keysWritten).toBe(1);

    expect((await useKey(key.key)).status).toBe(200);
    await t.service.apiKeyUses.flush();
    expect(t.service.apiKeyUses.stats.keysWritten - start.keysWritten).toBe(1);
    expect(t.service.apiKeyUses.stats.throttled - start.throttled).toBe(1);
    expect(await storedLastUse(key.id)).toEqual(first);
  });

  it("never moves the time backwards (another instance may have written a later use)", async () => {
    const key = await newKey();
    const later = new Date(Date.now() + 3_600_000);
    await t.database.db.update(apiKeys).set({ lastUsedAt: later }).where(eq(apiKeys.id, key.id));
    expect((await useKey(key.key)).status).toBe(200);
    await t.service.apiKeyUses.flush();
    expect(await storedLastUse(key.id)).toEqual(later);
  });

  it("records nothing for a revoked key", async () => {
    const key = await newKey();
    expect((await admin("DELETE", `/admin/accounts/${accountId}/api-keys/${key.id}`)).status).toBe(204);
    const uses = t.service.apiKeyUses.stats.uses;
    expect((await useKey(key.key)).status).toBe(401);
    await t.service.apiKeyUses.flush();
    expect(t.service.apiKeyUses.stats.uses).toBe(uses);
    expect((await listed(key.id))?.last_used_at).toBeNull();
  });

  it("logs a failed write at warn, answers the request, and writes the use at the next flush", async () => {
    const key = await newKey();
    const failures = t.service.apiKeyUses.stats.failures;
    // A real refusal by the database: no row may get a last_used_at while the check stands.
    await t.database.db.execute(
      sql`ALTER TABLE api_keys ADD CONSTRAINT no_last_use CHECK (last_used_at IS NULL) NOT VALID`,
    );
    try {
      expect((await useKey(key.key)).status).toBe(200);
      await t.service.apiKeyUses.flush();
    } finally {
      await t.database.db.execute(sql`ALTER TABLE api_keys DROP CONSTRAINT no_last_use`);
    }
    expect(t.service.apiKeyUses.stats.failures - failures).toBe(1);
    expect(await storedLastUse(key.id)).toBeNull();
    expect(t.logs().some((l) => l.level === 40 && String(l.msg).includes("last_used_at"))).toBe(true);
    await t.service.apiKeyUses.flush();
    expect(await storedLastUse(key.id)).not.toBeNull();
  });

  // Last: it stops the service.
  it("writes pending uses when the service stops", async () => {
    const key = await newKey();
    expect((await useKey(key.key)).status).toBe(200);
    expect(await storedLastUse(key.id)).toBeNull();
    await t.service.stop("test: flush on close");
    expect(await storedLastUse(key.id)).not.toBeNull();
  });
});
