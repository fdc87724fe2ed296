/** decodeInbound and joinSegments: hand-written octets (not our encoder), every data_coding we store. */
import { describe, expect, test } from "vitest";
import { decodeInbound } from "../../../../src/core/inbound/decode.js";
import { joinSegments } from "../../../../src/core/inbound/join.js";
import { storableText } from "../../../../src/db/storable-text.js";
import { decodePdu } from "../../../../src/smpp/codec.js";
import { CommandId } from "../../../../src/smpp/commands.js";
import type { InboundPdu } from "../../../../src/smpp/net/types.js";
import { deliverSm } from "../../../helpers/deliver-sm.js";
import { frame, shortMessageBody, tlv, u8 } from "../../smpp/pdu-builder.js";

function deliver(
  shortMessage: number[] | Buffer,
  fields: { dataCoding?: number; esmClass?: number; tlvs?: Record<string, unknown> } = {},
): InboundPdu {
  const base = deliverSm({
    source_addr: "447700900456",
    destination_addr: "447700900123",
    esm_class: fields.esmClass ?? 0,
    data_coding: fields.dataCoding ?? 0,
    short_message: Buffer.from(shortMessage),
  });
  return (fields.tlvs ? { ...base, tlvs: fields.tlvs } : base) as InboundPdu;
}

describe("decodeInbound: single SMS", () => {
  test("GSM 03.38 unpacked, with an extension character and a basic-table special", () => {
    // "€1 @home": € is ESC 0x65, @ is 0x00.
    const d = decodeInbound(deliver([0x1b, 0x65, 0x31, 0x20, 0x00, 0x68, 0x6f, 0x6d, 0x65]), "gsm7");
    expect(d).toMatchObject({ kind: "single", text: "€1 @home", encoding: "gsm7", dataCoding: 0 });
    expect(d).toMatchObject({ from: "+447700900456", to: "+447700900123" });
  });

  test("DCS 0 read as the upstream says: Latin-1, or packed septets", () => {
    expect(decodeInbound(deliver([0x63, 0x61, 0x66, 0xe9]), "latin1")).toMatchObject({
      text: "café",
      encoding: "latin1",
    });
    // "hi" packed: h=0x68, i=0x69 → 0xE8 0x34.
    expect(decodeInbound(deliver([0xe8, 0x34]), "gsm7-packed")).toMatchObject({
      text: "hi",
      encoding: "gsm7",
    });
  });

  test("Latin-1 (DCS 3) and IA5 (DCS 1) are stored as latin1", () => {
    expect(decodeInbound(deliver([0x63, 0x61, 0x66, 0xe9], { dataCoding: 3 }), "gsm7")).toMatchObject({
      text: "café",
      encoding: "latin1",
    });
    expect(decodeInbound(deliver([0x6f, 0x6b], { dataCoding: 1 }), "gsm7")).toMatchObject({
      text: "ok",
      encoding: "latin1",
    });
  });

  test("UCS-2 with a surrogate pair (emoji), also in the 23.038 class group (0x18)", () => {
    const bytes = [0x00, 0x48, 0x00, 0x69, 0xd8, 0x3d, 0xde, 0x00];
    expect(decodeInbound(deliver(bytes, { dataCoding: 8 }), "gsm7")).toMatchObject({
      text: "Hi😀",
      encoding: "ucs2",
    });
    expect(decodeInbound(deliver(bytes, { dataCoding: 0x18 }), "gsm7")).toMatchObject({ text: "Hi😀" });
  });

  test("binary (DCS 4, 0xF6) kept as upper-case hex", () => {
    expect(decodeInbound(deliver([0x00, 0xff, 0x10], { dataCoding: 4 }), "gsm7")).toMatchObject({
      text: "00FF10",
      encoding: "binary",
    });
    expect(decodeInbound(deliver([0xca, 0xfe], { dataCoding: 0xf6 }), "gsm7")).toMatchObject({
      text: "CAFE",
      encoding: "binary",
    });
  });

  test("a national charset (Cyrillic, DCS 6) is kept as hex rather than mislabelled", () => {
    expect(decodeInbound(deliver([0xbf, 0xe0], { dataCoding: 6 }), "gsm7")).toMatchObject({
      text: "BFE0",
      encoding: "binary",
    });
  });

  test("a UDH without concatenation (ports) is stripped; a 1-of-1 segment is a single SMS", () => {
    const ports = [0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x68, 0x69];
    expect(decodeInbound(deliver(ports, { esmClass: 0x40 }), "gsm7")).toMatchObject({
      kind: "single",
      text: "hi",
    });
    const oneOfOne = [0x05, 0x00, 0x03, 0x2a, 0x01, 0x01, 0x68, 0x69];
    expect(decodeInbound(deliver(oneOfOne, { esmClass: 0x40 }), "gsm7")).toMatchObject({
      kind: "single",
      text: "hi",
    });
  });

  test("a header that does not parse keeps every octet as hex", () => {
    expect(decodeInbound(deliver([0x09, 0x00, 0x03], { esmClass: 0x40 }), "gsm7")).toMatchObject({
      kind: "single",
      text: "090003",
      encoding: "binary",
    });
  });

  test("message_payload carries the text (deliver_sm and data_sm)", () => {
    const payload = Buffer.from([0x68, 0x65, 0x79]);
    expect(decodeInbound(deliver([], { tlvs: { message_payload: payload } }), "gsm7")).toMatchObject({
      text: "hey",
    });
    const data: InboundPdu = {
      command: "data_sm",
      command_status: 0,
      sequence_number: 2,
      service_type: "",
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: "ACME",
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: "+447700900123",
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 0,
      tlvs: { message_payload: payload },
    } as InboundPdu;
    expect(decodeInbound(data, "gsm7")).toMatchObject({ from: "ACME", to: "+447700900123", text: "hey" });
  });

  test("NUL padding is dropped and an inner NUL made visible (PostgreSQL text holds no U+0000)", () => {
    expect(decodeInbound(deliver([0x00, 0x61, 0x00, 0x00], { dataCoding: 8 }), "gsm7")).toMatchObject({
      text: "a",
    });
    expect(storableText("a\u0000b\u0000")).toBe("a\uFFFDb");
  });
});

