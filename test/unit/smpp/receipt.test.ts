import { describe, expect, test } from "vitest";
import {
  isReceipt,
  messageIdCandidates,
  normalizeStat,
  parseReceipt,
  parseReceiptDate,
  parseReceiptText,
} from "../../../src/smpp/receipt.js";
import { encodeUcs2 } from "../../../src/smpp/text/index.js";

// short_message of vector "deliver_sm delivery receipt with TLVs" (../shared/smpp/vectors.json).
const VECTOR_DLR = Buffer.from(
  "69643A3546324139433031207375623A30303120646C7672643A303031207375626D697420646174653A323631313236303130352" +
    "0646F6E6520646174653A3236313132363031303620737461743A44454C49565244206572723A30303020746578743A48656C6C6F" +
    "20776F726C64",
  "hex",
);
// Receipt text of the npm-smpp simulator in ../shared/bench/kannel-compare/README.md.
const KANNEL_SIM =
  "id:6b07845800000001 sub:001 dlvrd:001 submit date:2611260059 done date:2611260059 stat:DELIVRD err:000 text:Hello world from tes";

const dlr = (text: string | Buffer, tlvs = {}, esm_class = 0x04) => ({
  esm_class,
  short_message: typeof text === "string" ? Buffer.from(text, "latin1") : text,
  data_coding: 0,
  tlvs,
});

describe("isReceipt", () => {
  test("esm_class message type 0x04, 0x08 or 0x20 under the 0x3C mask", () => {
    expect(isReceipt({ esm_class: 0x04 })).toBe(true);
    expect(isReceipt({ esm_class: 0x44 })).toBe(true); // UDHI set too
    expect(isReceipt({ esm_class: 0x07 })).toBe(true); // messaging-mode bits set too
    expect(isReceipt({ esm_class: 0x08 })).toBe(true);
    expect(isReceipt({ esm_class: 0x20 })).toBe(true);
    expect(isReceipt({ esm_class: 0x00 })).toBe(false);
    expect(isReceipt({ esm_class: 0x40 })).toBe(false);
    expect(isReceipt({ esm_class: 0x18 })).toBe(false); // conversation abort
    expect(isReceipt({ esm_class: 0x10 })).toBe(false);
  });

  test("a receipted_message_id TLV makes any deliver_sm a receipt", () => {
    expect(isReceipt({ esm_class: 0, tlvs: { receipted_message_id: "abc" } })).toBe(true);
    expect(isReceipt({ esm_class: 0, tlvs: {} })).toBe(false);
  });
});

