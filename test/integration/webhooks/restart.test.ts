/**
 * A restart under the same instance id: deliveries the previous run had claimed (leased for minutes)
 * are sent by the new run at once, not after their lease; another instance's stay its own.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookWorker } from "../../../src/core/webhooks/index.js";
import { claimDeliveries } from "../../../src/core/webhooks/worker/claim.js";
import { queryRows } from "../../../src/db/client.js";
import {
  messageData,
  startWebhookHarness,
  TEST_SCHEDULE_MS,
  type WebhookHarness,
  waitFor,
} from "./harness.js";
import { Receiver } from "./receiver.js";

let h: WebhookHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
  receiver = await Receiver.start();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

/** Claims every due delivery for `owner` with a 10-minute lease, as a worker of that instance would. */
function claimAs(owner: string) {
  return claimDeliveries(h.database.db, {
    owner,
    limit: 100,
    perGate: 100,
    gateRooms: new Map(),
    leaseMs: 600_000,
  });
}

describe("webhook leases of a previous run", () => {
  it("are released at start and sent at once; another instance's are left alone", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, receiver.url);
    const event = (i: number) => ({
      accountId: customer.accountId,
      type: "message.delivered" as const,
      data: messageData(i),
    });
    // No worker runs yet: the rows are written unleased and claimed by hand.
    await h.emit([event(1), event(2)]);
    const mine = await claimAs("restarted-instance");
    await h.emit([event(3)]);
    const theirs = await claimAs("live-instance");
    expect(mine).toHaveLength(2);
    expect(theirs).toHaveLength(1);

    const worker = new WebhookWorker({
      db: h.database.db,
      secretKey: h.secretKey,
      allowPrivate: true,
      retryScheduleMs: TEST_SCHEDULE_MS,
      jitter: 0,
      pollIntervalMs: 25,
      instanceId: "restarted-instance",
    });
    try {
      expect(await worker.recoverOwnLeases()).toBe(2);
      worker.start();
      await waitFor(() => receiver.requests.length >= 2, "the previous run's two deliveries");
      const sent = receiver.requests.map((r) => r.headers["webhook-id"]).sort();
      expect(sent).toEqual(mine.map((d) => d.event_id).sort());
      // Still the live instance's, leased for minutes: not sent by the restarted one.
      const [other] = await queryRows<{ status: string; lease_owner: string | null }>(
        h.database.db,
        sql`SELECT status, lease_owner FROM webhook_deliveries WHERE id = ${theirs[0]?.id ?? ""}`,
      );
      expect(other).toEqual({ status: "pending", lease_owner: "live-instance" });
      await expect(worker.recoverOwnLeases()).rejects.toThrow(/before start/);
    } finally {
      await worker.stop();
    }
  });
});
