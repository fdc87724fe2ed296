import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { webhookAttempts, webhookDeliveries } from "../../../src/db/schema.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

// Private targets refused, as in production. Deliveries to a status_callback_url are the way a private
// URL reaches the worker (endpoints are checked at creation).
let h: WebhookHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: false });
  receiver = await Receiver.start();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

describe("SSRF at delivery", () => {
  it("refuses loopback targets by address and by name (resolved at connect), sending nothing", async () => {
    const worker = h.worker();
    try {
      const customer = await h.customer();
      const byAddress = receiver.url;
      const byName = receiver.url.replace("127.0.0.1", "localhost");
      const mapped = receiver.url.replace("127.0.0.1", "[::ffff:7f00:1]");
      const ids = await h.emit(
        [byAddress, byName, mapped].map((callbackUrl, i) => ({
          accountId: customer.accountId,
          type: "message.sent" as const,
          data: messageData(i),
          callbackUrl,
        })),
      );
      const deliveries = async () =>
        queryRows<{ id: string; status: string; url: string; last_error: string | null; attempts: number }>(
          h.database.db,
          sql`SELECT d.id, d.status, d.url, d.last_error, d.attempts FROM webhook_deliveries d
              WHERE d.event_id = ANY(${sql.param(ids)}::text[])`,
        );
      await waitFor(
        async () => (await deliveries()).every((d) => d.status === "dead"),
        "every delivery dead",
      );
      for (const d of await deliveries()) {
        expect(d.attempts).toBe(4);
        expect(d.last_error).toMatch(/^blocked: .*loopback/);
        const attempts = await h.database.db
          .select()
          .from(webhookAttempts)
          .where(eq(webhookAttempts.deliveryId, d.id));
        expect(attempts.every((a) => a.statusCode === null && /^blocked/.test(a.error ?? ""))).toBe(true);
      }
      expect(receiver.requests).toEqual([]);
      // Nothing is left waiting.
      const waiting = await h.database.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, "pending"));
      expect(waiting).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});
