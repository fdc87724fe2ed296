import { setTimeout } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_MS } from "../../../src/core/webhooks/worker/pace.js";
import { queryRows } from "../../../src/db/client.js";
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
    const worker = h.worker({ batchSize: 8, perEndpointConcurrency: 2, timeoutMs: 60_000, leaseMs: 180_000 });
    try {
      slow.behaviour = { kind: "hang" };
      const customer = await h.customer();
      for (const receiver of [slow, fast]) {
        await h.endpoint(customer.key, receiver.url);
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

  it("status_callback URLs share one gate per origin: a hanging callback receiver holds only its own slots", async () => {
    const slow = await Receiver.start();
    const fast = await Receiver.start();
    // Four slots in all: gated per URL, twenty distinct callback URLs would take every one of them.
    const worker = h.worker({
      batchSize: 8,
      perEndpointConcurrency: 2,
      maxInFlight: 4,
      timeoutMs: 60_000,
      leaseMs: 180_000,
    });
    try {
      slow.behaviour = { kind: "hang" };
      const customer = await h.customer();
      await h.endpoint(customer.key, fast.url);
      const count = 20;
      const eventIds = await h.emit(
        Array.from({ length: count }, (_, i) => ({
          accountId: customer.accountId,
          type: "message.delivered" as const,
          data: messageData(i),
          callbackUrl: `${slow.url}?i=${i}`,
        })),
      );

      await waitFor(() => fast.requests.length >= count, "every event at the endpoint", 30_000);
      expect(new Set(fast.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set(eventIds));
      expect(slow.hanging).toBe(2);
      expect(slow.requests.length).toBe(2);

      slow.release(200);
      await waitFor(
        () => new Set(slow.requests.map((r) => r.url)).size === count,
        "every callback URL once the receiver answers",
        30_000,
      );
    } finally {
      await worker.stop();
      await slow.close();
      await fast.close();
    }
  }, 120_000);
});

describe("receivers that answer fast", () => {
  it("earn four times their concurrency, and lose it with their first slow answer", async () => {
    const receiver = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 2 });
    try {
      const customer = await h.customer();
      await h.endpoint(customer.key, receiver.url);
      const emit = (from: number, count: number) =>
        h.emit(
          Array.from({ length: count }, (_, i) => ({
            accountId: customer.accountId,
            type: "message.sent" as const,
            data: messageData(from + i),
          })),
        );
      // Two quick 200s: a streak of fast answers as long as its concurrency.
      await emit(0, 2);
      await waitFor(() => worker.stats().resultRows >= 2, "two answers recorded");

      receiver.behaviour = { kind: "hang" };
      await emit(2, 20);
      await waitFor(() => receiver.hanging >= 8, "8 requests in flight at once");
      await setTimeout(300); // room for a ninth, were the limit higher
      expect(receiver.hanging).toBe(8);

      // Held past a second: slow answers, so it is back to its own two slots.
      await setTimeout(FAST_MS + 100);
      receiver.release(200);
      receiver.behaviour = { kind: "hang" };
      await waitFor(() => receiver.hanging >= 2, "the next requests in flight");
      await setTimeout(300);
      expect(receiver.hanging).toBe(2);

      receiver.release(200);
      await waitFor(
        () => new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size === 22,
        "every event at the receiver",
        30_000,
      );
    } finally {
      await worker.stop();
      await receiver.close();
    }
  }, 60_000);
});

describe("leases", () => {
  it("gives back claimed rows that could no longer be sent within their lease, and records every send exactly once", async () => {
    const receiver = await Receiver.start();
    // One request at a time, each hanging until the 1 s timeout: the rows queued behind it are past
    // the point where their attempt would still end inside the 2.1 s lease (claim + 100 ms).
    const worker = h.worker({
      perEndpointConcurrency: 1,
      timeoutMs: 1000,
      leaseMs: 2100,
      retryScheduleMs: Array(100).fill(50),
    });
    try {
      receiver.behaviour = { kind: "hang" };
      const customer = await h.customer();
      const { id: endpointId } = await h.endpoint(customer.key, receiver.url);
      const count = 5;
      const eventIds = await h.emit(
        Array.from({ length: count }, (_, i) => ({
          accountId: customer.accountId,
          type: "message.sent" as const,
          data: messageData(i),
        })),
      );
      await waitFor(() => worker.stats().released >= 1, "a claimed row given back unsent", 30_000);
      expect(receiver.hanging).toBeLessThanOrEqual(1);

      receiver.release(200);
      const succeeded = async () => {
        const [row] = await queryRows<{ n: number }>(
          h.database.db,
          sql`SELECT count(*)::int AS n FROM webhook_deliveries
              WHERE endpoint_id = ${endpointId} AND status = 'succeeded'`,
        );
        return row?.n === count;
      };
      await waitFor(succeeded, "every delivery to succeed", 30_000);
      await worker.stop(); // writes every outcome still held

      const attempts = await queryRows<{ event_id: string; n: number }>(
        h.database.db,
        sql`SELECT d.event_id, count(a.id)::int AS n FROM webhook_deliveries d
            JOIN webhook_attempts a ON a.delivery_id = d.id
            WHERE d.endpoint_id = ${endpointId} GROUP BY d.event_id`,
      );
      const sent = new Map<string, number>();
      for (const r of receiver.requests) {
        const id = String(r.headers["webhook-id"]);
        sent.set(id, (sent.get(id) ?? 0) + 1);
      }
      expect(new Set(sent.keys())).toEqual(new Set(eventIds));
      expect(new Map(attempts.map((a) => [a.event_id, a.n]))).toEqual(sent);
    } finally {
      await worker.stop();
      await receiver.close();
    }
  }, 120_000);
});