describe("parseReceipt", () => {
  test("the vector: TLVs and text agree", () => {
    const r = parseReceipt(dlr(VECTOR_DLR, { receipted_message_id: "5F2A9C01", message_state: 2 }));
    expect(r).toEqual({
      messageId: "5F2A9C01",
      textMessageId: "5F2A9C01",
      stat: "DELIVRD",
      rawStat: "DELIVRD",
      state: 2,
      final: true,
      intermediate: false,
      err: "000",
      sub: 1,
      dlvrd: 1,
      submitDate: new Date("2026-11-26T01:05:00Z"),
      doneDate: new Date("2026-11-26T01:06:00Z"),
      text: "Hello world",
      networkError: null,
    });
  });

  test("the Kannel-compare simulator's receipt, text only", () => {
    const r = parseReceipt(dlr(KANNEL_SIM));
    expect(r).toMatchObject({
      messageId: "6b07845800000001",
      stat: "DELIVRD",
      state: 2,
      final: true,
      err: "000",
      submitDate: new Date("2026-11-26T00:59:00Z"),
      text: "Hello world from tes",
    });
  });

  test("TLVs win over the text", () => {
    const r = parseReceipt(
      dlr("id:1596627969 stat:DELIVRD err:000", {
        receipted_message_id: "5F2A9C01",
        message_state: 5,
        network_error_code: { network_type: 3, error_code: 0x0022 },
      }),
    );
    expect(r).toMatchObject({
      messageId: "5F2A9C01",
      textMessageId: "1596627969",
      stat: "UNDELIV",
      rawStat: "DELIVRD",
      state: 5,
      final: true,
      networkError: { networkType: 3, errorCode: 0x22 },
    });
  });

  test("TLV only: no text at all", () => {
    const r = parseReceipt(dlr("", { receipted_message_id: "abc", message_state: 3 }));
    expect(r).toMatchObject({
      messageId: "abc",
      stat: "EXPIRED",
      state: 3,
      final: true,
      err: null,
      text: null,
    });
    expect(r.submitDate).toBeNull();
  });

  test("labels in any case, extra spaces, 12- and 14-digit dates", () => {
    const r = parseReceipt(
      dlr(
        "ID:  0a1B   SUB:001 DLVRD:000 Submit Date:  261126010509  DONE DATE:20261126010607 STAT: undeliv ERR:  1234  Text:  hi  there",
      ),
    );
    expect(r).toMatchObject({
      messageId: "0a1B",
      sub: 1,
      dlvrd: 0,
      submitDate: new Date("2026-11-26T01:05:09Z"),
      doneDate: new Date("2026-11-26T01:06:07Z"),
      stat: "UNDELIV",
      rawStat: "undeliv",
      state: 5,
      err: "1234",
      text: "hi  there",
    });
  });

  test("reordered and missing fields", () => {
    const r = parseReceipt(dlr("stat:REJECTD id:77 err:0B done date:2611260106"));
    expect(r).toMatchObject({
      messageId: "77",
      stat: "REJECTD",
      err: "0B",
      sub: null,
      dlvrd: null,
      text: null,
    });
    expect(r.doneDate).toEqual(new Date("2026-11-26T01:06:00Z"));
    expect(r.submitDate).toBeNull();
  });

  test("a label repeated inside text stays text; a first-seen label still ends it", () => {
    const r = parseReceipt(dlr("id:42 stat:DELIVRD text:your id: is 7 err:000"));
    expect(r.messageId).toBe("42");
    expect(r.text).toBe("your id: is 7");
    expect(r.err).toBe("000");
    expect(parseReceiptText("id:1 text:a id:2")).toEqual({ id: "1", text: "a id:2" });
  });

  test("submit_date with underscore and the text in UCS2 or message_payload", () => {
    const ucs2 = {
      esm_class: 4,
      short_message: encodeUcs2("id:9 submit_date:2611260105 stat:EXPIRED"),
      data_coding: 8,
    };
    expect(parseReceipt(ucs2)).toMatchObject({ messageId: "9", stat: "EXPIRED", final: true });
    expect(parseReceipt(ucs2).submitDate).toEqual(new Date("2026-11-26T01:05:00Z"));
    const payload = {
      esm_class: 4,
      short_message: Buffer.alloc(0),
      data_coding: 0,
      tlvs: { message_payload: Buffer.from("id:5 stat:DELIVRD") },
    };
    expect(parseReceipt(payload)).toMatchObject({ messageId: "5", stat: "DELIVRD" });
  });

  test("intermediate notifications are never final; ENROUTE and ACCEPTD are not final", () => {
    expect(parseReceipt(dlr("id:1 stat:DELIVRD", {}, 0x20))).toMatchObject({
      intermediate: true,
      final: false,
    });
    expect(parseReceipt(dlr("id:1 stat:ENROUTE"))).toMatchObject({ stat: "ENROUTE", state: 1, final: false });
    expect(parseReceipt(dlr("id:1 stat:ACCEPTD"))).toMatchObject({ stat: "ACCEPTD", state: 6, final: false });
    expect(parseReceipt(dlr("id:1 stat:UNKNOWN"))).toMatchObject({ stat: "UNKNOWN", state: 7, final: true });
  });

  test("every final state is final, from the text or from message_state", () => {
    const finals = [
      ["DELIVRD", 2],
      ["EXPIRED", 3],
      ["DELETED", 4],
      ["UNDELIV", 5],
      ["UNKNOWN", 7],
      ["REJECTD", 8],
      ["SKIPPED", 9],
    ] as const;
    for (const [stat, state] of finals) {
      expect(parseReceipt(dlr(`id:1 stat:${stat}`))).toMatchObject({ stat, state, final: true });
      expect(parseReceipt(dlr("id:1", { message_state: state }))).toMatchObject({ stat, state, final: true });
    }
  });

  test("no status anywhere: stat and state null, not final", () => {
    expect(parseReceipt(dlr("id:1 err:000"))).toMatchObject({ stat: null, state: null, final: false });
    expect(parseReceipt(dlr("garbage"))).toMatchObject({ messageId: null, stat: null, final: false });
  });

  test("a malformed UDH does not throw", () => {
    expect(parseReceipt(dlr(Buffer.from([0x09, 0x00]), {}, 0x44)).messageId).toBeNull();
  });
});

