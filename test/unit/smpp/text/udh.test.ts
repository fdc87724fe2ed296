import { describe, expect, test } from "vitest";
import {
  buildConcatUdh,
  buildUdh,
  decodeUserData,
  extractConcatInfo,
  MalformedUdhError,
  parseUdh,
  splitUserData,
} from "../../../../src/smpp/text/index.js";

// short_message of vector "submit_sm UCS2 with UDH part 1/2 ref 0x2A" (../shared/smpp/vectors.json).
const VECTOR_UCS2_UDH = Buffer.from("0500032A0201041F04400438043204350442", "hex");

describe("building concatenation headers", () => {
  test("8-bit reference: 05 00 03 RR TT SS, as in the vector", () => {
    expect(buildConcatUdh({ ref: 0x2a, total: 2, seq: 1, refBits: 8 })).toEqual(
      VECTOR_UCS2_UDH.subarray(0, 6),
    );
    expect(buildConcatUdh({ ref: 0x12a, total: 3, seq: 3, refBits: 8 }).toString("hex")).toBe("0500032a0303");
  });

  test("16-bit reference: 06 08 04 RRRR TT SS", () => {
    expect(buildConcatUdh({ ref: 0x1234, total: 5, seq: 2, refBits: 16 }).toString("hex")).toBe(
      "06080412340502",
    );
  });

  test("generic elements", () => {
    const udh = buildUdh([
      { iei: 0x05, data: Buffer.from("0b841234", "hex") },
      { iei: 0x00, data: Buffer.from([7, 2, 1]) },
    ]);
    expect(udh.toString("hex")).toBe("0b05040b84123400030702" + "01");
  });
});

describe("parsing", () => {
  test("the vector's header: ref 0x2A, part 1 of 2, body after 6 octets", () => {
    const udh = parseUdh(VECTOR_UCS2_UDH);
    expect(udh.length).toBe(6);
    expect(udh.concat).toEqual({ ref: 0x2a, total: 2, seq: 1, refBits: 8 });
    expect(udh.elements).toEqual([{ iei: 0, data: Buffer.from([0x2a, 2, 1]) }]);
  });

  test("other elements are kept and skipped; ports and 16-bit concat found among them", () => {
    const data = Buffer.from(
      "0F" + "0504" + "0B841234" + "2401" + "03" + "0804" + "BEEF" + "0302" + "4142",
      "hex",
    );
    const udh = parseUdh(data);
    expect(udh.length).toBe(16);
    expect(udh.ports).toEqual({ destination: 0x0b84, source: 0x1234, bits: 16 });
    expect(udh.concat).toEqual({ ref: 0xbeef, total: 3, seq: 2, refBits: 16 });
    expect(udh.elements.map((e) => e.iei)).toEqual([0x05, 0x24, 0x08]);
    expect(data.subarray(udh.length).toString()).toBe("AB");
  });

  test("8-bit ports", () => {
    expect(parseUdh(Buffer.from("0404021020", "hex")).ports).toEqual({
      destination: 0x10,
      source: 0x20,
      bits: 8,
    });
  });

  test("concatenation with total 0 or seq out of range is ignored (23.040)", () => {
    expect(parseUdh(Buffer.from("050003010000", "hex")).concat).toBeNull();
    expect(parseUdh(Buffer.from("050003010203", "hex")).concat).toBeNull();
    expect(parseUdh(Buffer.from("050003010200", "hex")).concat).toBeNull();
  });

  test("lengths past the data are a MalformedUdhError", () => {
    expect(() => parseUdh(Buffer.alloc(0))).toThrow(MalformedUdhError);
    expect(() => parseUdh(Buffer.from("0500030102", "hex"))).toThrow(MalformedUdhError);
    expect(() => parseUdh(Buffer.from("03000501", "hex"))).toThrow(MalformedUdhError);
    expect(() => parseUdh(Buffer.from("0100", "hex"))).toThrow(MalformedUdhError);
  });
});

describe("user data of a PDU", () => {
  test("extractConcatInfo on the vector: UDH stripped, body is 'Привет'", () => {
    const info = extractConcatInfo({ esm_class: 0x40, short_message: VECTOR_UCS2_UDH, data_coding: 8 });
    expect(info).toMatchObject({ ref: 0x2a, total: 2, seq: 1, scheme: "udh8", fillBits: 1 });
    expect(info?.body.toString("hex").toUpperCase()).toBe("041F04400438043204350442");
  });

  test("UDHI is tested with a mask: 0x43 still has a header, 0x04 has none", () => {
    expect(extractConcatInfo({ esm_class: 0x43, short_message: VECTOR_UCS2_UDH, data_coding: 8 })?.seq).toBe(
      1,
    );
    expect(extractConcatInfo({ esm_class: 0x04, short_message: VECTOR_UCS2_UDH, data_coding: 8 })).toBeNull();
  });

  test("SAR TLVs (vector 'submit_sm with sar TLVs': ref 300, 1 of 2, 'part one')", () => {
    const msg = {
      esm_class: 0,
      short_message: Buffer.from("70617274206F6E65", "hex"),
      data_coding: 0,
      tlvs: { sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 1 },
    };
    const info = extractConcatInfo(msg);
    expect(info).toMatchObject({ ref: 300, total: 2, seq: 1, scheme: "sar", fillBits: 0 });
    expect(info?.body.toString()).toBe("part one");
    expect(extractConcatInfo({ ...msg, tlvs: { sar_msg_ref_num: 300, sar_total_segments: 2 } })).toBeNull();
  });

  test("a header without concatenation is a single message with the header stripped", () => {
    const msg = { esm_class: 0x40, short_message: Buffer.from("0404021020" + "4869", "hex"), data_coding: 0 };
    expect(extractConcatInfo(msg)).toBeNull();
    const { udh, text } = decodeUserData(msg);
    expect(text).toBe("Hi");
    expect(udh?.ports?.destination).toBe(0x10);
  });

  test("message_payload is the user data when present (vector 'submit_sm with message_payload TLV')", () => {
    const payload = Buffer.from("A long text carried in message_payload");
    const msg = {
      esm_class: 0,
      short_message: Buffer.alloc(0),
      data_coding: 0,
      tlvs: { message_payload: payload },
    };
    // The vector's octets are ASCII; as unpacked GSM 0x5F would be "§".
    expect(decodeUserData(msg, "ascii").text).toBe("A long text carried in message_payload");
    expect(decodeUserData(msg, "gsm7").text).toBe("A long text carried in message§payload");
    expect(splitUserData(msg).body).toEqual(payload);
  });
});
