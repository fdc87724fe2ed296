/**
 * An endpoint secret this instance cannot open (SECRET_KEY changed, a row edited by hand) must fail
 * its deliveries with a clear error, not throw out of the worker: an unhandled rejection ends a Node
 * process, and the restarted one would claim the same delivery and end again.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

let h: WebhookHarness;
let receiver: Receiver;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
  receiver = await Receiver.start();
  process.on("unhandledRejection", onRejection);
});
afterAll(async () => {
  process.off("unhandledRejection", onRejection);
  await h?.close();
  await receiver?.close();
});

describe("an endpoint secret that cannot be opened", () => {
  test("fails the attempt with that reason; nothing is sent unsigned, nothing escapes the worker", async () => {
    const worker = h.worker({ pollIntervalMs: 100 });
    worker.start();
    try {
      const customer = await h.customer();
      const endpoint = await h.endpoint(customer.key, `${receiver.url}/hook`);
      await h.database.db.execute(
        sql`UPDATE webhook_endpoints SET secret_enc = 'v1.AAAA.BBBB.CCCC' WHERE id = ${endpoint.id}`,
      );
      const [eventId = ""] = await h.emit([
        { accountId: customer.accountId, type: "message.delivered", data: messageData(1) },
      ]);
      const attemptOf = () =>
        queryRows<{ error: string | null; status: string }>(
          h.database.db,
          sql`SELECT a.error, d.status FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
              WHERE d.event_id = ${eventId}`,
        );
      await waitFor(async () => (await attemptOf()).length > 0, "the attempt recorded");
      const [attempt] = await attemptOf();
      expect(attempt).toMatchObject({ status: "failed", error: expect.stringMatching(/secret/i) });
      expect(receiver.requests.some((r) => r.headers["webhook-id"] === eventId)).toBe(false);
      expect(rejections).toEqual([]);
    } finally {
      await worker.stop();
    }
  }, 30_000);
});
