/**
 * A receipt whose receipt TLVs are malformed (a 2-octet message_state, a receipted_message_id over its
 * maximum) still counts, over real TCP from the simulator: the deliver_sm is acknowledged with ESME_ROK
 * (an ESME_RINVPARLEN answer makes many SMSCs drop the receipt for good) and the text body decides.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PduOf } from "../../../src/smpp/pdu.js";
import { TlvTag } from "../../../src/smpp/tlv.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";
import { receiptPdu } from "./receipt-pdu.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.close();
});

/** A sent message (no receipt of the simulator's own) and its SMSC id. */
async function sentMessage(text: string): Promise<{ id: string; smscId: string }> {
  const message = await p.send({ text, delivery_report: false });
  const sent = await p.waitFor(message.id, ["sent"], 20_000);
  const smscId = sent.parts[0]?.smsc_message_id;
  if (smscId == null) throw new Error("no SMSC id");
  return { id: message.id, smscId };
}

async function injectAndWaitForAnswer(receipt: PduOf<"deliver_sm">): Promise<void> {
  const before = p.sim.stats();
  p.sim.injectDeliverSm([receipt]);
  await until(() => {
    const now = p.sim.stats();
    return now.moAcked + now.moFailed + now.retrying > before.moAcked + before.moFailed + before.retrying;
  }, "the deliver_sm_resp");
  // deliver_sm_resp command_status 0: the simulator counts it acked, not failed or held for a retry.
  expect(p.sim.stats().moAcked - before.moAcked).toBe(1);
  expect(p.sim.stats().moFailed).toBe(before.moFailed);
}

describe("a receipt with a malformed receipt TLV", () => {
  test("a 2-octet message_state: answered ESME_ROK, the text's DELIVRD wins", async () => {
    const { id, smscId } = await sentMessage("state of two octets");
    const receipt = receiptPdu(smscId, "DELIVRD") as PduOf<"deliver_sm">;
    // 0x0505 read either way would say UNDELIV.
    await injectAndWaitForAnswer({
      ...receipt,
      tlvs: { unknown: [{ tag: TlvTag.message_state, value: Buffer.from([5, 5]) }] },
    });
    expect((await p.waitFor(id, ["delivered", "undelivered"], 20_000)).status).toBe("delivered");
  }, 60_000);

  test("a receipted_message_id over 65 octets: answered ESME_ROK, matched by the text's id", async () => {
    const { id, smscId } = await sentMessage("id too long");
    const receipt = receiptPdu(smscId, "DELIVRD") as PduOf<"deliver_sm">;
    const tooLong = Buffer.from(`${"0".repeat(70)}\0`, "latin1");
    await injectAndWaitForAnswer({
      ...receipt,
      tlvs: { unknown: [{ tag: TlvTag.receipted_message_id, value: tooLong }] },
    });
    expect((await p.waitFor(id, ["delivered", "undelivered"], 20_000)).status).toBe("delivered");
  }, 60_000);
});
