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

describe("per-endpoint concurrency", () => {
  it("a receiver that does not answer holds only its own slots; another endpoint gets everything meanwhile", async () => {
    const slow = await Receiver.start();
    const fast = await Receiver.start();
    // Small claims and a long timeout: the slow receiver's backlog is far bigger than one claim.
    const worker = h.worker({ batchSize: 8, perEndpointConcurrency: 2, timeoutMs: 60_000 });
    try {
      slow.behaviour = { kind: "hang" };
      const customer = await h.customer();
      for (const receiver of [slow, fast]) {
        const response = await h.call("POST", "/v1/webhook-endpoints", {
          token: customer.key,
          json: { url: receiver.url },
        });
        expect(response.status).toBe(201);
      }
      const count = 40;
      // The slow endpoint's deliveries are older (created first), so a FIFO claim would reach them first.
      const eventIds = await h.emit(
        Array.from({ length: count }, (_, i) => ({
          accountId: customer.accountId,
          type: "message.sent" as const,
          data: messageData(i),
        })),
      );

      await waitFor(() => fast.requests.length >= count, "every event at the fast receiver", 30_000);
      expect(new Set(fast.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set(eventIds));
      // Meanwhile the slow one holds exactly its concurrency and has answered nothing.
      expect(slow.hanging).toBe(2);
      expect(slow.requests.length).toBe(2);

      slow.release(200);
      await waitFor(
        () => new Set(slow.requests.map((r) => r.headers["webhook-id"])).size === count,
        "every event at the slow receiver once it answers",
        30_000,
      );
    } finally {
      await worker.stop();
      await slow.close();
      await fast.close();
    }
  }, 120_000);
});