describe("decodeInbound: segments", () => {
  test("8-bit and 16-bit UDH references", () => {
    const udh8 = [0x05, 0x00, 0x03, 0xa7, 0x03, 0x02, 0x61, 0x62];
    expect(decodeInbound(deliver(udh8, { esmClass: 0x40 }), "gsm7")).toMatchObject({
      kind: "part",
      ref: 0xa7,
      total: 3,
      seq: 2,
      data: Buffer.from([0x61, 0x62]),
    });
    const udh16 = [0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x63];
    expect(decodeInbound(deliver(udh16, { esmClass: 0x40 }), "gsm7")).toMatchObject({
      kind: "part",
      ref: 0x1234,
      total: 2,
      seq: 1,
      data: Buffer.from([0x63]),
    });
  });

  test("SAR TLVs", () => {
    const pdu = deliver([0x78], {
      tlvs: { sar_msg_ref_num: 513, sar_total_segments: 2, sar_segment_seqnum: 2 },
    });
    expect(decodeInbound(pdu, "gsm7")).toMatchObject({ kind: "part", ref: 513, total: 2, seq: 2 });
  });

  test.each([
    ["sar_msg_ref_num of 1 octet", tlv(0x020c, u8(0x2c)), tlv(0x020e, u8(2)), tlv(0x020f, u8(1))],
    ["sar_total_segments of 2 octets", tlv(0x020c, u8(1, 2)), tlv(0x020e, u8(0, 2)), tlv(0x020f, u8(1))],
    ["sar_segment_seqnum of none", tlv(0x020c, u8(1, 2)), tlv(0x020e, u8(2)), tlv(0x020f, Buffer.alloc(0))],
  ])("SAR TLVs with %s (kept raw by the codec): stored as a whole SMS, not refused", (_name, ...sar) => {
    // Decoded from the octets, as the session gets it: the malformed SAR TLV has no typed value.
    const bytes = frame(
      CommandId.deliver_sm,
      0,
      1,
      shortMessageBody({ source: "447700900456", message: Buffer.from("part one") }),
      ...sar,
    );
    const pdu = decodePdu(bytes) as InboundPdu;
    expect(decodeInbound(pdu, "gsm7")).toMatchObject({ kind: "single", text: "part one" });
  });

  test("packed GSM segments are stored unpacked (the fill bits after the header are applied now)", () => {
    // UDH of 6 octets → 1 fill bit; "hi" packed after one fill bit: 0xD0 0x69.
    const packed = [0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0xd0, 0x69];
    expect(decodeInbound(deliver(packed, { esmClass: 0x40 }), "gsm7-packed")).toMatchObject({
      data: Buffer.from([0x68, 0x69]),
    });
  });
});

describe("joinSegments", () => {
  const seg = (seq: number, bytes: number[], dataCoding = 0) => ({
    seq,
    data: Buffer.from(bytes),
    dataCoding,
  });

  test("any order, repeats ignored, octets joined before decoding (a split surrogate pair survives)", () => {
    const joined = joinSegments(
      [seg(2, [0xde, 0x00, 0x00, 0x21], 8), seg(1, [0x00, 0x48, 0xd8, 0x3d], 8), seg(2, [0x00, 0x3f], 8)],
      2,
      "gsm7",
    );
    expect(joined).toEqual({ text: "H😀!", encoding: "ucs2", segments: 2, dataCoding: 8 });
  });

  test("an escape split across segments stays one character", () => {
    expect(joinSegments([seg(1, [0x61, 0x1b]), seg(2, [0x65, 0x62])], 2, "gsm7")?.text).toBe("a€b");
  });

  test("a set with gaps joins what arrived", () => {
    expect(joinSegments([seg(3, [0x63]), seg(1, [0x61])], 4, "gsm7")).toEqual({
      text: "ac",
      encoding: "gsm7",
      segments: 2,
      dataCoding: 0,
    });
    expect(joinSegments([seg(5, [0x63])], 4, "gsm7")).toBeNull();
  });

  test("stored (unpacked) segments of a packed upstream read as unpacked", () => {
    expect(joinSegments([seg(1, [0x68]), seg(2, [0x69])], 2, "gsm7-packed")?.text).toBe("hi");
  });
});
