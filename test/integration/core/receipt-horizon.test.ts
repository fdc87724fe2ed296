/**
 * A receipt matches only a part sent within the match horizon before it came (receipts/horizon.ts):
 * SMSCs hand ids out again and send receipts for other ESMEs' messages, and a message that never got
 * its final receipt must not take one months later. Neither on arrival nor by the unmatched sweeper;
 * parts stored before `sent_at` existed are judged by `submitted_at`.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { receipts } from "../../../src/db/schema.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";
import { receiptPdu } from "./receipt-pdu.js";

const DAY = 86_400_000;

let p: Pipeline;
beforeAll(async () => {
  // The sweeper's timer is off: each test runs it when it wants to.
  p = await startPipeline({ sweeper: { intervalMs: 3_600_000 } });
});
afterAll(async () => {
  await p?.close();
});

/**
 * Sends `text` (no receipt from the simulator), then dates its part back: `sent_at` to `sentAgo` (null:
 * a row stored before the column existed) and `submitted_at` to `submittedAgo`. Returns the message id
 * and the part's SMSC id.
 */
async function sentLongAgo(text: string, sentAgo: number | null, submittedAgo: number) {
  const accepted = await p.send({ text, delivery_report: false });
  const sent = await p.waitFor(accepted.id, ["sent"], 20_000);
  const ago = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000}::float8)`;
  await p.database.db.execute(
    sql`UPDATE message_parts SET sent_at = ${sentAgo === null ? null : ago(sentAgo)},
                                 submitted_at = ${ago(submittedAgo)}
        WHERE message_id = ${sent.id}`,
  );
  return { id: sent.id, smscId: sent.parts[0]?.smsc_message_id ?? "" };
}

/** Delivers a DELIVRD receipt for `smscId`, then runs the unmatched sweeper; returns the receipt row. */
async function receive(smscId: string) {
  expect(await p.receipts.handle(p.upstreamId, receiptPdu(smscId, "DELIVRD"), "test")).toBe(
    CommandStatus.ESME_ROK,
  );
  await p.receipts.sweep();
  const rows = await p.database.db
    .select()
    .from(receipts)
    .where(and(eq(receipts.upstreamId, p.upstreamId), eq(receipts.smscMessageId, smscId)));
  expect(rows).toHaveLength(1);
  return rows[0];
}

describe("the match horizon", () => {
  test("a receipt for an id whose only part was sent 30 days ago waits unmatched; the message stays sent", async () => {
    const { id, smscId } = await sentLongAgo("a month ago", 30 * DAY, 30 * DAY);
    const receipt = await receive(smscId);
    expect(receipt?.messageId).toBeNull();
    // Kept raw like any receipt we could not place, and so deleted by the unmatched retention.
    expect(receipt?.rawHex).not.toBeNull();
    expect((await p.get(id)).status).toBe("sent");
  });

  test("one whose part was sent a day ago matches on arrival", async () => {
    const { id, smscId } = await sentLongAgo("yesterday", DAY, DAY);
    expect((await receive(smscId))?.messageId).toBe(id);
    expect((await p.get(id)).status).toBe("delivered");
  });

  test("a part without sent_at is judged by submitted_at: 30 days ago it is not matched", async () => {
    const { id, smscId } = await sentLongAgo("old row, a month ago", null, 30 * DAY);
    expect((await receive(smscId))?.messageId).toBeNull();
    expect((await p.get(id)).status).toBe("sent");
  });

  test("a part without sent_at is judged by submitted_at: a day ago it is matched", async () => {
    const { id, smscId } = await sentLongAgo("old row, yesterday", null, DAY);
    expect((await receive(smscId))?.messageId).toBe(id);
    expect((await p.get(id)).status).toBe("delivered");
  });
});
