/**
 * A receipt quicker than the commit of its submit's result (results/pending-ids.ts): the SMSC answers
 * the submit, sends the receipt 50 ms later, and the result writer lingers 1.5 s before it writes. The
 * receipt waits in memory for that commit and is stored matched, with no unmatched row and no second
 * UPDATE to place it.
 */
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { receipts } from "../../../src/db/schema.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({
    simulator: { dlrDelayMs: 50 },
    dispatcher: { results: { lingerMs: 1500, failureBackoffMs: 50 } },
    // Long enough that the wait can only end with the commit, however slow this machine is today.
    pendingIds: { maxWaitMs: 60_000 },
  });
});
afterAll(async () => {
  await p?.close();
});

async function receiptRows(messageId: string) {
  return p.database.db.select().from(receipts).where(eq(receipts.messageId, messageId));
}

/** No receipt of this upstream was stored unmatched, and no SMSC id is still waiting for its commit. */
async function expectNothingUnmatchedOrPending(): Promise<void> {
  const unmatched = await p.database.db
    .select()
    .from(receipts)
    .where(and(isNull(receipts.messageId), eq(receipts.upstreamId, p.upstreamId)));
  expect(unmatched).toHaveLength(0);
  expect(p.pendingIds.stats.pending).toBe(0);
}

describe("receipts before the result is committed", () => {
  test("a receipt arriving before its part's id is committed waits for it and is stored matched", async () => {
    const before = { ...p.receipts.stats };
    const waitedBefore = p.pendingIds.stats.waited;
    const accepted = await p.send({ text: "quicker than the commit" });
    const done = await p.waitFor(accepted.id, ["delivered"], 30_000);
    expect(done.parts[0]?.status).toBe("delivered");

    // It did come before the commit (it waited), and it was placed by its own INSERT.
    expect(p.pendingIds.stats.waited).toBe(waitedBefore + 1);
    expect(p.pendingIds.stats.timedOut).toBe(0);
    expect(p.receipts.stats.matched).toBe(before.matched + 1);
    const [row] = await receiptRows(accepted.id);
    expect(row?.partIndex).toBe(1);
    expect(row?.matchedAt?.getTime()).toBe(row?.receivedAt.getTime());
    expect(row?.rawHex).toBeNull();
    await expectNothingUnmatchedOrPending();
  });

  test("each part's receipt of a long message is matched on arrival", async () => {
    const before = { ...p.receipts.stats };
    const accepted = await p.send({ text: "m".repeat(400) });
    const done = await p.waitFor(accepted.id, ["delivered"], 30_000);
    expect(done.parts.map((part) => part.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(p.receipts.stats.matched).toBe(before.matched + 3);
    const rows = await receiptRows(accepted.id);
    expect(rows.map((r) => r.partIndex).sort()).toEqual([1, 2, 3]);
    for (const r of rows) expect(r.matchedAt?.getTime()).toBe(r.receivedAt.getTime());
    await expectNothingUnmatchedOrPending();
  });
});
