import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountJson,
  type ApiHarness,
  type CreatedApiKeyJson,
  PROBE_PATH,
  problemOf,
  startApi,
} from "./harness.js";

let api: ApiHarness;
let accountId: string;
let apiKey: string;
let keyId: string;

beforeAll(async () => {
  api = await startApi();
  const account = await (
    await api.call("POST", "/admin/accounts", { json: { name: "Acme" } })
  ).json<AccountJson>();
  accountId = account.id;
  const created = await (
    await api.call("POST", `/admin/accounts/${accountId}/api-keys`, { json: {} })
  ).json<CreatedApiKeyJson>();
  apiKey = created.key;
  keyId = created.id;
});
afterAll(async () => {
  await api.close();
});

async function expect401(response: Response, realm: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="${realm}"`);
  const problem = await problemOf(response);
  expect(problem.type).toBe("urn:smpp-bridge:problem:unauthorized");
  expect(problem.detail).not.toContain(api.adminToken);
}

describe("admin routes", () => {
  it("open with the admin token", async () => {
    expect((await api.call("GET", "/admin/accounts")).status).toBe(200);
  });

  it("refuse no credentials, another scheme, a wrong token, and a customer API key", async () => {
    await expect401(await api.call("GET", "/admin/accounts", { token: null }), "admin");
    await expect401(
      await api.call("GET", "/admin/accounts", {
        token: null,
        headers: { Authorization: `Basic ${api.adminToken}` },
      }),
      "admin",
    );
    await expect401(await api.call("GET", "/admin/accounts", { token: `${api.adminToken}x` }), "admin");
    await expect401(
      await api.call("GET", "/admin/accounts", { token: api.adminToken.slice(0, -1) }),
      "admin",
    );
    await expect401(await api.call("GET", "/admin/accounts", { token: apiKey }), "admin");
  });

  it("every admin operation of the OpenAPI document refuses no token, a wrong one and an API key", async () => {
    const doc = await (await api.call("GET", "/openapi.json", { token: null })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/admin"))
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, "x_1")]),
      );
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const [method = "", path = ""] of operations) {
      const json = method === "GET" || method === "DELETE" ? undefined : {};
      for (const token of [null, `${api.adminToken}x`, apiKey]) {
        const response = await api.call(method, path, { token, json });
        expect(response.status, `${method} ${path} with ${token === null ? "no token" : "a bad token"}`).toBe(
          401,
        );
      }
    }
  });

  it("refuse before anything else: an unknown admin path or bad body without a token is still a 401", async () => {
    await expect401(await api.call("GET", "/admin/nope", { token: null }), "admin");
    await expect401(
      await api.call("POST", "/admin/accounts", {
        token: null,
        body: "{",
        headers: { "Content-Type": "application/json" },
      }),
      "admin",
    );
  });
});

describe("customer routes (/v1)", () => {
  it("open with a valid API key and know its account", async () => {
    const response = await api.call("GET", PROBE_PATH, { token: apiKey });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ account_id: accountId });
  });

  it("refuse no key, a made-up key, a key with a right prefix but wrong secret, and the admin token", async () => {
    await expect401(await api.call("GET", PROBE_PATH, { token: null }), "api");
    await expect401(await api.call("GET", PROBE_PATH, { token: "sk_live_doesnotexist000000000000" }), "api");
    const tampered = apiKey.slice(0, -1) + (apiKey.endsWith("A") ? "B" : "A");
    await expect401(await api.call("GET", PROBE_PATH, { token: tampered }), "api");
    await expect401(await api.call("GET", PROBE_PATH, { token: api.adminToken }), "api");
  });

  it("refuse a revoked key on the very next request", async () => {
    const other = await (
      await api.call("POST", `/admin/accounts/${accountId}/api-keys`, { json: {} })
    ).json<CreatedApiKeyJson>();
    expect((await api.call("GET", PROBE_PATH, { token: other.key })).status).toBe(200);
    expect((await api.call("DELETE", `/admin/accounts/${accountId}/api-keys/${other.id}`)).status).toBe(204);
    await expect401(await api.call("GET", PROBE_PATH, { token: other.key }), "api");
    // The first key of the account is untouched.
    expect((await api.call("GET", PROBE_PATH, { token: apiKey })).status).toBe(200);
    expect(keyId).not.toBe(other.id);
  });
});

describe("operations", () => {
  it("need no credentials", async () => {
    for (const path of ["/healthz", "/readyz", "/openapi.json", "/docs"]) {
      expect((await api.call("GET", path, { token: null })).status, path).toBe(200);
    }
  });
});