describe("normalizeStat", () => {
  test.each([
    ["DELIVRD", "DELIVRD"],
    ["delivered", "DELIVRD"],
    ["Delivered", "DELIVRD"],
    ["DELIVRD_OK", "DELIVRD"],
    ["UNDELIV", "UNDELIV"],
    ["undeliverable", "UNDELIV"],
    ["FAILED", "UNDELIV"],
    ["EXPIRED", "EXPIRED"],
    ["DELETED", "DELETED"],
    ["REJECTED", "REJECTD"],
    ["REJECTD", "REJECTD"],
    ["ACCEPTED", "ACCEPTD"],
    ["EN_ROUTE", "ENROUTE"],
    ["enroute", "ENROUTE"],
    ["UNKNOWN", "UNKNOWN"],
    ["2", "DELIVRD"],
    ["8", "REJECTD"],
    ["WHATEVER", "UNKNOWN"],
  ])("%s → %s", (word, stat) => {
    expect(normalizeStat(word)).toBe(stat);
  });
});

describe("parseReceiptDate", () => {
  test("10, 12 and 14 digits; anything else or an impossible date is null", () => {
    expect(parseReceiptDate("2611260105")).toEqual(new Date("2026-11-26T01:05:00Z"));
    expect(parseReceiptDate("261126010509")).toEqual(new Date("2026-11-26T01:05:09Z"));
    expect(parseReceiptDate("20261126010509")).toEqual(new Date("2026-11-26T01:05:09Z"));
    expect(parseReceiptDate("261126")).toBeNull();
    expect(parseReceiptDate("2613260105")).toBeNull();
    expect(parseReceiptDate("2602300105")).toBeNull();
    expect(parseReceiptDate("26112601x5")).toBeNull();
    expect(parseReceiptDate(undefined)).toBeNull();
  });
});

describe("messageIdCandidates", () => {
  const shares = (a: string, b: string) =>
    messageIdCandidates(a).some((k) => messageIdCandidates(b).includes(k));

  test("the hex id of the vectors and its decimal form share a candidate", () => {
    // 0x5F2A9C01 = 1596627969 (the submit_sm_resp and receipt vectors carry the hex form).
    expect(BigInt("0x5F2A9C01").toString()).toBe("1596627969");
    expect(shares("5F2A9C01", "1596627969")).toBe(true);
    expect(shares("5f2a9c01", "1596627969")).toBe(true);
    expect(shares("5F2A9C01", "1596628993")).toBe(false);
  });

  test("zero padding and case do not matter", () => {
    expect(shares("0000001234", "1234")).toBe(true);
    expect(shares("00ABCDEF", "abcdef")).toBe(true);
    expect(shares("0x5F2A9C01", "01596627969")).toBe(true);
    expect(messageIdCandidates(" 00ABCDEF ")).toEqual(["abcdef"]);
  });

  test("values, not spellings: decimal 18 is hex 12; decimal 12 and hex c", () => {
    expect(messageIdCandidates("18")).toEqual(["12", "18"]);
    expect(shares("18", "12")).toBe(true); // one of them may be decimal 18 = 0x12
    expect(messageIdCandidates("12", "decimal")).toEqual(["c"]);
    expect(messageIdCandidates("c", "hex")).toEqual(["c"]);
    expect(messageIdCandidates("18", "hex")).toEqual(["18"]);
    expect(
      messageIdCandidates("18", "decimal").some((k) => messageIdCandidates("12", "hex").includes(k)),
    ).toBe(true);
    expect(
      messageIdCandidates("18", "decimal").some((k) => messageIdCandidates("18", "hex").includes(k)),
    ).toBe(false);
  });

  test("non-numeric ids are themselves, lower-cased; empty gives none; long ids are not converted", () => {
    expect(messageIdCandidates("Msg-42-XYZ")).toEqual(["msg-42-xyz"]);
    expect(messageIdCandidates("5f2a9c01", "decimal")).toEqual(["5f2a9c01"]);
    expect(messageIdCandidates("")).toEqual([]);
    const long = "1".repeat(65);
    expect(messageIdCandidates(long)).toEqual([long]);
    const big = "9".repeat(40);
    expect(messageIdCandidates(big)).toContain(BigInt(big).toString(16));
  });

  test("the Kannel-compare simulator's 16-hex-digit id", () => {
    expect(messageIdCandidates("6b07845800000001")).toEqual(["6b07845800000001"]);
    expect(shares("6b07845800000001", BigInt("0x6b07845800000001").toString())).toBe(true);
  });
});
