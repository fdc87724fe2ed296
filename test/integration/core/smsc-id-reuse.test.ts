/**
 * SMSC ids are not unique for ever: counters wrap, and some SMSCs restart them. A receipt naming an id
 * that an old part also had belongs to the newest part with that id, not to whichever the index
 * returned last.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { messageParts } from "../../../src/db/schema.js";
import { smscIdKey } from "../../../src/db/smsc-id.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";
import { receiptPdu as receipt } from "./receipt-pdu.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.close();
});

describe("an SMSC id used again", () => {
  test("a receipt goes to the newest part with that id, whatever order the rows are stored in", async () => {
    const older = await p.send({ text: "long ago", delivery_report: false });
    await p.waitFor(older.id, ["sent"], 20_000);
    const newer = await p.send({ text: "today", delivery_report: false });
    const sent = await p.waitFor(newer.id, ["sent"], 20_000);
    const id = sent.parts[0]?.smsc_message_id ?? "";
    // The older part had the same id (the SMSC's counter came round); written last, its row version is
    // the newest in the table, as after any later update of it.
    await p.database.db
      .update(messageParts)
      .set({ smscMessageId: id, smscIdKey: smscIdKey(id), submittedAt: new Date(Date.now() - 86_400_000) })
      .where(and(eq(messageParts.messageId, older.id), eq(messageParts.index, 1)));
    const status = await p.receipts.handle(p.upstreamId, receipt(id, "DELIVRD"), "test");
    expect(status).toBe(CommandStatus.ESME_ROK);
    expect((await p.get(newer.id)).status).toBe("delivered");
    expect((await p.get(older.id)).status).toBe("sent");
  });
});
