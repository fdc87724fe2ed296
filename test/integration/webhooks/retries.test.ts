import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { messageData, startWebhookHarness, type WebhookHarness, waitFor } from "./harness.js";
import { Receiver } from "./receiver.js";

interface DeliveryJson {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}
interface AttemptJson {
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_body: string | null;
}

let h: WebhookHarness;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
});
afterAll(async () => {
  await h.close();
});

async function setup(receiver: Receiver) {
  const customer = await h.customer();
  const created = await h.call("POST", "/v1/webhook-endpoints", {
    token: customer.key,
    json: { url: receiver.url },
  });
  const { id } = (await created.json()) as { id: string };
  const get = async <T>(path: string): Promise<T> =>
    (await (await h.call("GET", `/v1/webhook-endpoints/${id}${path}`, { token: customer.key })).json()) as T;
  return {
    customer,
    endpointId: id,
    deliveries: async () => (await get<{ data: DeliveryJson[] }>("/deliveries?limit=100")).data,
    attempts: async (deliveryId: string) =>
      (await get<{ data: AttemptJson[] }>(`/deliveries/${deliveryId}/attempts?limit=100`)).data,
    endpoint: () => get<{ enabled: boolean; disabled_reason: string | null }>(""),
    call: (method: string, path: string) =>
      h.call(method, `/v1/webhook-endpoints/${id}${path}`, { token: customer.key }),
  };
}

