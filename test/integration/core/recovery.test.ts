/**
 * The poller as the recovery and scheduling path: work leased by a dead instance is taken once the lease
 * ran out and a live lease is left alone; scheduled messages wait for their time; a message canceled
 * while queued is never submitted; stop() lets submits in flight finish.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLeased } from "../../../src/core/dispatch/claim.js";
import { expireOwnLeases, releaseQueued, renewLeases } from "../../../src/core/dispatch/lease.js";
import { MessageService } from "../../../src/core/messages/service.js";
import type { AcceptedMessage, MessageSink } from "../../../src/core/messages/sink.js";
import { messages } from "../../../src/db/schema.js";
import { messageRow, type Pipeline, sleep, startPipeline, TO, until } from "./pipeline-harness.js";

/** A sink that keeps what it is handed (an instance that accepted and then died, or is slow). */
class HoldingSink implements MessageSink {
  readonly items: AcceptedMessage[] = [];
  enqueue(items: AcceptedMessage[]): void {
    this.items.push(...items);
  }
}

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ instanceId: "live-instance" });
});
afterAll(async () => {
  await p?.close();
});

/** A MessageService of another instance, handing its messages to nobody. */
function otherInstance(instanceId: string, leaseMs: number) {
  const sink = new HoldingSink();
  const service = new MessageService({ db: p.database.db, sink, instanceId, leaseMs });
  return {
    sink,
    service,
    send: async (text: string) => (await service.send(p.accountId, { to: TO, text })).body,
  };
}

describe("orphaned work", () => {
  test("messages leased by a dead instance are taken after the lease expires, not before", async () => {
    const dead = otherInstance("dead-instance", 6000);
    const accepted = await Promise.all([dead.send("orphan 1"), dead.send("orphan 2")]);
    await dead.service.close();
    const leases = await Promise.all(accepted.map((m) => messageRow(p, m.id)));
    for (const row of leases) expect(row.leaseOwner).toBe("dead-instance");
    const firstExpiry = Math.min(...leases.map((r) => r.leaseExpiresAt?.getTime() ?? 0));
    await p.dispatcher.poll();
    const polledAt = Date.now();
    const after = await Promise.all(accepted.map((m) => messageRow(p, m.id)));
    expect(polledAt).toBeLessThan(firstExpiry); // else this machine is too slow for the check below
    for (const row of after) {
      expect(row.status).toBe("queued");
      expect(row.leaseOwner).toBe("dead-instance");
      expect(row.attempts).toBe(0);
    }
    for (const m of accepted) {
      const done = await p.waitFor(m.id, ["delivered"], 30_000);
      expect(done.parts[0]?.status).toBe("delivered");
      const row = await messageRow(p, m.id);
      expect(row.attempts).toBe(1);
      expect(new Date(done.submitted_at ?? 0).getTime()).toBeGreaterThanOrEqual(firstExpiry - 50);
    }
  }, 60_000);

  test("a message left `sending` by a dead instance is sent again once its lease ran out", async () => {
    const dead = otherInstance("dead-instance-2", 60_000);
    const accepted = await dead.send("died mid-send");
    await dead.service.close();
    await p.database.db
      .update(messages)
      .set({
        status: "sending",
        attempts: 1,
        leaseOwner: "dead-instance-2",
        // As a dead instance leaves it: the poller's time moves with the lease (dispatch/claim.ts).
        leaseExpiresAt: sql`now() - interval '1 second'`,
        nextAttemptAt: sql`now() - interval '1 second'`,
      })
      .where(eq(messages.id, accepted.id));
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    expect(done.status).toBe("delivered");
    expect((await messageRow(p, accepted.id)).attempts).toBe(2);
  });

  test("a live lease of another instance is not stolen", async () => {
    const other = otherInstance("busy-instance", 3_600_000);
    const accepted = await other.send("held elsewhere");
    await other.service.close();
    for (let i = 0; i < 5; i++) {
      await p.dispatcher.poll();
      await sleep(60);
    }
    const row = await messageRow(p, accepted.id);
    expect(row.status).toBe("queued");
    expect(row.leaseOwner).toBe("busy-instance");
    expect(row.attempts).toBe(0);
    expect(p.sim.submits.list().some((s) => s.text === "held elsewhere")).toBe(false);
    await p.service.cancel(p.accountId, accepted.id);
  });
});

