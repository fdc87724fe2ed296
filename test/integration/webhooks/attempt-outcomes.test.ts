import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookWorker } from "../../../src/core/webhooks/index.js";
import { queryRows } from "../../../src/db/client.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

// What the worker makes of an answer (3xx, Retry-After), and what it signs with when it sends late
// (a retry long after the event, a rotation whose day of grace is over). Receivers on 127.0.0.1.
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

async function stopping(worker: WebhookWorker, test: () => Promise<void>): Promise<void> {
  try {
    await test();
  } finally {
    await worker.stop();
  }
}

interface DeliveryRow extends Record<string, unknown> {
  id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  /** next_attempt_at less the last attempt's start, in ms. */
  wait_ms: number | null;
  /** next_attempt_at less the last attempt's end (its start and duration), in ms: the retry delay. */
  delay_ms: number | null;
}

async function deliveryOf(eventId: string): Promise<DeliveryRow | undefined> {
  const [row] = await queryRows<DeliveryRow>(
    h.database.db,
    sql`SELECT d.id, d.status, d.attempts, d.last_status_code,
               (extract(epoch FROM d.next_attempt_at - max(a.attempted_at)) * 1000)::float8 AS wait_ms,
               (extract(epoch FROM d.next_attempt_at - max(a.attempted_at)) * 1000
                 - max(a.duration_ms))::float8 AS delay_ms
        FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
        WHERE d.event_id = ${eventId} GROUP BY d.id`,
  );
  return row;
}

interface AttemptRow extends Record<string, unknown> {
  status_code: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
}

async function attemptsOf(eventId: string): Promise<AttemptRow[]> {
  return queryRows<AttemptRow>(
    h.database.db,
    sql`SELECT a.status_code, a.response_body, a.duration_ms, a.error
        FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.event_id = ${eventId} ORDER BY a.id`,
  );
}

/** POST …/deliveries/{id}/retry for the event's delivery, as its account; the status code. */
async function retryByHand(key: string, endpointId: string, eventId: string): Promise<number> {
  const delivery = await deliveryOf(eventId);
  const path = `/v1/webhook-endpoints/${endpointId}/deliveries/${delivery?.id}/retry`;
  return (await h.call("POST", path, { token: key })).status;
}

function requestsOf(r: Receiver, eventId: string) {
  return r.requests.filter((request) => request.headers["webhook-id"] === eventId);
}

function headersOf(request: { headers: Record<string, string | string[] | undefined> }) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === "string") out[name] = value;
  return out;
}

describe("answers", () => {
  it("takes a redirect for a failure: retried, the Location never called", async () => {
    const elsewhere = await Receiver.start();
    const worker = h.worker();
    await stopping(worker, async () => {
      try {
        const customer = await h.customer();
        await h.endpoint(customer.key, `${receiver.url}?redirect=1`);
        receiver.behaviour = { kind: "status", status: 302, headers: { location: elsewhere.url } };
        const [eventId = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(1) },
        ]);
        const retriedOrEnded = async () => {
          const d = await deliveryOf(eventId);
          return d !== undefined && (d.attempts >= 2 || d.status === "succeeded" || d.status === "dead");
        };
        await waitFor(retriedOrEnded, "a second attempt", 60_000);
        const delivery = await deliveryOf(eventId);
        expect(delivery?.status).toMatch(/^(pending|failed|dead)$/);
        expect(delivery?.last_status_code).toBe(302);
        expect(requestsOf(receiver, eventId).length).toBeGreaterThanOrEqual(2);
        expect(elsewhere.requests).toHaveLength(0);
      } finally {
        receiver.behaviour = { kind: "status", status: 200 };
        await elsewhere.close();
      }
    });
  });

  it("waits as long as Retry-After asks, up to retryAfterMaxMs", async () => {
    // The schedule alone would retry after 40 ms. The delays asked for are long enough that the row is
    // not claimed again (which moves next_attempt_at to the lease's end) before it is looked at.
    const worker = h.worker({ retryAfterMaxMs: 120_000 });
    await stopping(worker, async () => {
      try {
        const customer = await h.customer();
        await h.endpoint(customer.key, `${receiver.url}?retry-after=1`);
        receiver.behaviour = { kind: "status", status: 503, headers: { "retry-after": "30" } };
        const [asked = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(2) },
        ]);
        await waitFor(async () => (await deliveryOf(asked))?.status === "failed", "the first failure");
        const first = await deliveryOf(asked);
        expect(first?.attempts).toBe(1);
        // The attempt's own duration (well under the harness's 5 s timeout) lies between the two.
        expect(first?.wait_ms).toBeGreaterThanOrEqual(30_000);
        expect(first?.wait_ms).toBeLessThan(30_000 + 5000);

        receiver.behaviour = { kind: "status", status: 429, headers: { "retry-after": "3600" } };
        const [capped = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(3) },
        ]);
        await waitFor(async () => (await deliveryOf(capped))?.status === "failed", "the second failure");
        const second = await deliveryOf(capped);
        expect(second?.wait_ms).toBeGreaterThanOrEqual(120_000);
        expect(second?.wait_ms).toBeLessThan(120_000 + 5000);
      } finally {
        receiver.behaviour = { kind: "status", status: 200 };
      }
    });
  });
});

