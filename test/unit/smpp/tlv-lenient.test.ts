/**
 * A known TLV whose length does not fit its type: kept raw (like an unknown tag) on the decode path so
 * that one sloppy optional parameter cannot cost us a receipt or an inbound SMS; refused with
 * ESME_RINVPARLEN only in strict mode (the simulator's). Frames are hand-built, not from our encoder.
 */
import { describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { CommandId } from "../../../src/smpp/commands.js";
import { SmppDecodeError, SmppEncodeError } from "../../../src/smpp/errors.js";
import type { Pdu } from "../../../src/smpp/pdu.js";
import { parseReceipt } from "../../../src/smpp/receipt.js";
import { CommandStatus as S } from "../../../src/smpp/status.js";
import type { MalformedTlv } from "../../../src/smpp/tlv.js";
import { cstr, frame, shortMessageBody, tlv, u8 } from "./pdu-builder.js";

const DELIVER = CommandId.deliver_sm;
const TEXT =
  "id:5F2A9C01 sub:001 dlvrd:001 submit date:2611260105 done date:2611260106 stat:DELIVRD err:000 text:";
const body = shortMessageBody({
  source: "447700900123",
  destination: "ACME",
  esmClass: 0x04,
  message: Buffer.from(TEXT, "latin1"),
});
/** Well-formed TLVs around the bad one, to show that they still decode. */
const before = tlv(0x0204, u8(0x12, 0x34)); // user_message_reference
const after = tlv(0x020a, u8(0x0b, 0x84)); // source_port

function deliverWith(bad: Buffer): Buffer {
  return frame(DELIVER, 0, 7, body, before, bad, after);
}

function decodeError(bytes: Buffer): SmppDecodeError {
  try {
    decodePdu(bytes, { strictTlvs: true });
  } catch (e) {
    if (e instanceof SmppDecodeError) return e;
    throw e;
  }
  throw new Error("decoded without error");
}

const CASES: Array<[string, number, Buffer]> = [
  ["message_state with 2 octets (u8)", 0x0427, u8(0x05, 0x05)],
  ["message_state with none (u8)", 0x0427, Buffer.alloc(0)],
  ["sar_msg_ref_num with 1 octet (u16)", 0x020c, u8(0x2c)],
  ["sar_msg_ref_num with 3 octets (u16)", 0x020c, u8(0, 1, 2)],
  ["sar_total_segments with 2 octets (u8)", 0x020e, u8(0, 2)],
  ["sar_segment_seqnum with none (u8)", 0x020f, Buffer.alloc(0)],
  ["qos_time_to_live with 2 octets (u32)", 0x0017, u8(0, 60)],
  ["network_error_code with 2 octets (3)", 0x0423, u8(3, 0)],
  ["alert_on_message_delivery with 1 octet (flag)", 0x130c, u8(0)],
  ["receipted_message_id of 65 characters and its NUL (max 65 with NUL)", 0x001e, cstr("7".repeat(65))],
  ["receipted_message_id of 65 characters without NUL", 0x001e, Buffer.from("7".repeat(65), "latin1")],
  ["additional_status_info_text of 300 octets (max 256)", 0x001d, Buffer.alloc(300, 0x41)],
];

describe("a known TLV with a length that does not fit its type", () => {
  test.each(CASES)("%s: kept raw, the PDU and its other fields decoded", (_name, tag, value) => {
    const pdu = decodePdu(deliverWith(tlv(tag, value)));
    if (pdu.command !== "deliver_sm") throw new Error(pdu.command);
    expect(pdu).toMatchObject({
      sequence_number: 7,
      source_addr: "447700900123",
      destination_addr: "ACME",
      esm_class: 0x04,
      short_message: Buffer.from(TEXT, "latin1"),
    });
    expect(pdu.tlvs).toEqual({
      user_message_reference: 0x1234,
      unknown: [{ tag, value }],
      source_port: 2948,
    });
  });

  test.each(CASES)("%s: ESME_RINVPARLEN in strict mode", (_name, tag, value) => {
    const e = decodeError(deliverWith(tlv(tag, value)));
    expect([e.status, e.commandId, e.sequenceNumber]).toEqual([S.ESME_RINVPARLEN, DELIVER, 7]);
  });

  test("the caller is told of each one kept raw (tag, name, length, command), of nothing else", () => {
    const seen: MalformedTlv[] = [];
    const onMalformedTlv = (t: MalformedTlv) => seen.push(t);
    decodePdu(
      frame(
        DELIVER,
        0,
        7,
        body,
        tlv(0x1401, u8(1, 2, 3)), // unknown tag
        tlv(0x0427, u8(0, 2)),
        tlv(0x020e, u8(2)), // well-formed
        tlv(0x020e, u8(3)), // a well-formed repeat
        tlv(0x001e, cstr("9".repeat(70))),
      ),
      { onMalformedTlv },
    );
    expect(seen).toEqual([
      expect.objectContaining({ commandId: DELIVER, tag: 0x0427, name: "message_state", length: 2 }),
      expect.objectContaining({ commandId: DELIVER, tag: 0x001e, name: "receipted_message_id", length: 71 }),
    ]);
    // Says what is wrong, never what the value was.
    expect(seen[1]?.reason).not.toContain("9999");
    seen.length = 0;
    decodePdu(frame(DELIVER, 0, 7, body, before, after), { onMalformedTlv });
    expect(seen).toEqual([]);
  });

  test("a well-formed repeat after a malformed one is the typed value", () => {
    const pdu = decodePdu(deliverWith(Buffer.concat([tlv(0x0427, u8(0, 5)), tlv(0x0427, u8(2))])));
    expect(pdu.tlvs).toMatchObject({ message_state: 2, unknown: [{ tag: 0x0427, value: u8(0, 5) }] });
  });

  test("what decodes leniently re-encodes, and decoding that gives the same PDU (a fixed point)", () => {
    for (const [, tag, value] of CASES) {
      const pdu = decodePdu(deliverWith(tlv(tag, value)));
      const again = encodePdu(pdu);
      expect(decodePdu(again)).toEqual(pdu);
      expect(encodePdu(decodePdu(again)).equals(again)).toBe(true);
    }
  });

  test("receipted_message_id without its NUL that fits stays typed, as before", () => {
    const pdu = decodePdu(deliverWith(tlv(0x001e, Buffer.from("5F2A9C01", "latin1"))), { strictTlvs: true });
    expect(pdu.tlvs?.receipted_message_id).toBe("5F2A9C01");
  });
});

describe("what stays a refusal", () => {
  test("a known TLV overrunning the body is ESME_RINVOPTPARSTREAM, lenient or strict", () => {
    // message_state says 2 octets, 1 follows: the TLV stream itself is broken.
    const bytes = frame(DELIVER, 0, 7, body, before, u8(0x04, 0x27, 0x00, 0x02, 0x05));
    for (const strictTlvs of [false, true]) {
      expect(() => decodePdu(bytes, { strictTlvs })).toThrow(
        expect.objectContaining({ status: S.ESME_RINVOPTPARSTREAM }) as unknown as SmppDecodeError,
      );
    }
  });

  test("encoding stays strict: a typed value that does not fit its TLV is refused", () => {
    const pdu = decodePdu(deliverWith(tlv(0x0427, u8(2))));
    const bad = { ...pdu, tlvs: { ...pdu.tlvs, message_state: 0x0505 } } as Pdu;
    expect(() => encodePdu(bad)).toThrow(SmppEncodeError);
    const long = { ...pdu, tlvs: { receipted_message_id: "7".repeat(65) } } as Pdu;
    expect(() => encodePdu(long)).toThrow(SmppEncodeError);
  });
});

describe("a receipt with a malformed receipt TLV", () => {
  test("message_state of 2 octets: the text's stat decides, the malformed value never does", () => {
    // 0x0505 read either way would be UNDELIV (5); the text says DELIVRD.
    const pdu = decodePdu(deliverWith(tlv(0x0427, u8(0x05, 0x05))));
    if (pdu.command !== "deliver_sm") throw new Error(pdu.command);
    expect(parseReceipt(pdu)).toMatchObject({
      messageId: "5F2A9C01",
      stat: "DELIVRD",
      state: 2,
      final: true,
    });
  });

  test("receipted_message_id over its maximum: the text's id is the message id", () => {
    const pdu = decodePdu(deliverWith(tlv(0x001e, cstr("7".repeat(80)))));
    if (pdu.command !== "deliver_sm") throw new Error(pdu.command);
    expect(parseReceipt(pdu)).toMatchObject({ messageId: "5F2A9C01", textMessageId: "5F2A9C01" });
  });
});
