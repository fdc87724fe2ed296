import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcceptUnavailableError } from "../../../../src/core/messages/errors.js";
import { MessageService } from "../../../../src/core/messages/service.js";
import { messages } from "../../../../src/db/schema.js";
import { refuseRows } from "../../../helpers/refuse-rows.js";
import {
  type Customer,
  type MessageJson,
  type MessagesHarness,
  startMessagesApi,
} from "./messages-harness.js";

let api: MessagesHarness;
let acme: Customer;

// A linger long enough that concurrent requests reliably meet in one group on a slow machine; the
// assertions are on how requests were grouped, never on how long anything took.
beforeAll(async () => {
  api = await startMessagesApi({ groupCommit: { lingerMs: 25, maxGroupMessages: 50, maxInFlight: 2 } });
  acme = await api.customer({ default_from: "ACME" });
});
afterAll(() => api?.close());

describe("group commit of concurrent accepts", () => {
  it("commits concurrent requests in shared multi-row statements, every 202 after its group's commit", async () => {
    const count = 120;
    const statsBefore = api.service.stats;
    const callsBefore = api.sink.calls.length;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        acme.send({ to: `+4477009${String(i).padStart(5, "0")}`, text: `g${i}` }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(count).fill(202));
    const ids = await Promise.all(responses.map(async (r) => (await r.json<MessageJson>()).id));
    const stored = await api.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(inArray(messages.id, ids));
    expect(stored).toHaveLength(count);

    // What the dispatcher was handed: one call per committed group, each holding several requests.
    const batches = api.sink.calls.slice(callsBefore).map((call) => call.length);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(count);
    expect(batches.length).toBeLessThan(count);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
    const stats = api.service.stats;
    expect(stats.groups - statsBefore.groups).toBe(batches.length);
    expect(stats.messages - statsBefore.messages).toBe(count);
    expect(stats.statements - statsBefore.statements).toBe(batches.length);
  });

  it("never splits a request: a batch larger than the group size commits whole, in one statement", async () => {
    const statsBefore = api.service.stats;
    const callsBefore = api.sink.calls.length;
    const response = await acme.call("POST", "/v1/messages/batch", {
      json: { messages: Array.from({ length: 120 }, (_, i) => ({ to: "+447700900501", text: `b${i}` })) },
    });
    expect(response.status).toBe(202);
    expect(api.service.stats.statements - statsBefore.statements).toBe(1);
    expect(api.sink.calls.slice(callsBefore).map((c) => c.length)).toEqual([120]);
  });

  it("hands the dispatcher only immediate messages; scheduled ones are committed but stay with the poller", async () => {
    const callsBefore = api.sink.calls.length;
    const response = await acme.call("POST", "/v1/messages/batch", {
      json: {
        messages: [
          { to: "+447700900502", text: "now" },
          { to: "+447700900502", text: "later", send_at: "2099-01-01T00:00:00Z" },
        ],
      },
    });
    expect(response.status).toBe(202);
    const handed = api.sink.calls.slice(callsBefore).flat();
    expect(handed.map((m) => m.message.text)).toEqual(["now"]);
  });

  it("fails only the request the database refuses; the others of its group are accepted", async () => {
    await refuseRows(api.database.db, {
      name: "refuse_poison_message",
      table: "messages",
      on: "INSERT",
      condition: "NEW.text = 'poison'",
    });
    const texts = Array.from({ length: 12 }, (_, i) => (i === 5 ? "poison" : `fine ${i}`));
    const responses = await Promise.all(texts.map((text) => acme.send({ to: "+447700900503", text })));
    expect(responses.map((r) => r.status)).toEqual(texts.map((text) => (text === "poison" ? 503 : 202)));
    const ids = await Promise.all(
      responses.filter((r) => r.status === 202).map(async (r) => (await r.json<MessageJson>()).id),
    );
    const stored = await api.database.db
      .select({ text: messages.text })
      .from(messages)
      .where(inArray(messages.id, ids));
    expect(stored.map((m) => m.text).sort()).toEqual(texts.filter((t) => t !== "poison").sort());
  });
});

describe("group commit at its limits", () => {
  // A linger no test waits for: only close() or a full group sends these groups.
  const LONG_LINGER_MS = 600_000;

  it("refuses at once with 503 what would queue past maxQueuedMessages; close() commits what queued", async () => {
    const service = new MessageService({
      db: api.database.db,
      groupCommit: { lingerMs: LONG_LINGER_MS, maxQueuedMessages: 3 },
    });
    const body = (i: number) => ({ to: "+447700900504", from: "ACME", text: `queued ${i}` });
    const queued = [0, 1, 2].map((i) => service.send(acme.accountId, body(i)));
    await expect(service.send(acme.accountId, body(3))).rejects.toBeInstanceOf(AcceptUnavailableError);
    await service.close();
    const accepted = await Promise.all(queued);
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    const stored = await api.database.db
      .select({ text: messages.text })
      .from(messages)
      .where(
        inArray(
          messages.id,
          accepted.map((r) => r.body.id),
        ),
      );
    expect(stored.map((m) => m.text).sort()).toEqual(["queued 0", "queued 1", "queued 2"]);
    // Closed: nothing more is taken.
    await expect(service.send(acme.accountId, body(4))).rejects.toBeInstanceOf(AcceptUnavailableError);
  });
});
