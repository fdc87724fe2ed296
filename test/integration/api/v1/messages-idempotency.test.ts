import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageValidationError } from "../../../../src/core/messages/errors.js";
import { MessageService } from "../../../../src/core/messages/service.js";
import { idempotencyKeys, messages } from "../../../../src/db/schema.js";
import { errorPaths, problemOf } from "../harness.js";
import {
  type Customer,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;
let acme: Customer;
let other: Customer;
/** Added to the service's clock: lets a test be "later" without waiting. */
let clockOffsetMs = 0;

beforeAll(async () => {
  api = await startMessagesApi({ clock: () => Date.now() + clockOffsetMs });
  acme = await api.customer({ default_from: "ACME" });
  other = await api.customer({ default_from: "OTHER" });
});
afterAll(() => api?.close());

async function countTo(to: string): Promise<number> {
  const rows = await api.database.db.select({ id: messages.id }).from(messages).where(eq(messages.to, to));
  return rows.length;
}

const key = (name: string) => ({ "Idempotency-Key": `${name}-${Math.random().toString(36).slice(2)}` });

describe("Idempotency-Key on POST /v1/messages", () => {
  it("answers a repeat with the first response and stores nothing new", async () => {
    const headers = key("repeat");
    const body = { to: "+447700900201", text: "once", client_reference: "r1" };
    const first = await acme.send(body, headers);
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstText = await first.text();

    // The same body with its keys in another order is the same request.
    const again = await acme.send({ client_reference: "r1", text: "once", to: "+447700900201" }, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstText);
    expect(await countTo("+447700900201")).toBe(1);
    expect(api.sink.messages.filter((m) => m.message.to === "+447700900201")).toHaveLength(1);
  });

  it("answers 409 when the key comes back with another body, and stores nothing", async () => {
    const headers = key("conflict");
    expect((await acme.send({ to: "+447700900202", text: "first" }, headers)).status).toBe(202);
    const second = await acme.send({ to: "+447700900202", text: "second" }, headers);
    expect(second.status).toBe(409);
    expect((await problemOf(second)).detail).toMatch(/different request/);
    expect(await countTo("+447700900202")).toBe(1);
  });

  it("still replays the first response when the repeat would now be refused (its send_at has passed)", async () => {
    const headers = key("late");
    const body = { to: "+447700900203", text: "soon", send_at: new Date(Date.now() + 60_000).toISOString() };
    const first = await acme.send(body, headers);
    expect(first.status).toBe(202);
    clockOffsetMs = 10 * 60_000;
    try {
      // Ten minutes on, the body itself is no longer acceptable…
      const fresh = await acme.send(body, key("fresh"));
      expect(fresh.status).toBe(422);
      expect(await errorPaths(fresh)).toEqual(["send_at"]);
      // …but its repeat is answered from the key, and another body under the key is still a conflict.
      const replay = await acme.send(body, headers);
      expect(replay.status).toBe(202);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(await replay.json()).toEqual(await first.json());
      expect((await acme.send({ ...body, text: "other" }, headers)).status).toBe(409);
    } finally {
      clockOffsetMs = 0;
    }
    expect(await countTo("+447700900203")).toBe(1);
  });

  it("keys are per account: another account's same key is a new request", async () => {
    const headers = key("tenant");
    const body = { to: "+447700900204", text: "mine" };
    expect((await acme.send(body, headers)).status).toBe(202);
    const theirs = await other.send(body, headers);
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(await countTo("+447700900204")).toBe(2);
  });

  it("a key older than 24 h no longer answers: the request is accepted anew", async () => {
    const headers = key("expired");
    const body = { to: "+447700900205", text: "daily" };
    const first = await acme.send(body, headers);
    expect(first.status).toBe(202);
    await api.database.db
      .update(idempotencyKeys)
      .set({ createdAt: new Date(Date.now() - 25 * 3_600_000) })
      .where(
        and(
          eq(idempotencyKeys.accountId, acme.accountId),
          eq(idempotencyKeys.key, headers["Idempotency-Key"]),
        ),
      );
    const again = await acme.send(body, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect((await again.json<MessageJson>()).id).not.toBe((await first.json<MessageJson>()).id);
    expect(await countTo("+447700900205")).toBe(2);
    // …and the key now answers with the new response.
    const third = await acme.send(body, headers);
    expect(third.headers.get("idempotent-replayed")).toBe("true");
    expect(await countTo("+447700900205")).toBe(2);
  });

  it("a key older than 24 h does not answer a repeat that is now refused: the refusal stands", async () => {
    // A service of its own whose key sweep cannot run in between: the key is still in the table, and
    // only its age keeps it from answering.
    let offsetMs = 0;
    const service = new MessageService({
      db: api.database.db,
      clock: () => Date.now() + offsetMs,
      keySweepIntervalMs: 365 * 24 * 3_600_000,
    });
    try {
      const body = {
        to: "+447700900213",
        text: "soon",
        send_at: new Date(Date.now() + 60_000).toISOString(),
      };
      expect((await service.send(acme.accountId, body, "expired-refused")).status).toBe(202);
      await service.sweepIdempotencyKeys(); // the first keyed accept's own sweep, finished
      offsetMs = 25 * 3_600_000;
      await expect(service.send(acme.accountId, body, "expired-refused")).rejects.toBeInstanceOf(
        MessageValidationError,
      );
      const [row] = await api.database.db
        .select({ key: idempotencyKeys.key })
        .from(idempotencyKeys)
        .where(
          and(eq(idempotencyKeys.accountId, acme.accountId), eq(idempotencyKeys.key, "expired-refused")),
        );
      expect(row).toBeDefined();
    } finally {
      await service.close();
    }
    expect(await countTo("+447700900213")).toBe(1);
  });

  it("refuses a key longer than 255 characters with 422", async () => {
    const response = await acme.send(
      { to: "+447700900206", text: "x" },
      { "Idempotency-Key": "k".repeat(256) },
    );
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["idempotency-key"]);
    const longest = await acme.send(
      { to: "+447700900206", text: "x" },
      { "Idempotency-Key": "k".repeat(255) },
    );
    expect(longest.status).toBe(202);
  });

  it("does not store a refused request under its key: the corrected body is accepted with it", async () => {
    const headers = key("fix");
    expect((await acme.send({ to: "12", text: "x" }, headers)).status).toBe(422);
    expect((await acme.send({ to: "+447700900207", text: "x" }, headers)).status).toBe(202);
  });

  it("resolves concurrent duplicates to one message, every caller getting the same 202", async () => {
    const headers = key("race");
    const body = { to: "+447700900208", text: "raced" };
    const responses = await Promise.all(Array.from({ length: 20 }, () => acme.send(body, headers)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = await Promise.all(responses.map(async (r) => (await r.json<MessageJson>()).id));
    expect(new Set(ids).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    expect(await countTo("+447700900208")).toBe(1);
    expect(api.sink.messages.filter((m) => m.message.to === "+447700900208")).toHaveLength(1);
  });

  it("resolves concurrent duplicates with different bodies to one message and 409s", async () => {
    const headers = key("race-conflict");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => acme.send({ to: "+447700900209", text: `body ${i}` }, headers)),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, ...Array(9).fill(409)]);
    expect(await countTo("+447700900209")).toBe(1);
  });
});

describe("Idempotency-Key on POST /v1/messages/batch", () => {
  const batch = (n: number, to: string) => ({
    messages: Array.from({ length: n }, (_, i) => ({ to, text: `b${i}` })),
  });

  it("replays the whole batch response and stores no second batch", async () => {
    const headers = key("batch");
    const first = await acme.call("POST", "/v1/messages/batch", { json: batch(5, "+447700900210"), headers });
    expect(first.status).toBe(202);
    const again = await acme.call("POST", "/v1/messages/batch", { json: batch(5, "+447700900210"), headers });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(await countTo("+447700900210")).toBe(5);
  });

  it("treats the same key on another endpoint as another request (409)", async () => {
    const headers = key("cross");
    expect((await acme.send({ to: "+447700900211", text: "b0" }, headers)).status).toBe(202);
    const batchResponse = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: [{ to: "+447700900211", text: "b0" }] },
      headers,
    });
    expect(batchResponse.status).toBe(409);
  });

  it("resolves concurrent duplicate batches to one stored batch", async () => {
    const headers = key("batch-race");
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        acme.call("POST", "/v1/messages/batch", { json: batch(20, "+447700900212"), headers }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(202));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(await countTo("+447700900212")).toBe(20);
  });
});