describe("retries", () => {
  it("keeps retrying through 500s, refused connections and timeouts, and delivers everything after recovery", async () => {
    const receiver = await Receiver.start();
    // Enough retries that no delivery runs out while the test moves through the phases.
    const worker = h.worker({ retryScheduleMs: Array(150).fill(200), timeoutMs: 3000 });
    try {
      receiver.behaviour = { kind: "status", status: 500, body: "down for maintenance" };
      const s = await setup(receiver);
      const count = 5;
      const eventIds = await h.emit(
        Array.from({ length: count }, (_, i) => ({
          accountId: s.customer.accountId,
          type: "message.delivered" as const,
          data: messageData(i),
        })),
      );

      // One query per check (not the API): on PGlite every query holds the event loop, and the
      // worker's HTTP timeouts run on it too.
      const everyDeliveryHas = async (condition: SQL) => {
        const [row] = await queryRows<{ n: number }>(
          h.database.db,
          sql`SELECT count(DISTINCT a.delivery_id)::int AS n FROM webhook_attempts a
              JOIN webhook_deliveries d ON d.id = a.delivery_id
              WHERE d.endpoint_id = ${s.endpointId} AND ${condition}`,
        );
        return row?.n === count;
      };
      await waitFor(() => everyDeliveryHas(sql`a.status_code = 500`), "a 500 for every delivery", 60_000);
      await receiver.stop();
      await waitFor(() => everyDeliveryHas(sql`a.error = 'connection refused'`), "refused attempts", 60_000);
      receiver.behaviour = { kind: "hang" };
      await receiver.restart();
      await waitFor(() => everyDeliveryHas(sql`a.error LIKE 'timeout%'`), "timed-out attempts", 60_000);
      receiver.release(200);
      await waitFor(() => everyDeliveryHas(sql`a.status_code = 200`), "recovery", 60_000);
      await waitFor(async () => (await s.deliveries()).every((d) => d.status === "succeeded"), "succeeded");

      // Every event arrived, each request carrying its event's id, always with the same body.
      const received = receiver.requests.map((r) => ({ id: r.headers["webhook-id"], body: r.body }));
      expect(new Set(received.map((r) => r.id))).toEqual(new Set(eventIds));
      for (const id of eventIds) {
        const bodies = new Set(received.filter((r) => r.id === id).map((r) => r.body));
        expect(bodies.size).toBe(1);
        expect(JSON.parse([...bodies][0] ?? "{}")).toMatchObject({ id, type: "message.delivered" });
      }

      for (const d of await s.deliveries()) {
        const attempts = await s.attempts(d.id);
        expect(d.attempts).toBe(attempts.length);
        expect(d.last_status_code).toBe(200);
        expect(d.next_attempt_at).toBeNull();
        // Newest first: the success, after every kind of failure.
        expect(attempts[0]?.status_code).toBe(200);
        const failures = attempts.slice(1);
        expect(
          failures.some((a) => a.status_code === 500 && a.response_body === "down for maintenance"),
        ).toBe(true);
        expect(failures.some((a) => a.status_code === null && a.error === "connection refused")).toBe(true);
        expect(failures.some((a) => a.status_code === null && a.error === "timeout after 3000 ms")).toBe(
          true,
        );
        expect(failures.every((a) => a.error !== null && a.duration_ms >= 0)).toBe(true);
      }
    } finally {
      await worker.stop();
      await receiver.close();
    }
  }, 240_000);

  it("is dead after the last retry; a manual retry sends it again", async () => {
    const receiver = await Receiver.start();
    const worker = h.worker();
    try {
      receiver.behaviour = { kind: "status", status: 503, body: "nope" };
      const s = await setup(receiver);
      const [eventId] = await h.emit([
        { accountId: s.customer.accountId, type: "message.failed", data: messageData(9) },
      ]);
      await waitFor(async () => (await s.deliveries())[0]?.status === "dead", "dead");
      const [dead] = await s.deliveries();
      if (dead === undefined) throw new Error("no delivery");
      // One first attempt and one per entry of the schedule.
      expect(dead).toMatchObject({
        event_id: eventId,
        event_type: "message.failed",
        attempts: 4,
        last_status_code: 503,
      });
      expect(dead.next_attempt_at).toBeNull();
      expect((await s.attempts(dead.id)).map((a) => a.status_code)).toEqual([503, 503, 503, 503]);
      expect(receiver.requests.length).toBe(4);

      receiver.behaviour = { kind: "status", status: 204 };
      const retried = await s.call("POST", `/deliveries/${dead.id}/retry`);
      expect(retried.status).toBe(202);
      expect(await retried.json()).toMatchObject({ id: dead.id, status: "pending" });
      await waitFor(async () => (await s.deliveries())[0]?.status === "succeeded", "the manual retry");
      expect((await s.deliveries())[0]).toMatchObject({ attempts: 5, last_status_code: 204 });
      expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual(Array(5).fill(eventId));

      const missing = await s.call("POST", "/deliveries/whd_00000000000000000000000000/retry");
      expect(missing.status).toBe(404);
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it("disables the endpoint on 410 Gone and stops its other deliveries", async () => {
    const receiver = await Receiver.start();
    const worker = h.worker({ perEndpointConcurrency: 1 });
    try {
      receiver.behaviour = { kind: "status", status: 410 };
      const s = await setup(receiver);
      await h.emit(
        Array.from({ length: 3 }, (_, i) => ({
          accountId: s.customer.accountId,
          type: "message.sent" as const,
          data: messageData(i),
        })),
      );
      await waitFor(async () => (await s.endpoint()).enabled === false, "the endpoint disabled");
      const endpoint = await s.endpoint();
      expect(endpoint.disabled_reason).toMatch(/410/);
      await waitFor(
        async () => (await s.deliveries()).every((d) => d.status === "dead"),
        "every delivery dead",
      );
      const deliveries = await s.deliveries();
      // One request reached the receiver (one at a time); the others were not sent.
      expect(receiver.requests.length).toBe(1);
      expect(deliveries.filter((d) => d.last_status_code === 410)).toHaveLength(1);
      expect(
        deliveries.filter((d) => d.attempts === 0).every((d) => /disabled/.test(d.last_error ?? "")),
      ).toBe(true);

      const refused = await s.call("POST", `/deliveries/${deliveries[0]?.id}/retry`);
      expect(refused.status).toBe(409);

      // New events no longer fan out to it.
      await h.emit([{ accountId: s.customer.accountId, type: "message.sent", data: messageData(7) }]);
      expect(await s.deliveries()).toHaveLength(3);

      const enabled = await h.call("PATCH", `/v1/webhook-endpoints/${s.endpointId}`, {
        token: s.customer.key,
        json: { enabled: true },
      });
      expect(await enabled.json()).toMatchObject({ enabled: true, disabled_reason: null });
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });
});
