import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemOf } from "../harness.js";
import {
  type Customer,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;
let acme: Customer;
let rival: Customer;
let acmeMessage: MessageJson;
/** The per-account rate's clock, frozen unless a test moves it, so a slow run cannot refill a bucket. */
let monotonicMs = 1_000_000;

beforeAll(async () => {
  api = await startMessagesApi({ monotonic: () => monotonicMs });
  acme = await api.customer({ default_from: "ACME" });
  rival = await api.customer({ default_from: "RIVAL" });
  const response = await acme.send({ to: "+447700900401", text: "private", send_at: "2099-01-01T00:00:00Z" });
  acmeMessage = await response.json<MessageJson>();
});
afterAll(() => api?.close());

const send = { to: "+447700900402", text: "x" };
/** Every route; `{id}` stands for acme's message. */
const ROUTES: Array<[method: string, template: string, json?: unknown]> = [
  ["POST", "/v1/messages", send],
  ["POST", "/v1/messages/batch", { messages: [send] }],
  ["POST", "/v1/messages/preview", { text: "x" }],
  ["GET", "/v1/messages", undefined],
  ["GET", "/v1/messages/{id}", undefined],
  ["DELETE", "/v1/messages/{id}", undefined],
];
const path = (template: string) => template.replace("{id}", acmeMessage.id);

describe("authentication on every /v1/messages route", () => {
  it.each(ROUTES)(
    "%s %s: 401 without a key, with a wrong key, with the admin token",
    async (method, template, json) => {
      const none = await api.call(method, path(template), { token: null, json });
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await problemOf(none)).status).toBe(401);
      const wrong = await api.call(method, path(template), { token: `${acme.key.slice(0, -4)}AAAA`, json });
      expect(wrong.status).toBe(401);
      const admin = await api.call(method, path(template), { token: api.adminToken, json });
      expect(admin.status).toBe(401);
    },
  );

  it("a revoked key fails at once on every route", async () => {
    const doomed = await api.customer({ default_from: "DOOMED" });
    expect((await doomed.send(send)).status).toBe(202);
    const revoke = await api.call("DELETE", `/admin/accounts/${doomed.accountId}/api-keys/${doomed.keyId}`);
    expect(revoke.status).toBe(204);
    for (const [method, template, json] of ROUTES) {
      expect((await doomed.call(method, path(template), { json })).status, `${method} ${template}`).toBe(401);
    }
  });
});

describe("authentication under concurrency (keys are looked up in shared batches)", () => {
  it("answers each of many concurrent requests by its own key: valid, unknown and revoked mixed", async () => {
    const revoked = await api.customer({ default_from: "GONE" });
    await api.call("DELETE", `/admin/accounts/${revoked.accountId}/api-keys/${revoked.keyId}`);
    const tokens = [acme.key, rival.key, revoked.key, `${acme.key.slice(0, -4)}AAAA`, "sk_nonsense"];
    const expected = [200, 200, 401, 401, 401];
    const rounds = 12;
    const responses = await Promise.all(
      Array.from({ length: rounds * tokens.length }, (_, i) =>
        api.call("GET", "/v1/messages?limit=1", { token: tokens[i % tokens.length] ?? null }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: rounds }, () => expected).flat());
    // Each valid key saw its own account's data only.
    const acmePage = await responses[0]?.json<{ data: MessageJson[] }>();
    expect(acmePage?.data.map((m) => m.id)).toEqual([acmeMessage.id]);
    const rivalPage = await responses[1]?.json<{ data: MessageJson[] }>();
    expect(rivalPage?.data).toEqual([]);
  });
});

describe("tenant isolation", () => {
  it("another account's message id is 404 on GET and DELETE, and absent from its lists", async () => {
    const get = await rival.call("GET", `/v1/messages/${acmeMessage.id}`);
    expect(get.status).toBe(404);
    const cancel = await rival.call("DELETE", `/v1/messages/${acmeMessage.id}`);
    expect(cancel.status).toBe(404);
    const list = await rival.call("GET", "/v1/messages?to=%2B447700900401");
    expect((await list.json<{ data: unknown[] }>()).data).toEqual([]);
    // Untouched for its owner.
    const own = await acme.call("GET", `/v1/messages/${acmeMessage.id}`);
    expect((await own.json<MessageJson>()).status).toBe("scheduled");
  });
});

describe("per-account max_tps on acceptance", () => {
  it("answers 429 with Retry-After once the second's allowance is used, and stores nothing", async () => {
    const limited = await api.customer({ default_from: "SLOW", max_tps: 3 });
    for (let i = 0; i < 3; i++) expect((await limited.send(send)).status).toBe(202);
    const over = await limited.send(send);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("1");
    const problem = await problemOf(over);
    expect(problem).toMatchObject({ status: 429, type: "urn:smpp-bridge:problem:rate-limited" });
    const listed = await limited.call("GET", "/v1/messages");
    expect((await listed.json<{ data: unknown[] }>()).data).toHaveLength(3);
    // Other accounts are not held back.
    expect((await acme.send(send)).status).toBe(202);

    monotonicMs += 1000; // a second later the allowance is back
    expect((await limited.send(send)).status).toBe(202);
  });

  it("counts only what it accepts: a repeat answered from its Idempotency-Key or a 409 takes no allowance", async () => {
    const limited = await api.customer({ default_from: "SLOW", max_tps: 3 });
    const headers = { "Idempotency-Key": "rate-repeat" };
    expect((await limited.send(send, headers)).status).toBe(202);
    const again = await limited.send(send, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await limited.send({ ...send, text: "another body" }, headers)).status).toBe(409);
    // One message accepted in this second: room for two more, not none.
    expect((await limited.send(send)).status).toBe(202);
    expect((await limited.send(send)).status).toBe(202);
    expect((await limited.send(send)).status).toBe(429);
    const listed = await limited.call("GET", "/v1/messages");
    expect((await listed.json<{ data: unknown[] }>()).data).toHaveLength(3);
  });

  it("applies a max_tps the admin lowers from the next send, refilling at the new rate", async () => {
    const limited = await api.customer({ default_from: "SLOW", max_tps: 10 });
    expect((await limited.send(send)).status).toBe(202);
    const patch = await api.call("PATCH", `/admin/accounts/${limited.accountId}`, { json: { max_tps: 2 } });
    expect(patch.status).toBe(200);
    // Nine left at 10/s, but never more than one second of the new rate: two.
    expect((await limited.send(send)).status).toBe(202);
    expect((await limited.send(send)).status).toBe(202);
    expect((await limited.send(send)).status).toBe(429);
    monotonicMs += 500; // half a second at 2/s: one message, not five
    expect((await limited.send(send)).status).toBe(202);
    expect((await limited.send(send)).status).toBe(429);
  });

  it("counts every message of a batch; a batch larger than a second's allowance waits for a full bucket", async () => {
    const limited = await api.customer({ default_from: "SLOW", max_tps: 5 });
    const batch = (n: number) => ({ messages: Array.from({ length: n }, () => send) });
    expect((await limited.call("POST", "/v1/messages/batch", { json: batch(4) })).status).toBe(202);
    const over = await limited.call("POST", "/v1/messages/batch", { json: batch(2) });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("1");

    monotonicMs += 1000;
    // Full again: 12 at once is let through, and the debt holds the account back for two more seconds.
    expect((await limited.call("POST", "/v1/messages/batch", { json: batch(12) })).status).toBe(202);
    const held = await limited.send(send);
    expect(held.status).toBe(429);
    expect(held.headers.get("retry-after")).toBe("2");
  });
});
