import { describe, expect, test } from "vitest";
import {
  buildReceipt,
  ESM_CLASS_RECEIPT,
  type ReceiptInput,
  receiptDate,
  receiptSnippet,
  receiptText,
} from "../../../src/simulator/receipts.js";
import { parseReceipt } from "../../../src/smpp/receipt.js";
import { encodeUcs2 } from "../../../src/smpp/text/ucs2.js";

const submittedAt = Date.UTC(2026, 0, 31, 13, 5, 9);
const doneAt = Date.UTC(2026, 0, 31, 13, 7, 59);

function input(fields: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    messageId: "1a2b3c",
    outcome: "DELIVRD",
    submittedAt,
    snippet: "hello world",
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: "ACME",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: "447700900123",
    ...fields,
  };
}

describe("receipt text", () => {
  test("follows Appendix B with YYMMDDhhmm UTC dates", () => {
    expect(receiptText(input(), doneAt)).toBe(
      "id:1a2b3c sub:001 dlvrd:001 submit date:2601311305 done date:2601311307 stat:DELIVRD err:000 text:hello world",
    );
  });

  test("failures say dlvrd:000 and carry the error", () => {
    expect(receiptText(input({ outcome: "UNDELIV" }), doneAt)).toContain("dlvrd:000");
    expect(receiptText(input({ outcome: "UNDELIV" }), doneAt)).toContain("stat:UNDELIV err:001");
    expect(receiptText(input({ outcome: "EXPIRED" }), doneAt)).toContain("stat:EXPIRED err:027");
  });

  test("receiptDate of consecutive minutes", () => {
    expect(receiptDate(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe("2612312359");
    expect(receiptDate(Date.UTC(2027, 0, 1, 0, 0, 1))).toBe("2701010000");
  });
});

describe("buildReceipt", () => {
  test("swaps the addresses, marks esm_class 0x04, and an independent parser reads it back", () => {
    const pdu = buildReceipt(input(), doneAt);
    expect(pdu.command).toBe("deliver_sm");
    expect(pdu.esm_class & 0x3c).toBe(ESM_CLASS_RECEIPT);
    expect([pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi]).toEqual(["447700900123", 1, 1]);
    expect([pdu.destination_addr, pdu.dest_addr_ton, pdu.dest_addr_npi]).toEqual(["ACME", 5, 0]);
    expect(pdu.tlvs).toEqual({ receipted_message_id: "1a2b3c", message_state: 2 });
    const parsed = parseReceipt(pdu);
    expect(parsed).toMatchObject({
      messageId: "1a2b3c",
      textMessageId: "1a2b3c",
      stat: "DELIVRD",
      final: true,
      err: "000",
      sub: 1,
      dlvrd: 1,
      text: "hello world",
      networkError: null,
    });
    expect(parsed.submitDate?.toISOString()).toBe("2026-01-31T13:05:00.000Z");
    expect(parsed.doneDate?.toISOString()).toBe("2026-01-31T13:07:00.000Z");
  });

  test("a failure carries network_error_code", () => {
    const pdu = buildReceipt(input({ outcome: "REJECTD" }), doneAt);
    expect(pdu.tlvs?.message_state).toBe(8);
    expect(pdu.tlvs?.network_error_code).toEqual({ network_type: 3, error_code: 11 });
    expect(parseReceipt(pdu)).toMatchObject({
      stat: "REJECTD",
      networkError: { networkType: 3, errorCode: 11 },
    });
  });

  test("GSM characters that differ from ASCII are encoded as GSM", () => {
    const pdu = buildReceipt(input({ snippet: "price: £5 @ home_" }), doneAt);
    expect(parseReceipt(pdu).text).toBe("price: £5 @ home_");
  });
});

describe("receiptSnippet", () => {
  test("the first 20 characters of GSM text", () => {
    expect(receiptSnippet(Buffer.from("Your code is 123456. It expires soon"), 0)).toBe(
      "Your code is 123456.",
    );
  });

  test("GSM octets that differ from ASCII are decoded", () => {
    // 0x00 is @ and 0x01 is £ in GSM 03.38
    expect(receiptSnippet(Buffer.from([0x00, 0x20, 0x01]), 0)).toBe("@ £");
  });

  test("UCS-2 text, with what GSM cannot carry replaced by ?", () => {
    expect(receiptSnippet(encodeUcs2("Привет, hi"), 8)).toBe("??????, hi");
  });
});