describe("expired key sweep", () => {
  const keyRow = (key: string, ageMs: number) => ({
    accountId: acme.accountId,
    key,
    requestHash: "h",
    responseStatus: 202,
    responseBody: "{}",
    createdAt: new Date(Date.now() - ageMs),
  });
  const keysNamed = async (...names: string[]) =>
    (
      await api.database.db
        .select({ key: idempotencyKeys.key })
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.accountId, acme.accountId), inArray(idempotencyKeys.key, names)))
    )
      .map((r) => r.key)
      .sort();

  it("deletes keys past 24 h and keeps the live ones", async () => {
    await api.database.db
      .insert(idempotencyKeys)
      .values([keyRow("sweep-old", 25 * 3_600_000), keyRow("sweep-live", 23 * 3_600_000)]);
    expect(await api.service.sweepIdempotencyKeys()).toBeGreaterThanOrEqual(1);
    expect(await keysNamed("sweep-old", "sweep-live")).toEqual(["sweep-live"]);
  });

  it("runs by itself from keyed accepts once its interval has passed", async () => {
    await api.database.db.insert(idempotencyKeys).values([keyRow("auto-old", 30 * 3_600_000)]);
    const service = new MessageService({ db: api.database.db, keySweepIntervalMs: 0 });
    try {
      const accepted = await service.send(acme.accountId, { to: "+447700900220", text: "x" }, "auto-new");
      expect(accepted.status).toBe(202);
      // The sweep runs in the background of the accept: wait for it, boundedly.
      for (let i = 0; i < 100 && (await keysNamed("auto-old")).length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await keysNamed("auto-old", "auto-new")).toEqual(["auto-new"]);
    } finally {
      await service.close();
    }
  });
});
