import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appendEvents, type OutboxEvent } from "../../../src/core/events/outbox.js";
import type { WebhookWorker } from "../../../src/core/webhooks/index.js";
import { queryRows } from "../../../src/db/client.js";
import { accounts } from "../../../src/db/schema.js";
import { createTestDatabase } from "../../helpers/db.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

// The outbox hands new deliveries to the worker of this process in memory (no claim); the worker sends
// them only once their transaction committed. Workers here are stopped by each test, so the next test's
// worker is the only one taking hand-offs.
let h: WebhookHarness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
  receiver = await Receiver.start();
});
beforeEach(() => {
  receiver.release(200);
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

/** appendEvents in its own transaction, without waking any worker (the hand-off needs no wake). */
function write(events: OutboxEvent[]): Promise<string[]> {
  return h.database.db.transaction((tx) => appendEvents(tx, events));
}

interface DeliveryRow extends Record<string, unknown> {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  lease_owner: string | null;
  leased_as_claimed: boolean | null;
  due: boolean;
}

async function deliveriesOf(eventIds: string[]): Promise<DeliveryRow[]> {
  return queryRows<DeliveryRow>(
    h.database.db,
    sql`SELECT id, event_id, status, attempts, lease_owner, next_attempt_at <= now() AS due,
               lease_expires_at = next_attempt_at AND lease_expires_at > now() + interval '50 seconds'
                 AS leased_as_claimed
        FROM webhook_deliveries WHERE event_id = ANY(${sql.param(eventIds)}::text[]) ORDER BY id`,
  );
}

function received(eventId: string) {
  return receiver.requests.filter((r) => r.headers["webhook-id"] === eventId);
}

function headersOf(request: { headers: Record<string, string | string[] | undefined> }) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === "string") out[name] = value;
  return out;
}

async function stopping(worker: WebhookWorker, test: () => Promise<void>): Promise<void> {
  try {
    await test();
  } finally {
    await worker.stop();
  }
}