describe("the attempt log and the schedule's defaults", () => {
  it("keeps the first 1024 bytes of an answer, and how long an attempt took", async () => {
    const slow = await Receiver.start();
    const worker = h.worker({ timeoutMs: 500, retryScheduleMs: [60_000] });
    await stopping(worker, async () => {
      try {
        const customer = await h.customer();
        await h.endpoint(customer.key, `${receiver.url}?long-answer=1`);
        receiver.behaviour = { kind: "status", status: 500, body: "é".repeat(600) + "x".repeat(3000) };
        const [answered = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(6) },
        ]);
        slow.behaviour = { kind: "hang" };
        const other = await h.customer();
        await h.endpoint(other.key, slow.url);
        const [timedOut = ""] = await h.emit([
          { accountId: other.accountId, type: "message.sent", data: messageData(7) },
        ]);
        await waitFor(
          async () => (await attemptsOf(answered)).length + (await attemptsOf(timedOut)).length === 2,
          "both attempts recorded",
        );
        const [long] = await attemptsOf(answered);
        expect(long).toMatchObject({ status_code: 500, error: "HTTP 500" });
        // 1024 bytes: 512 two-byte characters, no more.
        expect(long?.response_body).toBe("é".repeat(512));
        const [timeout] = await attemptsOf(timedOut);
        expect(timeout).toMatchObject({
          status_code: null,
          response_body: null,
          error: "timeout after 500 ms",
        });
        // Timers may fire a millisecond early; nothing else makes this shorter than the timeout.
        expect(timeout?.duration_ms).toBeGreaterThanOrEqual(490);
      } finally {
        receiver.behaviour = { kind: "status", status: 200 };
        await slow.close();
      }
    });
  });

  it("gives a receiver 15 s by default, then records a timeout", async () => {
    const silent = await Receiver.start();
    const worker = h.worker({ timeoutMs: undefined });
    await stopping(worker, async () => {
      try {
        silent.behaviour = { kind: "hang" };
        const customer = await h.customer();
        await h.endpoint(customer.key, silent.url);
        const [eventId = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(8) },
        ]);
        await waitFor(async () => (await attemptsOf(eventId)).length === 1, "the attempt recorded", 40_000);
        const [attempt] = await attemptsOf(eventId);
        expect(attempt).toMatchObject({ status_code: null, error: "timeout after 15000 ms" });
        expect(attempt?.duration_ms).toBeGreaterThanOrEqual(14_990);
      } finally {
        await silent.close();
      }
    });
  }, 60_000);

  it("spreads retries by ±20 % when no jitter is given", async () => {
    const worker = h.worker({ jitter: undefined, retryScheduleMs: [10_000] });
    await stopping(worker, async () => {
      try {
        const customer = await h.customer();
        await h.endpoint(customer.key, `${receiver.url}?jitter=1`);
        receiver.behaviour = { kind: "status", status: 500 };
        const ids = await h.emit(
          Array.from({ length: 10 }, (_, i) => ({
            accountId: customer.accountId,
            type: "message.sent" as const,
            data: messageData(10 + i),
          })),
        );
        const failed = async () => {
          const rows = await Promise.all(ids.map((id) => deliveryOf(id)));
          return rows.every((d) => d?.status === "failed");
        };
        await waitFor(failed, "every first attempt failed", 30_000);
        const waits = (await Promise.all(ids.map((id) => deliveryOf(id)))).map((d) => d?.delay_ms ?? 0);
        for (const wait of waits) {
          // Give or take the rounding of the duration and the instant between answer and record.
          expect(wait).toBeGreaterThanOrEqual(8000 - 50);
          expect(wait).toBeLessThan(12_000 + 1000);
        }
        // Ten draws over ±2 s all within 0.4 s of each other: one chance in 10^8.
        expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(400);
      } finally {
        receiver.behaviour = { kind: "status", status: 200 };
      }
    });
  });
});

