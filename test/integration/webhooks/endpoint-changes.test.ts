import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

let h: WebhookHarness;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
});
afterAll(async () => {
  await h.close();
});

function headersOf(request: { headers: Record<string, string | string[] | undefined> }) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === "string") out[name] = value;
  return out;
}

/** Ten deliveries to a hanging receiver, one at a time: one in flight, nine claimed and queued here. */
async function stuckEndpoint(receiver: Receiver) {
  receiver.behaviour = { kind: "hang" };
  const customer = await h.customer();
  const endpoint = await h.endpoint(customer.key, receiver.url);
  await h.emit(
    Array.from({ length: 10 }, (_, i) => ({
      accountId: customer.accountId,
      type: "message.sent" as const,
      data: messageData(i),
    })),
  );
  await waitFor(() => receiver.hanging === 1, "the first request held");
  const patch = (json: unknown) =>
    h.call("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, { token: customer.key, json });
  return { customer, endpoint, patch };
}

describe("endpoint changes while the worker holds its deliveries", () => {
  type Stuck = Awaited<ReturnType<typeof stuckEndpoint>>;
  it.each<[string, (s: Stuck) => Promise<Response>, number]>([
    ["disabled", (s) => s.patch({ enabled: false }), 200],
    [
      "deleted",
      (s) => h.call("DELETE", `/v1/webhook-endpoints/${s.endpoint.id}`, { token: s.customer.key }),
      204,
    ],
  ])("sends nothing more to an endpoint once it is %s", async (_what, change, status) => {
    const receiver = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 1, recheckAfterMs: 0 });
    try {
      const s = await stuckEndpoint(receiver);
      expect((await change(s)).status).toBe(status);
      receiver.release(200);
      // Bounded wait: long enough for the nine queued ones to go out if they were going to.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(receiver.requests.length).toBe(1);
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it("sends the waiting deliveries to the new url after a PATCH of url, none to the old one", async () => {
    const old = await Receiver.start();
    const next = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 1, recheckAfterMs: 0 });
    try {
      const s = await stuckEndpoint(old);
      expect((await s.patch({ url: next.url })).status).toBe(200);
      old.release(200);
      await waitFor(() => next.requests.length >= 9, "the waiting deliveries at the new url");
      expect(old.requests.length).toBe(1);
    } finally {
      await worker.stop();
      await old.close();
      await next.close();
    }
  });

  it("signs the waiting deliveries with both secrets after a rotation, as the API promises", async () => {
    const receiver = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 1, recheckAfterMs: 0 });
    try {
      const s = await stuckEndpoint(receiver);
      const rotated = await h.call("POST", `/v1/webhook-endpoints/${s.endpoint.id}/rotate-secret`, {
        token: s.customer.key,
      });
      const { secret } = (await rotated.json()) as { secret: string };
      receiver.release(200);
      await waitFor(() => receiver.requests.length >= 10, "the waiting deliveries");
      // A receiver that switched to the new secret at once takes every one sent after the rotation.
      for (const request of receiver.requests.slice(1)) {
        const headers = headersOf(request);
        expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
        expect(() => new Webhook(secret).verify(request.body, headers)).not.toThrow();
        expect(() => new Webhook(s.endpoint.secret).verify(request.body, headers)).not.toThrow();
      }
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it("signs waiting status_callback deliveries with both secrets of the signing endpoint after a rotation", async () => {
    const callback = await Receiver.start();
    const endpointReceiver = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 1, recheckAfterMs: 0 });
    try {
      callback.behaviour = { kind: "hang" };
      const customer = await h.customer();
      const signer = await h.endpoint(customer.key, endpointReceiver.url);
      await h.emit(
        Array.from({ length: 5 }, (_, i) => ({
          accountId: customer.accountId,
          type: "message.sent" as const,
          data: messageData(i),
          callbackUrl: `${callback.url}?m=${i}`,
        })),
      );
      await waitFor(() => callback.hanging === 1, "the first callback held");
      const rotated = await h.call("POST", `/v1/webhook-endpoints/${signer.id}/rotate-secret`, {
        token: customer.key,
      });
      const { secret } = (await rotated.json()) as { secret: string };
      callback.release(200);
      await waitFor(() => callback.requests.length >= 5, "the waiting callbacks");
      for (const request of callback.requests.slice(1)) {
        const headers = headersOf(request);
        expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
        expect(() => new Webhook(secret).verify(request.body, headers)).not.toThrow();
      }
    } finally {
      await worker.stop();
      await callback.close();
      await endpointReceiver.close();
    }
  });
});

describe("manual retry after the endpoint moved", () => {
  it("sends a dead delivery retried by hand to the endpoint's current url", async () => {
    const old = await Receiver.start();
    const next = await Receiver.start();
    const worker = h.worker();
    try {
      old.behaviour = { kind: "status", status: 500 };
      const customer = await h.customer();
      const endpoint = await h.endpoint(customer.key, old.url);
      const [eventId] = await h.emit([
        { accountId: customer.accountId, type: "message.delivered", data: messageData(1) },
      ]);
      const path = `/v1/webhook-endpoints/${endpoint.id}`;
      const deliveries = async () =>
        (
          (await (await h.call("GET", `${path}/deliveries`, { token: customer.key })).json()) as {
            data: { id: string; status: string }[];
          }
        ).data;
      await waitFor(async () => (await deliveries())[0]?.status === "dead", "the delivery dead");
      const sentBefore = old.requests.length;

      // The customer fixes the receiver's address, then replays what failed.
      expect((await h.call("PATCH", path, { token: customer.key, json: { url: next.url } })).status).toBe(
        200,
      );
      const [dead] = await deliveries();
      const retried = await h.call("POST", `${path}/deliveries/${dead?.id}/retry`, { token: customer.key });
      expect(retried.status).toBe(202);

      await waitFor(async () => (await deliveries())[0]?.status === "succeeded", "the retry delivered");
      expect(next.requests.map((r) => r.headers["webhook-id"])).toEqual([eventId]);
      expect(old.requests.length).toBe(sentBefore);
    } finally {
      await worker.stop();
      await old.close();
      await next.close();
    }
  });
});
