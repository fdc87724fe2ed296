import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountJson,
  type ApiHarness,
  errorPaths,
  type PageJson,
  problemOf,
  type RouteJson,
  startApi,
  type UpstreamJson,
  upstreamBody,
} from "./harness.js";

let api: ApiHarness;
let up1: string;
let up2: string;
let account: string;

beforeAll(async () => {
  api = await startApi();
  const create = async () =>
    (await (await api.call("POST", "/admin/upstreams", { json: upstreamBody() })).json<UpstreamJson>()).id;
  up1 = await create();
  up2 = await create();
  account = (await (await api.call("POST", "/admin/accounts", { json: { name: "R" } })).json<AccountJson>())
    .id;
});
afterAll(async () => {
  await api.close();
});

describe("POST /admin/routes", () => {
  it("creates shared and per-account routes, keeping the failover order", async () => {
    const shared = await api.call("POST", "/admin/routes", {
      json: { prefix: "+44", upstream_ids: [up2, up1] },
    });
    expect(shared.status).toBe(201);
    expect(await shared.json()).toEqual({
      id: expect.stringMatching(/^rte_/),
      prefix: "44",
      upstream_ids: [up2, up1],
      account_id: null,
      created_at: expect.any(String),
    });
    const own = await api.call("POST", "/admin/routes", {
      json: { prefix: "44", upstream_ids: [up1], account_id: account },
    });
    expect(own.status).toBe(201);
    expect((await own.json<RouteJson>()).account_id).toBe(account);
    const catchAll = await api.call("POST", "/admin/routes", { json: { prefix: "", upstream_ids: [up1] } });
    expect(catchAll.status).toBe(201);
  });

  it("rejects malformed fields with their paths", async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ["prefix", "upstream_ids"]],
      [{ prefix: "44a", upstream_ids: [up1] }, ["prefix"]],
      [{ prefix: "1234567890123456", upstream_ids: [up1] }, ["prefix"]],
      [{ prefix: 44, upstream_ids: [up1] }, ["prefix"]],
      [{ prefix: "1", upstream_ids: [] }, ["upstream_ids"]],
      [{ prefix: "1", upstream_ids: up1 }, ["upstream_ids"]],
      [{ prefix: "1", upstream_ids: [up1, up1] }, ["upstream_ids"]],
      [{ prefix: "1", upstream_ids: [up1], account_id: "" }, ["account_id"]],
      [{ prefix: "1", upstream_ids: [up1], weight: 3 }, ["weight"]],
    ];
    for (const [body, paths] of cases) {
      const response = await api.call("POST", "/admin/routes", { json: body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(await errorPaths(response), JSON.stringify(body)).toEqual(paths);
    }
  });

  it("rejects an unknown upstream (422 on its index) or account (422 on account_id)", async () => {
    const ghost = "ups_00000000000000000000000000";
    const upstream = await api.call("POST", "/admin/routes", {
      json: { prefix: "33", upstream_ids: [up1, ghost] },
    });
    expect(upstream.status).toBe(422);
    const problem = await problemOf(upstream);
    expect(problem.errors).toEqual([{ path: "upstream_ids.1", message: expect.stringContaining(ghost) }]);
    const acc = await api.call("POST", "/admin/routes", {
      json: { prefix: "33", upstream_ids: [up1], account_id: "acc_00000000000000000000000000" },
    });
    expect(acc.status).toBe(422);
    expect(await errorPaths(acc)).toEqual(["account_id"]);
  });

  it("refuses a second route for the same prefix in the same scope (409)", async () => {
    expect(
      (await api.call("POST", "/admin/routes", { json: { prefix: "49", upstream_ids: [up1] } })).status,
    ).toBe(201);
    const again = await api.call("POST", "/admin/routes", { json: { prefix: "+49", upstream_ids: [up2] } });
    expect(again.status).toBe(409);
    expect((await problemOf(again)).detail).toContain('"49"');
    const scoped = await api.call("POST", "/admin/routes", {
      json: { prefix: "49", upstream_ids: [up2], account_id: account },
    });
    expect(scoped.status).toBe(201);
  });
});

describe("GET /admin/routes", () => {
  it("lists newest first, filters by account, pages and validates limit", async () => {
    const all = await (await api.call("GET", "/admin/routes?limit=100")).json<PageJson<RouteJson>>();
    expect(all.data.length).toBeGreaterThanOrEqual(4);
    expect(all.data.map((r) => r.id)).toEqual(
      all.data
        .map((r) => r.id)
        .sort()
        .reverse(),
    );
    const mine = await (await api.call("GET", `/admin/routes?account_id=${account}`)).json<
      PageJson<RouteJson>
    >();
    expect(mine.data.length).toBeGreaterThan(0);
    for (const route of mine.data) expect(route.account_id).toBe(account);
    const first = await (await api.call("GET", "/admin/routes?limit=1")).json<PageJson<RouteJson>>();
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).not.toBeNull();
    expect((await api.call("GET", "/admin/routes?limit=500")).status).toBe(422);
  });
});

describe("DELETE /admin/routes/{id}", () => {
  it("deletes, then 404s", async () => {
    const route = await (
      await api.call("POST", "/admin/routes", { json: { prefix: "7", upstream_ids: [up1] } })
    ).json<RouteJson>();
    expect((await api.call("DELETE", `/admin/routes/${route.id}`)).status).toBe(204);
    expect((await api.call("DELETE", `/admin/routes/${route.id}`)).status).toBe(404);
  });
});
