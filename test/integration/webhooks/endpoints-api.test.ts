import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/core/crypto.js";
import { EVENT_TYPES, webhookEndpoints } from "../../../src/db/schema.js";
import { messageData, startWebhookHarness, type WebhookHarness } from "./harness.js";

interface EndpointJson {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

interface Problem {
  status: number;
  errors?: { path: string; message: string }[];
}

// Private targets refused, as in production: the endpoint URLs here are never called.
let h: WebhookHarness;
let alice: { accountId: string; key: string };
let bob: { accountId: string; key: string };
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: false });
  alice = await h.customer();
  bob = await h.customer();
});
afterAll(async () => {
  await h.close();
});

async function create(token: string, body: Record<string, unknown>): Promise<EndpointJson> {
  const response = await h.call("POST", "/v1/webhook-endpoints", { token, json: body });
  expect(response.status).toBe(201);
  return (await response.json()) as EndpointJson;
}

describe("POST /v1/webhook-endpoints", () => {
  it("answers 201 with a whsec_ secret once, stored only sealed", async () => {
    const endpoint = await create(alice.key, { url: "https://93.184.215.14/hook", description: "prod" });
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^whe_[0-9a-z]{26}$/),
      url: "https://93.184.215.14/hook",
      events: [...EVENT_TYPES],
      description: "prod",
      enabled: true,
      disabled_reason: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
    });
    const raw = Buffer.from((endpoint.secret ?? "").slice("whsec_".length), "base64");
    expect(raw.length).toBeGreaterThanOrEqual(24);
    expect(raw.length).toBeLessThanOrEqual(32);

    const [row] = await h.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(row?.secretEnc).not.toContain(endpoint.secret);
    expect(decryptSecret(row?.secretEnc ?? "", h.secretKey, "webhook.secret")).toBe(endpoint.secret);

    const got = await h.call("GET", `/v1/webhook-endpoints/${endpoint.id}`, { token: alice.key });
    const text = await got.text();
    expect(text).not.toContain("whsec_");
    expect(JSON.parse(text)).not.toHaveProperty("secret");
  });

  it("keeps the subscribed event types", async () => {
    const endpoint = await create(alice.key, {
      url: "https://93.184.215.14/only-inbound",
      events: ["inbound.received", "inbound.received"],
    });
    expect(endpoint.events).toEqual(["inbound.received"]);
  });

  it.each([
    ["http://127.0.0.1/hook"],
    ["http://169.254.169.254/latest/meta-data"],
    ["http://[::1]/hook"],
    ["http://10.0.0.1/hook"],
    ["http://192.168.1.10/hook"],
    ["http://100.64.0.1/hook"],
    ["http://[::ffff:127.0.0.1]/hook"],
    ["http://[fd00::1]/hook"],
    ["http://0x7f.1/hook"],
    ["http://localhost:8080/hook"],
  ])("refuses the private target %s with 422 on url", async (url) => {
    const response = await h.call("POST", "/v1/webhook-endpoints", { token: alice.key, json: { url } });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as Problem;
    expect(problem.errors?.map((e) => e.path)).toEqual(["url"]);
  });

  it.each([
    [{ url: "ftp://93.184.215.14/x" }, "url"],
    [{ url: "not a url" }, "url"],
    [{}, "url"],
    [{ url: "https://93.184.215.14/x", events: [] }, "events"],
    [{ url: "https://93.184.215.14/x", events: ["message.exploded"] }, "events.0"],
    [{ url: "https://93.184.215.14/x", secret: "mine" }, "secret"],
  ])("refuses %j with 422", async (body, path) => {
    const response = await h.call("POST", "/v1/webhook-endpoints", { token: alice.key, json: body });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as Problem;
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it("needs an API key", async () => {
    const response = await h.call("POST", "/v1/webhook-endpoints", {
      token: "sk_live_nope",
      json: { url: "https://93.184.215.14/x" },
    });
    expect(response.status).toBe(401);
  });
});

