/**
 * A backlog in the database (another instance's released work, messages the hand-over had no room for)
 * drains as fast as slots free, not one `concurrency` worth per poll interval: the poll timer here is a
 * minute, so only polls driven by freed slots can finish the test in time.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { releaseQueued } from "../../../src/core/dispatch/lease.js";
import { MessageService } from "../../../src/core/messages/service.js";
import type { AcceptedMessage, MessageSink } from "../../../src/core/messages/sink.js";
import { type Pipeline, startPipeline, TO } from "./pipeline-harness.js";

class HoldingSink implements MessageSink {
  enqueue(_items: AcceptedMessage[]): void {}
}

const CONCURRENCY = 4;
const BACKLOG = 40;

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({
    instanceId: "draining-instance",
    dispatcher: { concurrency: CONCURRENCY, pollBatch: CONCURRENCY, maxQueued: 2, pollIntervalMs: 60_000 },
  });
});
afterAll(async () => {
  await p?.close();
});

describe("a backlog in the database", () => {
  test("released work is claimed as slots free, without waiting for the poll timer", async () => {
    const other = new MessageService({
      db: p.database.db,
      sink: new HoldingSink(),
      instanceId: "gone-instance",
      leaseMs: 3_600_000,
    });
    const accepted = await Promise.all(
      Array.from({ length: BACKLOG }, (_, i) =>
        other.send(p.accountId, { to: TO, text: `backlog ${i}` }).then((r) => r.body),
      ),
    );
    await other.close();
    await releaseQueued(
      p.database.db,
      "gone-instance",
      accepted.map((m) => m.id),
    );
    expect(await p.dispatcher.poll()).toBe(CONCURRENCY);
    for (const m of accepted) expect((await p.waitFor(m.id, ["delivered"], 20_000)).status).toBe("delivered");
    expect(p.dispatcher.stats.claimedByPoller).toBe(BACKLOG);
  }, 60_000);

  test("messages beyond the hand-over's room are sent at once from the database", async () => {
    const before = p.dispatcher.stats;
    const accepted = await Promise.all(
      Array.from({ length: 20 }, (_, i) => p.send({ text: `overflow ${i}` })),
    );
    for (const m of accepted) expect((await p.waitFor(m.id, ["delivered"], 20_000)).status).toBe("delivered");
    const after = p.dispatcher.stats;
    // Some went through memory, the rest were given back and claimed: both paths ran.
    expect(after.claimedByPoller - before.claimedByPoller).toBeGreaterThan(0);
    expect(after.startedFromMemory - before.startedFromMemory).toBeGreaterThan(0);
  }, 60_000);
});
