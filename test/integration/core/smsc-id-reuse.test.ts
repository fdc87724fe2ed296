/**
 * SMSC ids are not unique for ever: counters wrap, and some SMSCs restart them. A receipt naming an id
 * that an old part also had belongs to the newest part with that id, not to whichever the index
 * returned last.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { messageParts } from "../../../src/db/schema.js";
import { smscIdKey } from "../../../src/db/smsc-id.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.close();
});

function receipt(id: string, stat: string): InboundPdu {
  const text = `id:${id} sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:${stat} err:000 text:`;
  return {
    command: "deliver_sm",
    command_status: 0,
    sequence_number: 1,
    service_type: "",
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: "447700900123",
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: "ACME",
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, "latin1"),
  };
}

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
