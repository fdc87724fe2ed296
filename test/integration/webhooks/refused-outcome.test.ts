/**
 * An attempt outcome the database refuses for what it holds (SQLSTATE class 22/23) must not stop the
 * worker recording outcomes: kept for the next flush, it failed every flush it joined, for good. A
 * trigger plays the part of data PostgreSQL cannot take (as a NUL in a response body once was).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { refuseRows } from "../../helpers/refuse-rows.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

let h: WebhookHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
  receiver = await Receiver.start();
  await refuseRows(h.database.db, {
    name: "refuse_poison_attempt",
    table: "webhook_attempts",
    on: "INSERT",
    condition: `EXISTS (SELECT 1 FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                        WHERE d.id = NEW.delivery_id AND e.payload->>'poison' = 'yes')`,
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

async function statuses(eventIds: string[]): Promise<Map<string, string>> {
  const rows = await queryRows<{ event_id: string; status: string }>(
    h.database.db,
    sql`SELECT event_id, status FROM webhook_deliveries WHERE event_id = ANY(${sql.param(eventIds)}::text[])`,
  );
  return new Map(rows.map((r) => [r.event_id, r.status]));
}

describe("an attempt outcome the database refuses", () => {
  test("ends its delivery alone: every other outcome is recorded, then and later", async () => {
    const worker = h.worker({ pollIntervalMs: 100 });
    worker.start();
    try {
      const customer = await h.customer();
      await h.endpoint(customer.key, `${receiver.url}/hook`);
      const data = Array.from({ length: 10 }, (_, i) => ({
        ...messageData(i),
        poison: i === 4 ? "yes" : "no",
      }));
      const ids = await h.emit(
        data.map((d) => ({ accountId: customer.accountId, type: "message.delivered" as const, data: d })),
      );
      const poison = ids[4] ?? "";
      const others = ids.filter((id) => id !== poison);
      await waitFor(
        async () => [...(await statuses(others)).values()].every((s) => s === "succeeded"),
        "the other nine outcomes recorded",
      );
      // The refused one was sent once, and ended without its attempt row rather than sent again later.
      expect(receiver.requests.filter((r) => r.headers["webhook-id"] === poison)).toHaveLength(1);
      await waitFor(
        async () => (await statuses([poison])).get(poison) === "succeeded",
        "the refused one ended",
      );
      const [row] = await queryRows<{ last_error: string | null; attempts: number }>(
        h.database.db,
        sql`SELECT d.last_error, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
            FROM webhook_deliveries d WHERE d.event_id = ${poison}`,
      );
      expect(row).toEqual({ last_error: "the outcome of this attempt could not be stored", attempts: 0 });

      const later = await h.emit([
        { accountId: customer.accountId, type: "message.sent", data: messageData(99) },
      ]);
      await waitFor(
        async () => (await statuses(later)).get(later[0] ?? "") === "succeeded",
        "an outcome after the refusal recorded",
      );
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
