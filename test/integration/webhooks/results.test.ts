import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../../src/core/ids.js";
import {
  type ClaimedDelivery,
  claimDeliveries,
  GATE_SQL,
  gateOf,
} from "../../../src/core/webhooks/worker/claim.js";
import { type AttemptResult, writeAttemptResults } from "../../../src/core/webhooks/worker/results.js";
import { queryRows } from "../../../src/db/client.js";
import { messageData, startWebhookHarness, type WebhookHarness } from "./harness.js";

// No worker runs here: the statements are driven by hand, as the worker would.
let h: WebhookHarness;
beforeAll(async () => {
  h = await startWebhookHarness({ allowPrivate: true });
});
afterAll(async () => {
  await h.close();
});

const OWNER = "test-owner";

async function claimAll(limit: number): Promise<ClaimedDelivery[]> {
  return claimDeliveries(h.database.db, {
    owner: OWNER,
    limit,
    perGate: limit,
    gateRooms: new Map(),
    leaseMs: 60_000,
  });
}

function outcome(row: ClaimedDelivery, fields: Partial<AttemptResult>): AttemptResult {
  return {
    attemptId: newId("wha"),
    deliveryId: row.id,
    attemptsBefore: row.attempts,
    status: "succeeded",
    nextAttemptAt: null,
    attemptedAt: new Date(),
    statusCode: 200,
    responseBody: "ok",
    durationMs: 3,
    error: null,
    ...fields,
  };
}

interface DeliveryRow extends Record<string, unknown> {
  id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  lease_owner: string | null;
}
interface AttemptRow extends Record<string, unknown> {
  id: string;
  delivery_id: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

async function state(ids: string[]) {
  const deliveries = await queryRows<DeliveryRow>(
    h.database.db,
    sql`SELECT id, status, attempts, last_status_code, lease_owner FROM webhook_deliveries
        WHERE id = ANY(${sql.param(ids)}::text[]) ORDER BY id`,
  );
  const attempts = await queryRows<AttemptRow>(
    h.database.db,
    sql`SELECT id, delivery_id, status_code, error, duration_ms FROM webhook_attempts
        WHERE delivery_id = ANY(${sql.param(ids)}::text[]) ORDER BY id`,
  );
  return { deliveries, attempts };
}

describe("batched attempt results", () => {
  it("records one attempt row per outcome of a mixed batch, and writing the batch again changes nothing", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, "http://127.0.0.1:9/hook");
    await h.emit(
      Array.from({ length: 3 }, (_, i) => ({
        accountId: customer.accountId,
        type: "message.delivered" as const,
        data: messageData(i),
      })),
    );
    const rows = await claimAll(10);
    expect(rows).toHaveLength(3);
    const [ok, retry, dead] = rows;
    if (ok === undefined || retry === undefined || dead === undefined) throw new Error("claim");
    const batch = [
      outcome(ok, {}),
      outcome(retry, {
        status: "failed",
        nextAttemptAt: new Date(Date.now() + 60_000),
        statusCode: 503,
        responseBody: "busy",
        error: "HTTP 503",
      }),
      outcome(dead, { status: "dead", statusCode: null, responseBody: null, error: "connection refused" }),
    ];
    await writeAttemptResults(h.database.db, OWNER, batch);
    const ids = rows.map((r) => r.id);
    const first = await state(ids);
    const byId = new Map(first.deliveries.map((d) => [d.id, d]));
    expect(byId.get(ok.id)).toMatchObject({
      status: "succeeded",
      attempts: 1,
      last_status_code: 200,
      lease_owner: null,
    });
    expect(byId.get(retry.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status_code: 503,
      lease_owner: null,
    });
    expect(byId.get(dead.id)).toMatchObject({
      status: "dead",
      attempts: 1,
      last_status_code: null,
      lease_owner: null,
    });
    expect(first.attempts.map((a) => a.id).sort()).toEqual(batch.map((r) => r.attemptId).sort());
    expect(first.attempts.find((a) => a.delivery_id === dead.id)).toMatchObject({
      status_code: null,
      error: "connection refused",
    });

    // The same batch again, as after an error whose statement had in fact committed.
    await writeAttemptResults(h.database.db, OWNER, batch);
    expect(await state(ids)).toEqual(first);
  });

