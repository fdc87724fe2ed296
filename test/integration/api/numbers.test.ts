import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountJson,
  type ApiHarness,
  errorPaths,
  type NumberJson,
  type PageJson,
  problemOf,
  startApi,
} from "./harness.js";

let api: ApiHarness;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  api = await startApi();
  const create = async (name: string) =>
    (await (await api.call("POST", "/admin/accounts", { json: { name } })).json<AccountJson>()).id;
  accountA = await create("A");
  accountB = await create("B");
});
afterAll(async () => {
  await api.close();
});

describe("POST /admin/numbers", () => {
  it("assigns a number, stored and echoed in E.164 with +", async () => {
    const response = await api.call("POST", "/admin/numbers", {
      json: { number: "44 7700 900100", account_id: accountA },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      id: expect.stringMatching(/^num_/),
      number: "+447700900100",
      account_id: accountA,
      created_at: expect.any(String),
    });
  });

  it("assigns a short code, kept as its digits (inbound SMS to 88222 arrive without a +)", async () => {
    const response = await api.call("POST", "/admin/numbers", {
      json: { number: "88222", account_id: accountA },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ number: "88222", account_id: accountA });
  });

  it("refuses the same number again, however it is written, for any account (409)", async () => {
    await api.call("POST", "/admin/numbers", { json: { number: "+447700900200", account_id: accountA } });
    for (const [number, account] of [
      ["+447700900200", accountA],
      ["447700900200", accountB],
    ] as const) {
      const response = await api.call("POST", "/admin/numbers", { json: { number, account_id: account } });
      expect(response.status, number).toBe(409);
      expect((await problemOf(response)).detail).toContain("+447700900200");
    }
  });

  it("rejects malformed fields (422) and an unknown account (422 on account_id)", async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ["account_id", "number"]],
      [{ number: "12", account_id: accountA }, ["number"]],
      [{ number: "07700900300", account_id: accountA }, ["number"]],
      [{ number: "+4477009001234567", account_id: accountA }, ["number"]],
      [{ number: "+44abc", account_id: accountA }, ["number"]],
      [{ number: 447700900300, account_id: accountA }, ["number"]],
      [{ number: "+447700900300", account_id: accountA, label: "x" }, ["label"]],
      [{ number: "+447700900300", account_id: "acc_00000000000000000000000000" }, ["account_id"]],
    ];
    for (const [body, paths] of cases) {
      const response = await api.call("POST", "/admin/numbers", { json: body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(await errorPaths(response), JSON.stringify(body)).toEqual(paths);
    }
  });
});

describe("GET /admin/numbers", () => {
  it("lists newest first, filters by account, pages", async () => {
    await api.call("POST", "/admin/numbers", { json: { number: "+15550000001", account_id: accountB } });
    await api.call("POST", "/admin/numbers", { json: { number: "+15550000002", account_id: accountB } });
    const ofB = await (await api.call("GET", `/admin/numbers?account_id=${accountB}`)).json<
      PageJson<NumberJson>
    >();
    expect(ofB.data.map((n) => n.number)).toEqual(["+15550000002", "+15550000001"]);
    expect(ofB.next_cursor).toBeNull();
    const first = await (await api.call("GET", "/admin/numbers?limit=1")).json<PageJson<NumberJson>>();
    const rest = await (await api.call("GET", `/admin/numbers?limit=100&cursor=${first.next_cursor}`)).json<
      PageJson<NumberJson>
    >();
    const ids = [...first.data, ...rest.data].map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(await errorPaths(await api.call("GET", "/admin/numbers?limit=-1"))).toEqual(["limit"]);
  });
});

describe("DELETE /admin/numbers/{id}", () => {
  it("releases a number so it can be assigned again, then 404s", async () => {
    const made = await (
      await api.call("POST", "/admin/numbers", { json: { number: "+15550000099", account_id: accountA } })
    ).json<NumberJson>();
    expect((await api.call("DELETE", `/admin/numbers/${made.id}`)).status).toBe(204);
    expect((await api.call("DELETE", `/admin/numbers/${made.id}`)).status).toBe(404);
    const again = await api.call("POST", "/admin/numbers", {
      json: { number: "+15550000099", account_id: accountB },
    });
    expect(again.status).toBe(201);
  });
});
