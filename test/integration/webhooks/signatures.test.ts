import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

// Receivers on 127.0.0.1: private targets allowed for this file.
let h: WebhookHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
  receiver = await Receiver.start();
  h.worker();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

async function endpoint(
  key: string,
  url: string,
  events?: string[],
): Promise<{ id: string; secret: string }> {
  const response = await h.call("POST", "/v1/webhook-endpoints", { token: key, json: { url, events } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; secret: string };
}

function headersOf(request: {
  headers: Record<string, string | string[] | undefined>;
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === "string") out[name] = value;
  return out;
}

describe("signed deliveries", () => {
  it("POSTs { id, type, created_at, data } with Standard Webhooks headers that verify; a tampered body does not", async () => {
    const customer = await h.customer();
    const { secret } = await endpoint(customer.key, `${receiver.url}?c=1`);
    const [eventId] = await h.emit([
      { accountId: customer.accountId, type: "message.delivered", data: messageData(1) },
    ]);
    await waitFor(() => receiver.requests.some((r) => r.headers["webhook-id"] === eventId), "the webhook");
    const request = receiver.requests.find((r) => r.headers["webhook-id"] === eventId);
    if (request === undefined) throw new Error("no request");
    const headers = headersOf(request);

    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toMatch(/smpp-bridge/);
    expect(headers["webhook-id"]).toBe(eventId);
    expect(Number(headers["webhook-timestamp"])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(1);

    const verified = new Webhook(secret).verify(request.body, headers);
    expect(verified).toEqual({
      id: eventId,
      type: "message.delivered",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: messageData(1),
    });

    const tampered = request.body.replace("hello 1", "hello 2");
    expect(tampered).not.toBe(request.body);
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow();
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    expect(() => new Webhook(otherSecret).verify(request.body, headers)).toThrow();
  });

  it("signs with both the new and the previous secret after a rotation", async () => {
    const customer = await h.customer();
    const created = await endpoint(customer.key, `${receiver.url}?c=2`);
    const rotated = await h.call("POST", `/v1/webhook-endpoints/${created.id}/rotate-secret`, {
      token: customer.key,
    });
    const { secret: newSecret } = (await rotated.json()) as { secret: string };
    const [eventId] = await h.emit([
      { accountId: customer.accountId, type: "message.sent", data: messageData(2) },
    ]);
    await waitFor(() => receiver.requests.some((r) => r.headers["webhook-id"] === eventId), "the webhook");
    const request = receiver.requests.find((r) => r.headers["webhook-id"] === eventId);
    if (request === undefined) throw new Error("no request");
    const headers = headersOf(request);

    const signatures = headers["webhook-signature"]?.split(" ") ?? [];
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith("v1,"))).toBe(true);
    expect(new Webhook(newSecret).verify(request.body, headers)).toMatchObject({ type: "message.sent" });
    expect(new Webhook(created.secret).verify(request.body, headers)).toMatchObject({ type: "message.sent" });
    // Each secret verifies on its own signature alone.
    const [first, second] = signatures;
    expect(() =>
      new Webhook(newSecret).verify(request.body, { ...headers, "webhook-signature": first ?? "" }),
    ).not.toThrow();
    expect(() =>
      new Webhook(created.secret).verify(request.body, { ...headers, "webhook-signature": second ?? "" }),
    ).not.toThrow();
    expect(() => new Webhook(newSecret).verify(`${request.body} `, headers)).toThrow();
  });

  it("sends only the subscribed types", async () => {
    const customer = await h.customer();
    await endpoint(customer.key, `${receiver.url}?c=3`, ["inbound.received"]);
    const before = receiver.requests.length;
    const [, inboundId] = await h.emit([
      { accountId: customer.accountId, type: "message.sent", data: messageData(3) },
      { accountId: customer.accountId, type: "inbound.received", data: { id: "inb_1", text: "hi" } },
    ]);
    await waitFor(
      () => receiver.requests.some((r) => r.headers["webhook-id"] === inboundId),
      "the inbound event",
    );
    // The message.sent event was committed with the inbound one, so it would have come first.
    const mine = receiver.requests.slice(before).filter((r) => r.url.endsWith("?c=3"));
    expect(mine.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(["inbound.received"]);
  });

  it("signs a status_callback_url delivery with the account's oldest endpoint secret, and sends it unsigned when there is none", async () => {
    const callback = await Receiver.start();
    try {
      const customer = await h.customer();
      const oldest = await endpoint(customer.key, `${receiver.url}?c=4`, ["message.failed"]);
      await endpoint(customer.key, `${receiver.url}?c=5`, ["message.failed"]);
      const [signedId] = await h.emit([
        {
          accountId: customer.accountId,
          type: "message.delivered",
          data: messageData(4),
          callbackUrl: `${callback.url}?m=4`,
        },
      ]);
      const loner = await h.customer();
      const [unsignedId] = await h.emit([
        { accountId: loner.accountId, type: "message.sent", data: messageData(5), callbackUrl: callback.url },
      ]);
      await waitFor(() => callback.requests.length >= 2, "both callbacks");
      const signed = callback.requests.find((r) => r.headers["webhook-id"] === signedId);
      const unsigned = callback.requests.find((r) => r.headers["webhook-id"] === unsignedId);
      if (signed === undefined || unsigned === undefined) throw new Error("missing callback");
      expect(new Webhook(oldest.secret).verify(signed.body, headersOf(signed))).toMatchObject({
        id: signedId,
        data: messageData(4),
      });
      expect(unsigned.headers["webhook-signature"]).toBeUndefined();
      expect(JSON.parse(unsigned.body)).toMatchObject({ id: unsignedId, type: "message.sent" });
    } finally {
      await callback.close();
    }
  });
});