  it("stores a receiver's answer holding NUL with U+FFFD in its place: PostgreSQL text cannot hold NUL", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, "http://127.0.0.1:9/hook");
    await h.emit([{ accountId: customer.accountId, type: "message.sent", data: messageData(7) }]);
    const [row] = await claimAll(10);
    if (row === undefined) throw new Error("claim");
    // A binary (or compressed) answer: the whole batch of outcomes must not fail over it.
    await writeAttemptResults(h.database.db, OWNER, [
      outcome(row, { responseBody: "\u001f\u008b\u0000\u0000ok", error: null }),
    ]);
    const [attempt] = await queryRows<{ response_body: string }>(
      h.database.db,
      sql`SELECT response_body FROM webhook_attempts WHERE delivery_id = ${row.id}`,
    );
    expect(attempt?.response_body).toBe("\u001f\u008b\ufffd\ufffdok");
    expect((await state([row.id])).deliveries[0]?.status).toBe("succeeded");
  });

  it("records an outcome written late, after its delivery was claimed again, without applying it", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, "http://127.0.0.1:9/other");
    await h.emit([{ accountId: customer.accountId, type: "message.sent", data: messageData(9) }]);
    const [row] = await claimAll(10);
    if (row === undefined) throw new Error("claim");
    const late = outcome(row, { statusCode: 200 });
    await writeAttemptResults(h.database.db, OWNER, [
      outcome(row, {
        status: "failed",
        nextAttemptAt: new Date(Date.now() - 1000),
        statusCode: 500,
        error: "HTTP 500",
      }),
    ]);
    // Due again at once and claimed again by the same owner: only the attempt count tells the
    // outcome of the first claim from one of this claim.
    const [again] = await claimAll(10);
    expect(again).toMatchObject({ id: row.id, attempts: 1 });
    await writeAttemptResults(h.database.db, OWNER, [late]);
    let { deliveries, attempts } = await state([row.id]);
    expect(deliveries[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status_code: 500,
      lease_owner: OWNER,
    });
    expect(attempts.map((a) => a.status_code).sort()).toEqual([200, 500]);

    if (again === undefined) throw new Error("claim");
    await writeAttemptResults(h.database.db, OWNER, [outcome(again, { statusCode: 204 })]);
    ({ deliveries, attempts } = await state([row.id]));
    expect(deliveries[0]).toMatchObject({
      status: "succeeded",
      attempts: 2,
      last_status_code: 204,
      lease_owner: null,
    });
    expect(attempts).toHaveLength(3);
  });

  it("does not apply the outcome of an instance whose lease another instance took over", async () => {
    const customer = await h.customer();
    await h.endpoint(customer.key, "http://127.0.0.1:9/taken-over");
    await h.emit([{ accountId: customer.accountId, type: "message.sent", data: messageData(10) }]);
    const [mine] = await claimAll(10);
    if (mine === undefined) throw new Error("claim");
    // This instance stalled past its lease; another claims the row and is sending it.
    await h.database.db.execute(
      sql`UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second' WHERE id = ${mine.id}`,
    );
    const [theirs] = await claimDeliveries(h.database.db, {
      owner: "other-owner",
      limit: 10,
      perGate: 10,
      gateRooms: new Map(),
      leaseMs: 60_000,
    });
    expect(theirs).toMatchObject({ id: mine.id, attempts: 0 });
    await writeAttemptResults(h.database.db, OWNER, [outcome(mine, { statusCode: 200 })]);
    const { deliveries, attempts } = await state([mine.id]);
    // Still the other instance's to finish: it is not marked succeeded under it, nor its lease cleared.
    expect(deliveries[0]).toMatchObject({ status: "pending", attempts: 0, lease_owner: "other-owner" });
    expect(attempts.map((a) => a.status_code)).toEqual([200]);
  });
});

describe("gates", () => {
  it("the claim's SQL gate agrees with gateOf: endpoint id, else the callback URL's origin as written", async () => {
    const customer = await h.customer();
    const urls = [
      "http://127.0.0.1:13080/dlr?run=1&i=2",
      "http://127.0.0.1:13080/dlr?run=1&i=3",
      "https://Hooks.Example.com/cb/7#x",
      "https://hooks.example.com:8443?m=1",
      "http://user:pw@example.org/a/b",
      "https://example.net",
    ];
    await h.emit(
      urls.map((url, i) => ({
        accountId: customer.accountId,
        type: "message.sent" as const,
        data: messageData(i),
        callbackUrl: url,
      })),
    );
    const rows = await queryRows<{ endpoint_id: string | null; url: string; gate: string }>(
      h.database.db,
      sql`SELECT d.endpoint_id, d.url, ${GATE_SQL} AS gate FROM webhook_deliveries d
          JOIN events e ON e.id = d.event_id WHERE e.account_id = ${customer.accountId}`,
    );
    expect(rows).toHaveLength(urls.length);
    for (const row of rows) expect(row.gate).toBe(gateOf(row.endpoint_id, row.url));
    expect(new Set(rows.map((r) => r.gate))).toEqual(
      new Set([
        "http://127.0.0.1:13080",
        "https://hooks.example.com",
        "https://hooks.example.com:8443",
        "http://user:pw@example.org",
        "https://example.net",
      ]),
    );
    expect(gateOf("whe_1", "http://127.0.0.1:13080/x")).toBe("whe_1");
  });
});
