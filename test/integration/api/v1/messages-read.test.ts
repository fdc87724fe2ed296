import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../../src/db/schema.js";
import { errorPaths, type PageJson, problemOf } from "../harness.js";
import {
  type Customer,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;

beforeAll(async () => {
  api = await startMessagesApi();
});
afterAll(() => api?.close());

async function sent(customer: Customer, body: Record<string, unknown>): Promise<MessageJson> {
  const response = await customer.send(body);
  expect(response.status).toBe(202);
  return response.json<MessageJson>();
}

async function list(customer: Customer, query: string): Promise<PageJson<MessageJson>> {
  const response = await customer.call("GET", `/v1/messages${query}`);
  expect(response.status).toBe(200);
  return response.json<PageJson<MessageJson>>();
}

describe("GET /v1/messages/{id}", () => {
  it("returns the message with its parts, as accepted", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const accepted = await sent(acme, {
      to: "+447700900301",
      text: "x".repeat(200),
      client_reference: "c-1",
    });
    const response = await acme.call("GET", `/v1/messages/${accepted.id}`);
    expect(response.status).toBe(200);
    const body = await response.json<MessageJson>();
    expect(body).toEqual(accepted);
    expect(body.parts.map((p) => p.index)).toEqual([1, 2]);
  });

  it("answers 404 for an unknown id", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const response = await acme.call("GET", "/v1/messages/msg_00000000000000000000000000");
    expect(response.status).toBe(404);
    expect((await problemOf(response)).status).toBe(404);
  });
});

describe("GET /v1/messages", () => {
  it("pages newest first with an opaque cursor until next_cursor is null", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await sent(acme, { to: "+447700900302", text: `m${i}` })).id);
    const newestFirst = [...ids].reverse();

    const seen: string[] = [];
    let query = "?limit=3";
    for (let page = 0; page < 5; page++) {
      const body = await list(acme, query);
      seen.push(...body.data.map((m) => m.id));
      if (body.next_cursor === null) break;
      expect(body.data).toHaveLength(3);
      query = `?limit=3&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(seen).toEqual(newestFirst);

    const all = await list(acme, "");
    expect(all.data.map((m) => m.id)).toEqual(newestFirst);
    expect(all.next_cursor).toBeNull();
    const exact = await list(acme, "?limit=7");
    expect(exact.next_cursor).toBeNull();
  });

  it("filters by status, by to with or without +, and by client_reference", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const a = await sent(acme, { to: "+447700900303", text: "a", client_reference: "ref-a" });
    const b = await sent(acme, { to: "447700900304", text: "b", client_reference: "ref-b" });
    const c = await sent(acme, { to: "+447700900303", text: "c", send_at: "2099-01-01T00:00:00Z" });

    const ids = (page: PageJson<MessageJson>) => page.data.map((m) => m.id);
    expect(ids(await list(acme, "?to=%2B447700900303"))).toEqual([c.id, a.id]);
    expect(ids(await list(acme, "?to=447700900303"))).toEqual([c.id, a.id]);
    expect(ids(await list(acme, "?to=44%207700%20900304"))).toEqual([b.id]);
    expect(ids(await list(acme, "?status=scheduled"))).toEqual([c.id]);
    expect(ids(await list(acme, "?status=queued"))).toEqual([b.id, a.id]);
    expect(ids(await list(acme, "?status=delivered"))).toEqual([]);
    expect(ids(await list(acme, "?client_reference=ref-b"))).toEqual([b.id]);
    expect(ids(await list(acme, "?status=queued&to=447700900303"))).toEqual([a.id]);
  });

  it.each([
    ["?limit=0", ["limit"]],
    ["?limit=101", ["limit"]],
    ["?limit=ten", ["limit"]],
    ["?status=lost", ["status"]],
    ["?to=12", ["to"]],
    ["?cursor=bm90LWEtY3Vyc29y", ["cursor"]],
  ])("refuses %s with 422", async (query, paths) => {
    const acme = await api.customer();
    const response = await acme.call("GET", `/v1/messages${query}`);
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(paths);
  });

  it("takes limit 1 and 100", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    await sent(acme, { to: "+447700900305", text: "a" });
    await sent(acme, { to: "+447700900305", text: "b" });
    const one = await list(acme, "?limit=1");
    expect(one.data).toHaveLength(1);
    expect(one.next_cursor).not.toBeNull();
    expect((await list(acme, "?limit=100")).data).toHaveLength(2);
  });
});

describe("DELETE /v1/messages/{id}", () => {
  it("cancels a queued message (200 with it canceled), then 409s", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const queued = await sent(acme, { to: "+447700900306", text: "stop me" });
    const response = await acme.call("DELETE", `/v1/messages/${queued.id}`);
    expect(response.status).toBe(200);
    const body = await response.json<MessageJson>();
    expect(body).toMatchObject({
      id: queued.id,
      status: "canceled",
      parts: [{ index: 1, status: "pending" }],
    });
    expect(body.done_at).not.toBeNull();
    const [row] = await api.database.db.select().from(messages).where(eq(messages.id, queued.id));
    expect(row).toMatchObject({ status: "canceled", leaseOwner: null, nextAttemptAt: null });
    expect((await acme.call("GET", `/v1/messages/${queued.id}`)).status).toBe(200);

    const again = await acme.call("DELETE", `/v1/messages/${queued.id}`);
    expect(again.status).toBe(409);
    expect((await problemOf(again)).detail).toContain("canceled");
  });

  it("cancels a scheduled message", async () => {
    const acme = await api.customer({ default_from: "ACME" });
    const scheduled = await sent(acme, {
      to: "+447700900307",
      text: "later",
      send_at: "2099-01-01T00:00:00Z",
    });
    const response = await acme.call("DELETE", `/v1/messages/${scheduled.id}`);
    expect(response.status).toBe(200);
    expect((await response.json<MessageJson>()).status).toBe("canceled");
  });

  it.each(["sending", "sent", "delivered", "failed"] as const)(
    "answers 409 for a %s message",
    async (status) => {
      const acme = await api.customer({ default_from: "ACME" });
      const message = await sent(acme, { to: "+447700900308", text: "gone" });
      await api.database.db.update(messages).set({ status }).where(eq(messages.id, message.id));
      const response = await acme.call("DELETE", `/v1/messages/${message.id}`);
      expect(response.status).toBe(409);
      const [row] = await api.database.db.select().from(messages).where(eq(messages.id, message.id));
      expect(row?.status).toBe(status);
    },
  );

  it("answers 404 for an unknown id", async () => {
    const acme = await api.customer();
    expect((await acme.call("DELETE", "/v1/messages/msg_00000000000000000000000000")).status).toBe(404);
  });
});