describe("list, get, update, delete, rotate", () => {
  it("lists the account's endpoints newest first, paged, without secrets", async () => {
    const carol = await h.customer();
    const made: string[] = [];
    for (let i = 0; i < 3; i++)
      made.push((await create(carol.key, { url: `https://93.184.215.14/${i}` })).id);
    const first = await h.call("GET", "/v1/webhook-endpoints?limit=2", { token: carol.key });
    const page = (await first.json()) as { data: EndpointJson[]; next_cursor: string | null };
    expect(page.data.map((e) => e.id)).toEqual([made[2], made[1]]);
    expect(page.data.some((e) => "secret" in e)).toBe(false);
    expect(page.next_cursor).not.toBeNull();
    const second = await h.call("GET", `/v1/webhook-endpoints?limit=2&cursor=${page.next_cursor}`, {
      token: carol.key,
    });
    const rest = (await second.json()) as { data: EndpointJson[]; next_cursor: string | null };
    expect(rest.data.map((e) => e.id)).toEqual([made[0]]);
    expect(rest.next_cursor).toBeNull();
    expect((await h.call("GET", "/v1/webhook-endpoints?limit=101", { token: carol.key })).status).toBe(422);
  });

  it("updates url, events, description and enabled; refuses a private url", async () => {
    const endpoint = await create(alice.key, { url: "https://93.184.215.14/a" });
    const response = await h.call("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      token: alice.key,
      json: {
        url: "https://93.184.215.14/b",
        events: ["message.failed"],
        description: "new",
        enabled: false,
      },
    });
    expect(response.status).toBe(200);
    const updated = (await response.json()) as EndpointJson;
    expect(updated).toMatchObject({
      url: "https://93.184.215.14/b",
      events: ["message.failed"],
      description: "new",
      enabled: false,
    });
    const reset = await h.call("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      token: alice.key,
      json: { events: null, enabled: true },
    });
    expect(await reset.json()).toMatchObject({ events: [...EVENT_TYPES], enabled: true, description: "new" });
    const refused = await h.call("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      token: alice.key,
      json: { url: "http://169.254.169.254/" },
    });
    expect(refused.status).toBe(422);
  });

  it("rotates the secret: a new one, shown once", async () => {
    const endpoint = await create(alice.key, { url: "https://93.184.215.14/r" });
    const response = await h.call("POST", `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      token: alice.key,
    });
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as EndpointJson;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const [row] = await h.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(decryptSecret(row?.previousSecretEnc ?? "", h.secretKey, "webhook.secret")).toBe(endpoint.secret);
    expect(row?.previousSecretExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it("deletes with 204, then 404", async () => {
    const endpoint = await create(alice.key, { url: "https://93.184.215.14/d" });
    expect(
      (await h.call("DELETE", `/v1/webhook-endpoints/${endpoint.id}`, { token: alice.key })).status,
    ).toBe(204);
    expect((await h.call("GET", `/v1/webhook-endpoints/${endpoint.id}`, { token: alice.key })).status).toBe(
      404,
    );
  });
});

describe("tenant isolation", () => {
  it("answers 404 for another account's endpoint and its deliveries, and lists only one's own", async () => {
    const endpoint = await create(alice.key, { url: "https://93.184.215.14/mine" });
    await h.emit([{ accountId: alice.accountId, type: "message.sent", data: messageData(1) }]);
    const deliveries = await h.call("GET", `/v1/webhook-endpoints/${endpoint.id}/deliveries`, {
      token: alice.key,
    });
    const { data } = (await deliveries.json()) as { data: { id: string }[] };
    const deliveryId = data[0]?.id ?? "";
    expect(deliveryId).toMatch(/^whd_/);

    const base = `/v1/webhook-endpoints/${endpoint.id}`;
    const attempts: Array<[string, string, unknown?]> = [
      ["GET", base],
      ["PATCH", base, { description: "stolen" }],
      ["DELETE", base],
      ["POST", `${base}/rotate-secret`],
      ["GET", `${base}/deliveries`],
      ["POST", `${base}/deliveries/${deliveryId}/retry`],
      ["GET", `${base}/deliveries/${deliveryId}/attempts`],
    ];
    for (const [method, path, json] of attempts) {
      const response = await h.call(method, path, { token: bob.key, json });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const list = await h.call("GET", "/v1/webhook-endpoints", { token: bob.key });
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    // Still there, unchanged.
    const mine = await h.call("GET", base, { token: alice.key });
    expect(await mine.json()).toMatchObject({ id: endpoint.id, description: null });
  });

  it("answers 404 for a delivery of another endpoint of the same account", async () => {
    const a = await create(alice.key, { url: "https://93.184.215.14/a1" });
    const b = await create(alice.key, { url: "https://93.184.215.14/b1", events: ["message.failed"] });
    await h.emit([{ accountId: alice.accountId, type: "message.delivered", data: messageData(2) }]);
    const deliveries = await h.call("GET", `/v1/webhook-endpoints/${a.id}/deliveries?limit=1`, {
      token: alice.key,
    });
    const { data } = (await deliveries.json()) as { data: { id: string }[] };
    const response = await h.call("POST", `/v1/webhook-endpoints/${b.id}/deliveries/${data[0]?.id}/retry`, {
      token: alice.key,
    });
    expect(response.status).toBe(404);
  });
});
