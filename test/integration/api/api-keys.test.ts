import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../../src/core/crypto.js";
import { apiKeys } from "../../../src/db/schema.js";
import {
  type AccountJson,
  type ApiHarness,
  type ApiKeyJson,
  type CreatedApiKeyJson,
  errorPaths,
  type PageJson,
  PROBE_PATH,
  problemOf,
  startApi,
} from "./harness.js";

let api: ApiHarness;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  api = await startApi();
  accountA = (await (await api.call("POST", "/admin/accounts", { json: { name: "A" } })).json<AccountJson>())
    .id;
  accountB = (await (await api.call("POST", "/admin/accounts", { json: { name: "B" } })).json<AccountJson>())
    .id;
});
afterAll(async () => {
  await api.close();
});

describe("POST /admin/accounts/{id}/api-keys", () => {
  it("returns the key once with its prefix, stores only the hash", async () => {
    const response = await api.call("POST", `/admin/accounts/${accountA}/api-keys`, { json: { name: "ci" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const created = await response.json<CreatedApiKeyJson>();
    expect(created).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^sk_live_[0-9A-Za-z]{43}$/),
      prefix: expect.any(String),
      created_at: expect.any(String),
      last_used_at: null,
    });
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix.length).toBeLessThan(created.key.length - 20);
    const [row] = await api.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.keyHash).toBe(hashToken(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect((await api.call("GET", PROBE_PATH, { token: created.key })).status).toBe(200);
  });

  it("works with no body at all, and 404s an unknown account", async () => {
    const bare = await api.call("POST", `/admin/accounts/${accountA}/api-keys`);
    expect(bare.status).toBe(201);
    const missing = await api.call("POST", "/admin/accounts/acc_00000000000000000000000000/api-keys", {
      json: {},
    });
    expect(missing.status).toBe(404);
    expect((await problemOf(missing)).detail).toContain("Account");
  });

  it("validates the name", async () => {
    const response = await api.call("POST", `/admin/accounts/${accountA}/api-keys`, { json: { name: "" } });
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["name"]);
  });
});

describe("GET /admin/accounts/{id}/api-keys", () => {
  it("lists the account's own keys by prefix only, newest first", async () => {
    const mine = await (
      await api.call("POST", `/admin/accounts/${accountB}/api-keys`, { json: { name: "b1" } })
    ).json<CreatedApiKeyJson>();
    const response = await api.call("GET", `/admin/accounts/${accountB}/api-keys`);
    expect(response.status).toBe(200);
    const page = await response.json<PageJson<ApiKeyJson>>();
    expect(page).toEqual({
      data: [
        {
          id: mine.id,
          name: "b1",
          prefix: mine.prefix,
          created_at: mine.created_at,
          last_used_at: null,
          revoked_at: null,
        },
      ],
      next_cursor: null,
    });
    expect(JSON.stringify(page)).not.toContain(mine.key);
    expect((await api.call("GET", "/admin/accounts/acc_00000000000000000000000000/api-keys")).status).toBe(
      404,
    );
  });
});

describe("DELETE /admin/accounts/{id}/api-keys/{key_id}", () => {
  it("revokes at once, keeps the key listed with revoked_at, and is idempotent", async () => {
    const created = await (
      await api.call("POST", `/admin/accounts/${accountA}/api-keys`, { json: {} })
    ).json<CreatedApiKeyJson>();
    expect((await api.call("GET", PROBE_PATH, { token: created.key })).status).toBe(200);
    expect((await api.call("DELETE", `/admin/accounts/${accountA}/api-keys/${created.id}`)).status).toBe(204);
    expect((await api.call("GET", PROBE_PATH, { token: created.key })).status).toBe(401);
    const listed = (
      await (
        await api.call("GET", `/admin/accounts/${accountA}/api-keys?limit=100`)
      ).json<PageJson<ApiKeyJson>>()
    ).data;
    const entry = listed.find((k) => k.id === created.id);
    expect(entry?.revoked_at).toEqual(expect.any(String));
    expect((await api.call("DELETE", `/admin/accounts/${accountA}/api-keys/${created.id}`)).status).toBe(204);
  });

  it("404s another account's key and leaves it working", async () => {
    const keyOfA = await (
      await api.call("POST", `/admin/accounts/${accountA}/api-keys`, { json: {} })
    ).json<CreatedApiKeyJson>();
    const response = await api.call("DELETE", `/admin/accounts/${accountB}/api-keys/${keyOfA.id}`);
    expect(response.status).toBe(404);
    expect((await api.call("GET", PROBE_PATH, { token: keyOfA.key })).status).toBe(200);
    expect(
      (await api.call("DELETE", `/admin/accounts/${accountA}/api-keys/key_00000000000000000000000000`))
        .status,
    ).toBe(404);
  });
});