describe("work given back", () => {
  test("queued work an instance releases is due at once, for any poller", async () => {
    const other = otherInstance("releasing-instance", 3_600_000);
    const accepted = await other.send("given back");
    await other.service.close();
    const held = await messageRow(p, accepted.id);
    expect(held.nextAttemptAt?.getTime()).toBe(held.leaseExpiresAt?.getTime());
    await releaseQueued(p.database.db, "releasing-instance", [accepted.id]);
    await p.dispatcher.poll();
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    expect(done.status).toBe("delivered");
  });

  test("an instance restarted under the same id expires its old leases, so its queued work is due at once", async () => {
    const before = otherInstance("restarted-instance", 3_600_000);
    const accepted = await before.send("from my previous life");
    await before.service.close();
    expect(await expireOwnLeases(p.database.db, "restarted-instance")).toBe(1);
    await p.dispatcher.poll();
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    expect(done.status).toBe("delivered");
  });
});

describe("scheduling and cancel", () => {
  test("a message canceled while queued is never submitted, even when handed over afterwards", async () => {
    const held = new HoldingSink();
    const service = new MessageService({
      db: p.database.db,
      sink: held,
      instanceId: "live-instance",
      leaseMs: 30_000,
    });
    const accepted = (await service.send(p.accountId, { to: TO, text: "cancel me" })).body;
    await service.close();
    const canceled = await p.service.cancel(p.accountId, accepted.id);
    expect(canceled.status).toBe("canceled");
    const skippedBefore = p.dispatcher.stats.skipped;
    p.dispatcher.enqueue(held.items);
    await until(() => p.dispatcher.stats.skipped > skippedBefore, "the canceled message skipped");
    await p.dispatcher.poll();
    expect((await p.get(accepted.id)).status).toBe("canceled");
    expect(p.sim.submits.list().some((s) => s.text === "cancel me")).toBe(false);
  });

  test("a scheduled message waits for send_at, then is sent by the poller", async () => {
    const sendAt = new Date(Date.now() + 1500);
    const accepted = await p.send({ text: "later", send_at: sendAt.toISOString() });
    expect(accepted.status).toBe("scheduled");
    await p.dispatcher.poll();
    expect((await p.get(accepted.id)).status).toBe("scheduled");
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    const record = p.sim.submits.list().find((s) => s.text === "later");
    expect(record?.receivedAt).toBeGreaterThanOrEqual(sendAt.getTime() - 50);
    expect(new Date(done.submitted_at ?? 0).getTime()).toBeGreaterThanOrEqual(sendAt.getTime() - 50);
  });
});

describe("the poller's time (next_attempt_at)", () => {
  test("starting a held message leaves its lease and poller time as they were; renewing moves both", async () => {
    const other = otherInstance("starting-instance", 3_600_000);
    const accepted = await other.send("started elsewhere");
    await other.service.close();
    const held = await messageRow(p, accepted.id);
    const [started] = await startLeased(p.database.db, "starting-instance", [accepted.id]);
    const row = await messageRow(p, accepted.id);
    expect(row.status).toBe("sending");
    expect(row.attempts).toBe(1);
    expect(started?.nextAttemptAt.getTime()).toBe(held.nextAttemptAt?.getTime());
    expect(row.nextAttemptAt?.getTime()).toBe(held.nextAttemptAt?.getTime());
    expect(row.leaseExpiresAt?.getTime()).toBe(held.leaseExpiresAt?.getTime());

    expect(await renewLeases(p.database.db, "starting-instance", 600_000, [accepted.id])).toBe(1);
    const renewed = await messageRow(p, accepted.id);
    expect(renewed.leaseExpiresAt?.getTime()).toBeLessThan(held.leaseExpiresAt?.getTime() ?? 0);
    expect(renewed.nextAttemptAt?.getTime()).toBe(renewed.leaseExpiresAt?.getTime());

    // The instance dies: its sending message is the live poller's once the lease is expired.
    expect(await expireOwnLeases(p.database.db, "starting-instance")).toBe(1);
    await p.dispatcher.poll();
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    expect(done.status).toBe("delivered");
    expect((await messageRow(p, accepted.id)).attempts).toBe(2);
  });

  test("exactly the messages the dispatcher is not done with have a poller time", async () => {
    // Runs last, over every state the tests above left (delivered, canceled) and two more.
    const holder = otherInstance("holding-instance", 3_600_000);
    await holder.send("still held");
    await holder.service.close();
    await p.send({ text: "much later", send_at: new Date(Date.now() + 3_600_000).toISOString() });
    const rows = await p.database.db
      .select({ id: messages.id, status: messages.status, nextAttemptAt: messages.nextAttemptAt })
      .from(messages);
    expect(rows.length).toBeGreaterThan(5);
    const pending = new Set(["scheduled", "queued", "sending"]);
    const wrong = rows.filter((r) => (r.nextAttemptAt !== null) !== pending.has(r.status));
    expect(wrong).toEqual([]);
    expect(new Set(rows.map((r) => r.status))).toEqual(
      new Set(["delivered", "canceled", "queued", "scheduled"]),
    );
  });
});
