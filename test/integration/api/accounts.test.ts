import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../src/db/schema.js";
import {
  type AccountJson,
  type ApiHarness,
  type CreatedApiKeyJson,
  errorPaths,
  type NumberJson,
  type PageJson,
  PROBE_PATH,
  problemOf,
  type RouteJson,
  startApi,
  type UpstreamJson,
} from "./harness.js";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

async function createAccount(body: Record<string, unknown> = { name: "Acme" }): Promise<AccountJson> {
  const response = await api.call("POST", "/admin/accounts", { json: body });
  expect(response.status).toBe(201);
  return response.json<AccountJson>();
}

describe("POST /admin/accounts", () => {
  it("creates an account with optional default_from and max_tps", async () => {
    const plain = await createAccount({ name: "  Plain  " });
    expect(plain).toEqual({
      id: expect.stringMatching(/^acc_[0-9a-z]{26}$/),
      name: "Plain",
      default_from: null,
      max_tps: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const full = await createAccount({ name: "Full", default_from: "ACME", max_tps: 50 });
    expect(full).toMatchObject({ default_from: "ACME", max_tps: 50 });
    expect((await createAccount({ name: "Numeric", default_from: "+447700900123" })).default_from).toBe(
      "+447700900123",
    );
  });

  it("rejects each invalid field with its path", async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ["name"]],
      [{ name: "" }, ["name"]],
      [{ name: "   " }, ["name"]],
      [{ name: "x".repeat(101) }, ["name"]],
      [{ name: 7 }, ["name"]],
      [{ name: "A", default_from: "TwelveChars!" }, ["default_from"]],
      [{ name: "A", default_from: "" }, ["default_from"]],
      [{ name: "A", default_from: "+1234567890123456" }, ["default_from"]],
      // Senders a send would refuse, so every send relying on the default would fail:
      [{ name: "A", default_from: "07700900123" }, ["default_from"]], // national number
      [{ name: "A", default_from: "12" }, ["default_from"]], // neither short code nor number
      [{ name: "A", default_from: "ACME€" }, ["default_from"]], // not sendable in source_addr
      [{ name: "A", max_tps: 0 }, ["max_tps"]],
      [{ name: "A", max_tps: 1.5 }, ["max_tps"]],
      [{ name: "A", role: "admin" }, ["role"]],
    ];
    for (const [body, paths] of cases) {
      const response = await api.call("POST", "/admin/accounts", { json: body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(await errorPaths(response), JSON.stringify(body)).toEqual(paths);
    }
  });

  it("refuses NUL and lone surrogates in body, path and query alike (422, not a database error)", async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/admin/accounts", { name: "A\u0000" }, "name"],
      ["POST", "/admin/accounts", { name: "A\ud800" }, "name"],
      ["GET", "/admin/accounts/acc_%00", undefined, "id"],
      ["PATCH", "/admin/accounts/acc_%00", { name: "B" }, "id"],
      ["GET", "/admin/accounts?cursor=%00", undefined, "cursor"],
    ];
    for (const [method, path, json, field] of cases) {
      const response = await api.call(method, path, json === undefined ? {} : { json });
      expect(response.status, `${method} ${path}`).toBe(422);
      expect(await errorPaths(response), `${method} ${path}`).toEqual([field]);
    }
  });

  it("rejects a JSON body that is not an object (422)", async () => {
    for (const body of [[], "Acme", null, 42]) {
      const response = await api.call("POST", "/admin/accounts", { json: body });
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
  });
});