describe("manual retry", () => {
  it("of a delivery a worker is sending does not send it a second time beside that send", async () => {
    const worker = h.worker();
    await stopping(worker, async () => {
      const customer = await h.customer();
      const endpoint = await h.endpoint(customer.key, `${receiver.url}?inflight=1`);
      receiver.behaviour = { kind: "hang" };
      try {
        const [eventId = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(7) },
        ]);
        await waitFor(() => requestsOf(receiver, eventId).length === 1, "the send in flight");
        expect(await retryByHand(customer.key, endpoint.id, eventId)).toBe(202);
        // The worker polls every 25 ms: a delivery whose lease the retry dropped is claimed again at once.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(requestsOf(receiver, eventId)).toHaveLength(1);
      } finally {
        receiver.behaviour = { kind: "status", status: 200 };
      }
    });
  });
});

describe("signing when sent late", () => {
  it("stamps each attempt with its own time: a retry hours after the event still verifies", async () => {
    const worker = h.worker();
    await stopping(worker, async () => {
      const customer = await h.customer();
      const endpoint = await h.endpoint(customer.key, `${receiver.url}?late=1`);
      const [eventId = ""] = await h.emit([
        { accountId: customer.accountId, type: "message.delivered", data: messageData(4) },
      ]);
      await waitFor(async () => (await deliveryOf(eventId))?.status === "succeeded", "the first send");
      await h.database.db.execute(
        sql`UPDATE events SET created_at = now() - interval '3 hours' WHERE id = ${eventId}`,
      );
      expect(await retryByHand(customer.key, endpoint.id, eventId)).toBe(202);
      await waitFor(() => requestsOf(receiver, eventId).length === 2, "the manual retry");
      const [, late] = requestsOf(receiver, eventId);
      if (late === undefined) throw new Error("no retry request");
      // standardwebhooks refuses a timestamp more than 5 minutes off.
      expect(new Webhook(endpoint.secret).verify(late.body, headersOf(late))).toMatchObject({
        id: eventId,
        data: messageData(4),
      });
    });
  });

  it.each([
    ["claimed", false],
    ["handed over", true],
  ])(
    "signs %s deliveries with the new secret alone once the previous one's day is over",
    async (_, handOff) => {
      const worker = h.worker({ handOff });
      await stopping(worker, async () => {
        const customer = await h.customer();
        const created = await h.endpoint(customer.key, `${receiver.url}?expired=${handOff}`);
        const rotated = await h.call("POST", `/v1/webhook-endpoints/${created.id}/rotate-secret`, {
          token: customer.key,
        });
        const { secret } = (await rotated.json()) as { secret: string };
        await h.database.db.execute(
          sql`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second'
            WHERE id = ${created.id}`,
        );
        const [eventId = ""] = await h.emit([
          { accountId: customer.accountId, type: "message.sent", data: messageData(5) },
        ]);
        await waitFor(() => requestsOf(receiver, eventId).length === 1, "the webhook");
        const [request] = requestsOf(receiver, eventId);
        if (request === undefined) throw new Error("no request");
        const headers = headersOf(request);
        expect(headers["webhook-signature"]?.split(" ")).toHaveLength(1);
        expect(new Webhook(secret).verify(request.body, headers)).toMatchObject({ id: eventId });
        expect(() => new Webhook(created.secret).verify(request.body, headers)).toThrow();
        const stats = worker.stats();
        expect(handOff ? stats.handedRows : stats.claimedRows).toBe(1);
      });
    },
  );
});
