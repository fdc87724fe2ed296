/**
 * What goes wrong at the SMSC, end to end: permanent rejects fail only their messages, transient ones
 * run out into RETRIES_EXHAUSTED, throttling slows but loses nothing, a dropped connection resumes, and
 * a destination without a route fails NO_ROUTE.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { MessageJson } from "../../../src/core/messages/serialize.js";
import { createRoute } from "../../../src/core/routes.js";
import { events, messageParts } from "../../../src/db/schema.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({
    route: false,
    upstream: { window: 20 },
    // Short throttling pauses and no rate kept after them: the test that throttles everything goes
    // through many, and the next test must not start under a rate the one before left low.
    session: { throttleBackoff: { initialMs: 20, maxMs: 100 }, adaptiveRate: false },
    // One resend from memory per attempt: a throttled part soon comes back as a retry.
    dispatcher: {
      retry: { maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 200, jitter: 0 },
      maxThrottleResends: 1,
    },
  });
  // Only UK numbers are routed.
  await createRoute(p.database.db, { prefix: "44", upstreamIds: [p.upstreamId], accountId: null });
  p.dispatcher.routes.invalidate();
});
afterAll(async () => {
  await p?.close();
});
afterEach(() => {
  p.sim.clearFaults();
});

async function sendMany(n: number, prefix: string): Promise<MessageJson[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => p.send({ text: `${prefix} ${i}` })));
}

async function finalStates(ids: string[]): Promise<MessageJson[]> {
  return Promise.all(ids.map((id) => p.waitFor(id, ["delivered", "undelivered", "failed"], 120_000)));
}

/** The messages as they are now. */
async function statesNow(sent: MessageJson[]): Promise<MessageJson[]> {
  return Promise.all(sent.map((m) => p.get(m.id)));
}

describe("failures", () => {
  test("no route: failed NO_ROUTE with a message.failed event, nothing submitted", async () => {
    const before = p.sim.stats().submits;
    const accepted = await p.send({ to: "+33612345678", text: "nowhere" });
    const done = await p.waitFor(accepted.id, ["failed"]);
    expect(done.error?.code).toBe("NO_ROUTE");
    expect(done.upstream).toBeNull();
    expect(p.sim.stats().submits).toBe(before);
    const rows = await p.database.db.select().from(events).where(eq(events.accountId, p.accountId));
    const mine = rows.filter((e) => (e.payload as MessageJson).id === accepted.id);
    expect(mine.map((e) => e.type)).toEqual(["message.failed"]);
  });

  test("permanent rejects fail only the affected messages, with SMSC_REJECTED and the command_status", async () => {
    p.sim.setFaults({ submitErrorFraction: 0.4, submitErrorStatus: CommandStatus.ESME_RINVDSTADR });
    const sent = await sendMany(25, "perm");
    const done = await finalStates(sent.map((m) => m.id));
    const failed = done.filter((m) => m.status === "failed");
    const delivered = done.filter((m) => m.status === "delivered");
    expect(failed.length + delivered.length).toBe(25);
    expect(failed.length).toBeGreaterThan(0);
    expect(delivered.length).toBeGreaterThan(0);
    const records = p.sim.submits.list();
    for (const m of failed) {
      expect(m.error?.code).toBe("SMSC_REJECTED");
      expect(m.error?.smpp_command_status).toBe(CommandStatus.ESME_RINVDSTADR);
      expect(m.parts[0]?.status).toBe("failed");
      // Rejected for good: the last submit of it was the rejected one, none was accepted.
      const mine = records.filter((r) => r.text === m.text);
      expect(mine.at(-1)?.status).toBe(CommandStatus.ESME_RINVDSTADR);
      expect(mine.some((r) => r.status === 0)).toBe(false);
    }
    for (const m of delivered) {
      expect(records.some((r) => r.text === m.text && r.status === 0)).toBe(true);
    }
  }, 120_000);

  test("a command_status above 2^31 (vendor or broken SMSC) is stored as given, not a failed result batch", async () => {
    p.sim.setFaults({ submitErrorFraction: 1, submitErrorStatus: 0xfffffff0 });
    const accepted = await p.send({ text: "odd status" });
    // A status SMPP does not define is retried like a transient one, until the attempts run out.
    const done = await p.waitFor(accepted.id, ["failed"], 20_000);
    expect(done.error).toMatchObject({ code: "RETRIES_EXHAUSTED", smpp_command_status: 0xfffffff0 });
    const [part] = await p.database.db
      .select()
      .from(messageParts)
      .where(eq(messageParts.messageId, accepted.id));
    expect(part?.commandStatus).toBe(0xfffffff0);
  }, 60_000);

  test("transient errors are retried with back-off and end RETRIES_EXHAUSTED after the last attempt", async () => {
    p.sim.setFaults({ submitErrorFraction: 1, submitErrorStatus: CommandStatus.ESME_RSYSERR });
    const before = p.sim.stats().submits;
    const accepted = await p.send({ text: "always busy" });
    const done = await p.waitFor(accepted.id, ["failed"], 60_000);
    expect(done.error?.code).toBe("RETRIES_EXHAUSTED");
    expect(done.error?.smpp_command_status).toBe(CommandStatus.ESME_RSYSERR);
    expect(p.sim.stats().submits - before).toBe(3);
  }, 90_000);

  test("throttling at the SMSC slows sending but loses and fails nothing", async () => {
    p.sim.setFaults({ throttleRate: 10 });
    const sent = await sendMany(40, "throttled");
    const done = await finalStates(sent.map((m) => m.id));
    expect(done.filter((m) => m.status !== "delivered")).toEqual([]);
    expect(p.sim.stats().throttled).toBeGreaterThan(0);
  }, 120_000);

  test("an SMSC that throttles everything for longer than the retries last fails nothing: the messages wait", async () => {
    p.sim.setFaults({ throttleFraction: 1 });
    const before = p.sim.stats().throttled;
    const sent = await sendMany(5, "held back");
    // Each of them comes back throttled as a retry more often than maxAttempts allows.
    await until(
      () => p.sim.stats().throttled - before >= 5 * 2 * 3,
      "every message throttled through 3 attempts",
      60_000,
    );
    expect((await statesNow(sent)).filter((m) => m.status === "failed")).toEqual([]);
    p.sim.clearFaults();
    const done = await finalStates(sent.map((m) => m.id));
    expect(done.filter((m) => m.status !== "delivered")).toEqual([]);
  }, 120_000);

  test("a connection dropped mid-load resumes after rebind and nothing is lost", async () => {
    const start = p.sim.stats().submits;
    const acceptedBefore = p.sim.stats().submitsAccepted;
    const sent = await sendMany(40, "drop");
    await until(() => p.sim.stats().submits - start >= 15, "15 submits", 30_000);
    p.sim.disconnectAll();
    const done = await finalStates(sent.map((m) => m.id));
    expect(done.filter((m) => m.status !== "delivered")).toEqual([]);
    expect(p.sim.stats().submitsAccepted - acceptedBefore).toBeGreaterThanOrEqual(40);
  }, 180_000);

  test("every accepted message got exactly the events its path passed", async () => {
    const rows = await p.database.db
      .select()
      .from(events)
      .where(eq(events.accountId, p.accountId))
      .orderBy(asc(events.id));
    const byMessage = new Map<string, string[]>();
    for (const e of rows) {
      const id = (e.payload as MessageJson).id;
      byMessage.set(id, [...(byMessage.get(id) ?? []), e.type]);
    }
    for (const [, types] of byMessage) {
      expect([["message.failed"], ["message.sent", "message.delivered"]]).toContainEqual(types);
    }
  });
});