describe("GET /admin/accounts and /admin/accounts/{id}", () => {
  it("lists newest first with cursor paging and gets one by id", async () => {
    const made = [await createAccount({ name: "L1" }), await createAccount({ name: "L2" })];
    const first = await (await api.call("GET", "/admin/accounts?limit=1")).json<PageJson<AccountJson>>();
    expect(first.data).toEqual([made[1]]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await (await api.call("GET", `/admin/accounts?limit=1&cursor=${first.next_cursor}`)).json<
      PageJson<AccountJson>
    >();
    expect(second.data).toEqual([made[0]]);
    const one = await (await api.call("GET", `/admin/accounts/${made[0]?.id}`)).json<AccountJson>();
    expect(one.name).toBe("L1");
    expect((await api.call("GET", "/admin/accounts/acc_00000000000000000000000000")).status).toBe(404);
    expect((await api.call("GET", "/admin/accounts?limit=101")).status).toBe(422);
  });
});

describe("PATCH /admin/accounts/{id}", () => {
  it("changes the given fields, clears with null, validates, and 404s an unknown id", async () => {
    const made = await createAccount({ name: "Before", default_from: "OLD", max_tps: 5 });
    const patched = await api.call("PATCH", `/admin/accounts/${made.id}`, {
      json: { name: "After", max_tps: null },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      id: made.id,
      name: "After",
      default_from: "OLD",
      max_tps: null,
    });
    const invalid = await api.call("PATCH", `/admin/accounts/${made.id}`, { json: { name: "" } });
    expect(invalid.status).toBe(422);
    expect(await errorPaths(invalid)).toEqual(["name"]);
    const missing = await api.call("PATCH", "/admin/accounts/acc_00000000000000000000000000", {
      json: { name: "X" },
    });
    expect(missing.status).toBe(404);
  });
});

describe("DELETE /admin/accounts/{id}", () => {
  it("deletes an account with its keys; its keys stop working", async () => {
    const made = await createAccount({ name: "Doomed" });
    const key = await (
      await api.call("POST", `/admin/accounts/${made.id}/api-keys`, { json: {} })
    ).json<CreatedApiKeyJson>();
    expect((await api.call("GET", PROBE_PATH, { token: key.key })).status).toBe(200);
    expect((await api.call("DELETE", `/admin/accounts/${made.id}`)).status).toBe(204);
    expect((await api.call("GET", `/admin/accounts/${made.id}`)).status).toBe(404);
    expect((await api.call("GET", PROBE_PATH, { token: key.key })).status).toBe(401);
    expect((await api.call("DELETE", `/admin/accounts/${made.id}`)).status).toBe(404);
  });

  it("refuses while numbers or routes belong to it (409 saying which)", async () => {
    const made = await createAccount({ name: "Referenced" });
    const upstream = await (
      await api.call("POST", "/admin/upstreams", {
        json: { name: "acc-test", host: "127.0.0.1", port: 2775, system_id: "a", password: "b" },
      })
    ).json<UpstreamJson>();
    const number = await (
      await api.call("POST", "/admin/numbers", { json: { number: "+447700900001", account_id: made.id } })
    ).json<NumberJson>();
    const route = await (
      await api.call("POST", "/admin/routes", {
        json: { prefix: "44", upstream_ids: [upstream.id], account_id: made.id },
      })
    ).json<RouteJson>();
    const refused = await api.call("DELETE", `/admin/accounts/${made.id}`);
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toMatch(/1 number and 1 route/);
    await api.call("DELETE", `/admin/numbers/${number.id}`);
    await api.call("DELETE", `/admin/routes/${route.id}`);
    expect((await api.call("DELETE", `/admin/accounts/${made.id}`)).status).toBe(204);
  });

  it("refuses once the account has message history (409)", async () => {
    const made = await createAccount({ name: "Busy" });
    await api.database.db.insert(messages).values({
      accountId: made.id,
      status: "delivered",
      to: "+447700900002",
      from: "ACME",
      text: "hello",
      encoding: "gsm7",
      dataCoding: 0,
      segments: 1,
    });
    const refused = await api.call("DELETE", `/admin/accounts/${made.id}`);
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toContain("history");
    expect((await api.call("GET", `/admin/accounts/${made.id}`)).status).toBe(200);
  });
});