describe("the in-memory hand-off of new deliveries", () => {
  it("sends committed deliveries from memory without claiming them, signed as a claim would sign them", async () => {
    const worker = h.worker({ pollIntervalMs: 100 });
    await stopping(worker, async () => {
      const customer = await h.customer();
      const oldest = await h.endpoint(customer.key, `${receiver.url}?to=oldest`);
      await h.endpoint(customer.key, `${receiver.url}?to=newer`);
      const [eventId = ""] = await write([
        {
          accountId: customer.accountId,
          type: "message.delivered",
          data: messageData(1),
          callbackUrl: `${receiver.url}?dlr=1`,
        },
      ]);

      await waitFor(() => received(eventId).length >= 3, "both endpoints and the status callback");
      await waitFor(
        async () => (await deliveriesOf([eventId])).every((d) => d.status === "succeeded"),
        "the results written",
      );
      const stats = worker.stats();
      expect(stats.handedRows).toBe(3);
      expect(stats.claimedRows).toBe(0);
      expect(stats.handOffDropped).toBe(0);
      const attempts = await queryRows<{ n: number }>(
        h.database.db,
        sql`SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE d.event_id = ${eventId} AND a.status_code = 200`,
      );
      expect(attempts[0]?.n).toBe(3);

      // The callback is signed with the account's oldest endpoint's secret (as the claim does).
      const callback = received(eventId).find((r) => r.url.includes("dlr=1"));
      if (callback === undefined) throw new Error("no callback request");
      expect(new Webhook(oldest.secret).verify(callback.body, headersOf(callback))).toMatchObject({
        id: eventId,
        type: "message.delivered",
        data: messageData(1),
      });
    });
  });

  it("never sends a delivery whose transaction rolled back", async () => {
    const worker = h.worker({ pollIntervalMs: 100 });
    await stopping(worker, async () => {
      const customer = await h.customer();
      await h.endpoint(customer.key, `${receiver.url}?rollback=1`);
      let rolledBack: string[] = [];
      await expect(
        h.database.db.transaction(async (tx) => {
          rolledBack = await appendEvents(tx, [
            { accountId: customer.accountId, type: "message.delivered", data: messageData(2) },
          ]);
          throw new Error("the change failed");
        }),
      ).rejects.toThrow("the change failed");
      expect(rolledBack).toHaveLength(1);
      await waitFor(() => worker.stats().handOffDropped >= 1, "the hand-off seen rolled back");

      // A later committed one goes through; the rolled-back one never did.
      const [committed = ""] = await write([
        { accountId: customer.accountId, type: "message.delivered", data: messageData(3) },
      ]);
      await waitFor(() => received(committed).length === 1, "the committed delivery");
      expect(received(rolledBack[0] ?? "")).toHaveLength(0);
      expect(await deliveriesOf(rolledBack)).toHaveLength(0);
      expect(worker.stats()).toMatchObject({ handedRows: 1, handOffDropped: 1, claimedRows: 0 });
    });
  });

  it("gives back handed-over deliveries not sent at stop(); another worker claims and sends them", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, `${receiver.url}?stop=1`);
    receiver.behaviour = { kind: "hang" };
    const first = h.worker({ pollIntervalMs: 100, perEndpointConcurrency: 1, timeoutMs: 1000 });
    let eventIds: string[] = [];
    await stopping(first, async () => {
      eventIds = await write(
        [4, 5, 6].map((n) => ({
          accountId: customer.accountId,
          type: "message.delivered",
          data: messageData(n),
        })),
      );
      await waitFor(
        () => first.stats().handedRows === 3 && receiver.hanging === 1,
        "one sending, two queued",
      );
    });
    // stop(): the hanging attempt timed out (a failed attempt); the two queued were released unsent.
    receiver.release(200);
    expect(first.stats().claimedRows).toBe(0);
    const rows = await deliveriesOf(eventIds);
    const unsent = rows.filter((d) => d.attempts === 0);
    expect(unsent).toHaveLength(2);
    for (const row of unsent) expect(row).toMatchObject({ lease_owner: null, due: true, status: "pending" });

    const second = h.worker({ pollIntervalMs: 100 });
    await stopping(second, async () => {
      await waitFor(
        async () => (await deliveriesOf(eventIds)).every((d) => d.status === "succeeded"),
        "every delivery sent by the second worker",
      );
      expect(second.stats().claimedRows).toBeGreaterThanOrEqual(3);
      expect(second.stats().handedRows).toBe(0);
    });
    for (const row of unsent) {
      const ok = receiver.requests.filter((r) => r.headers["webhook-id"] === row.event_id);
      expect(ok).toHaveLength(1); // never sent by the first worker
    }
  });

  it("takes only what fits the gate's backlog; the rest is written unleased and claimed", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, `${receiver.url}?room=1`);
    receiver.behaviour = { kind: "hang" };
    const worker = h.worker({ pollIntervalMs: 60_000, perEndpointConcurrency: 1, perEndpointBacklog: 2 });
    await stopping(worker, async () => {
      // The claim start() runs must not meet these rows: they are for the hand-off.
      await waitFor(() => worker.stats().claims >= 1, "the first claim done");
      const eventIds = await write(
        [7, 8, 9, 10, 11].map((n) => ({
          accountId: customer.accountId,
          type: "message.delivered",
          data: messageData(n),
        })),
      );
      const rows = await deliveriesOf(eventIds);
      const leased = rows.filter((d) => d.lease_owner !== null);
      expect(leased).toHaveLength(2);
      for (const row of leased) expect(row.leased_as_claimed).toBe(true);
      const unleased = rows.filter((d) => d.lease_owner === null);
      expect(unleased).toHaveLength(3);
      for (const row of unleased) expect(row.due).toBe(true);

      await waitFor(() => receiver.hanging === 1, "the first handed-over delivery sending");
      // The commit's wake does not claim for a gate that holds rows: it claims as they drain.
      const claims = worker.stats().claims;
      worker.wakeForNewEvents();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(worker.stats().claims).toBe(claims);
      // No poll either: the gate asks for a claim as its handed-over rows drain.
      receiver.release(200);
      await waitFor(
        async () => (await deliveriesOf(eventIds)).every((d) => d.status === "succeeded"),
        "every delivery sent",
      );
      expect(worker.stats()).toMatchObject({ handedRows: 2, claimedRows: 3 });
    });
  });

  it("leases nothing to a worker of another database", async () => {
    const other = await createTestDatabase();
    const worker = h.worker({ pollIntervalMs: 60_000 });
    try {
      await stopping(worker, async () => {
        const [account] = await other.db.insert(accounts).values({ name: "other database" }).returning();
        if (account === undefined) throw new Error("no account");
        const event = (accountId: string): OutboxEvent => ({
          accountId,
          type: "message.delivered",
          data: messageData(12),
          callbackUrl: `${receiver.url}?elsewhere=1`,
        });
        const [elsewhere = ""] = await other.db.transaction((tx) => appendEvents(tx, [event(account.id)]));
        const rows = await queryRows<{ lease_owner: string | null }>(
          other.db,
          sql`SELECT lease_owner FROM webhook_deliveries WHERE event_id = ${elsewhere}`,
        );
        expect(rows).toEqual([{ lease_owner: null }]);

        // The same write on the worker's database is handed over.
        const customer = await h.customer();
        const [here = ""] = await write([event(customer.accountId)]);
        expect((await deliveriesOf([here]))[0]?.lease_owner).not.toBeNull();
      });
    } finally {
      await other.close();
    }
  });

  it("spreads hand-offs over several workers of one database, each delivery sent once", async () => {
    const workers = [h.worker({ pollIntervalMs: 100 }), h.worker({ pollIntervalMs: 100 })];
    try {
      const customer = await h.customer();
      await h.endpoint(customer.key, `${receiver.url}?several=1`);
      const eventIds: string[] = [];
      for (let n = 20; n < 26; n++) {
        eventIds.push(
          ...(await write([
            { accountId: customer.accountId, type: "message.delivered", data: messageData(n) },
          ])),
        );
      }
      await waitFor(
        async () => (await deliveriesOf(eventIds)).every((d) => d.status === "succeeded"),
        "every delivery sent",
      );
      for (const id of eventIds) expect(received(id)).toHaveLength(1);
      const handed = workers.map((w) => w.stats().handedRows);
      expect(handed[0]).toBeGreaterThan(0);
      expect(handed[1]).toBeGreaterThan(0);
      expect((handed[0] ?? 0) + (handed[1] ?? 0)).toBe(6);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});
