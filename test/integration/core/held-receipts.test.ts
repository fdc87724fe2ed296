/**
 * Receipts held unmatched until their part's SMSC id is stored, and the two paths that match them, each
 * on its own: the result writer (in the transaction that stores the id) and the sweeper (for the race in
 * which the receipt and the id were committed at the same moment and neither saw the other). The
 * sweeper's timer is off here, so each path has to do its job alone.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { newId } from "../../../src/core/ids.js";
import { receipts } from "../../../src/db/schema.js";
import { smscIdKey } from "../../../src/db/smsc-id.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  // Receipts sent the moment a submit is accepted, ids in hex.
  p = await startPipeline({
    simulator: { dlrDelayMs: 0, deliveryRetryDelayMs: 200 },
    sweeper: { intervalMs: 3_600_000 },
  });
});
afterAll(async () => {
  await p?.close();
});

describe("held receipts", () => {
  test("one that came before the submit_sm_resp is matched when the result writer stores the id", async () => {
    // The SMSC answers the submit late; its receipt, sent at acceptance, is in before the id.
    p.sim.setFaults({ responseDelayMs: 500 });
    try {
      const accepted = await p.send({ text: "receipt before its id" });
      const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
      expect(done.parts[0]?.status).toBe("delivered");
      const [row] = await p.database.db.select().from(receipts).where(eq(receipts.messageId, accepted.id));
      expect(row?.receivedAt.getTime()).toBeLessThan(new Date(done.parts[0]?.submitted_at ?? 0).getTime());
    } finally {
      p.sim.clearFaults();
    }
  });

  test("one committed beside its id, unseen by it, is matched by a sweep, in the other base too", async () => {
    const accepted = await p.send({ text: "raced", delivery_report: false });
    const sent = await p.waitFor(accepted.id, ["sent"], 20_000);
    const hex = sent.parts[0]?.smsc_message_id ?? "";
    expect(hex).toMatch(/^[0-9a-f]+$/);
    // The receipt as the receipt writer stored it while the result was not committed yet: unmatched.
    const decimal = BigInt(`0x${hex}`).toString(10);
    const id = newId("dlr");
    await p.database.db.insert(receipts).values({
      id,
      upstreamId: p.upstreamId,
      smscMessageId: decimal,
      smscIdKey: smscIdKey(decimal),
      stat: "DELIVRD",
      err: "000",
      state: 2,
    });
    expect((await p.get(accepted.id)).status).toBe("sent");
    expect(await p.receipts.sweep()).toBe(1);
    const done = await p.get(accepted.id);
    expect(done.status).toBe("delivered");
    expect(done.parts[0]).toMatchObject({ status: "delivered", dlr_stat: "DELIVRD" });
    const [row] = await p.database.db.select().from(receipts).where(eq(receipts.id, id));
    expect(row).toMatchObject({ messageId: accepted.id, partIndex: 1 });
    expect(await p.receipts.sweep()).toBe(0);
  });
});
