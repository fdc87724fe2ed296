/** RouteTable over the routes table: account routes before shared ones, longest prefix, failover order. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAccount } from "../../../src/core/accounts.js";
import { createRoute } from "../../../src/core/routes.js";
import { RouteTable } from "../../../src/core/routing.js";
import { routes, upstreams } from "../../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

let database: TestDatabase;
const bound = new Set<string>();
let table: RouteTable;
let acme = "";
let other = "";
const ids: Record<string, string> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  for (const name of ["a", "b", "c", "d"]) {
    const [row] = await db
      .insert(upstreams)
      .values({ name, host: "127.0.0.1", port: 2775, systemId: "x", passwordEnc: "sealed" })
      .returning();
    ids[name] = row?.id ?? "";
  }
  acme = (await createAccount(db, { name: "Acme" })).id;
  other = (await createAccount(db, { name: "Other" })).id;
  const route = (prefix: string, names: string[], accountId: string | null) =>
    createRoute(db, { prefix, upstreamIds: names.map((n) => ids[n] ?? ""), accountId });
  await route("", ["a"], null);
  await route("44", ["b", "c"], null);
  await route("4477", ["c"], null);
  await route("4", ["d"], acme);
  table = new RouteTable(db, { isBound: (id) => bound.has(id) }, { refreshMs: 0 });
  await table.start();
});
afterAll(async () => {
  table?.stop();
  await database?.close();
});

function pick(accountId: string, to: string): string | null {
  const choice = table.resolve(accountId, to);
  if (choice.kind === "no_route") return null;
  return Object.keys(ids).find((name) => ids[name] === choice.upstreamId) ?? choice.upstreamId;
}

describe("RouteTable", () => {
  test("shared routes: longest matching prefix wins, '' catches the rest", () => {
    for (const id of Object.values(ids)) bound.add(id);
    expect(pick(other, "+447700900123")).toBe("c");
    expect(pick(other, "+441234567890")).toBe("b");
    expect(pick(other, "+33612345678")).toBe("a");
  });

  test("an account's own route comes before a shared one, even a longer shared one", () => {
    expect(pick(acme, "+447700900123")).toBe("d");
    expect(pick(acme, "+33612345678")).toBe("a");
  });

  test("failover order skips an upstream with no bound session", () => {
    bound.delete(ids.b ?? "");
    expect(pick(other, "+441234567890")).toBe("c");
    bound.add(ids.b ?? "");
    expect(pick(other, "+441234567890")).toBe("b");
  });

  test("none bound: the first of the list, marked unbound (the pool waits for a bind)", () => {
    bound.clear();
    const choice = table.resolve(other, "+441234567890");
    expect(choice).toMatchObject({ kind: "upstream", upstreamId: ids.b, bound: false });
  });

  test("no matching route: no_route; a route added later is seen after invalidate()", async () => {
    const fresh = new RouteTable(database.db, { isBound: () => true }, { refreshMs: 0 });
    const stranger = (await createAccount(database.db, { name: "Stranger" })).id;
    await fresh.start();
    expect(fresh.resolve(stranger, "+33612345678")).toMatchObject({ kind: "upstream" });
    const empty = new RouteTable(database.db, { isBound: () => true }, { refreshMs: 0 });
    await empty.start();
    await database.db.delete(routes);
    empty.invalidate();
    await empty.ready();
    expect(empty.resolve(stranger, "+33612345678")).toEqual({ kind: "no_route" });
    await createRoute(database.db, { prefix: "33", upstreamIds: [ids.a ?? ""], accountId: null });
    empty.invalidate();
    await empty.ready();
    expect(empty.resolve(stranger, "+33612345678")).toMatchObject({ kind: "upstream", upstreamId: ids.a });
    fresh.stop();
    empty.stop();
  });
});
