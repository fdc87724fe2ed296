/**
 * Values that do not fit the wire are refused with SmppEncodeError naming the field; nothing is truncated.
 * The C-octet string limits are checked for every string field of every command, on both sides: one
 * character under the maximum encodes and decodes, the maximum itself is an encode error, and a frame
 * carrying it (built by hand) is a decode error with the field's own command_status.
 */
import { describe, expect, test } from "vitest";
import { decodePdu, emptyPdu, encodePdu } from "../../../src/smpp/codec.js";
import { CommandId, type CommandName } from "../../../src/smpp/commands.js";
import { SmppDecodeError, SmppEncodeError } from "../../../src/smpp/errors.js";
import { type FieldDef, PDU_BODIES, type Pdu, type PduOf } from "../../../src/smpp/pdu.js";
import { CommandStatus as S } from "../../../src/smpp/status.js";
import type { Tlvs } from "../../../src/smpp/tlv.js";

function encodeError(pdu: unknown): SmppEncodeError {
  try {
    encodePdu(pdu as Pdu);
  } catch (e) {
    if (e instanceof SmppEncodeError) return e;
    throw e;
  }
  throw new Error("encoded without error");
}

const cstringFields = (Object.keys(CommandId) as CommandName[]).flatMap((command) =>
  (PDU_BODIES[command] as readonly FieldDef[])
    .filter((f) => f.kind === "cstring")
    .map((f) => ({ command, field: f.name, max: f.max ?? 0, invalid: f.invalid ?? S.ESME_RINVPARLEN })),
);

describe.each(cstringFields)(
  "$command.$field (C-octet, max $max with NUL)",
  ({ command, field, max, invalid }) => {
    // A character no other (empty) field contains, so its run can be found in the frame.
    const fill = (n: number) => "Q".repeat(n);
    const withField = (value: string) => ({ ...emptyPdu(command, 5), [field]: value }) as Pdu;

    test(`${max - 1} characters encode and decode`, () => {
      const pdu = withField(fill(max - 1));
      expect(decodePdu(encodePdu(pdu))).toEqual(pdu);
    });

    test(`${max} characters are an encode error, not a truncation`, () => {
      const e = encodeError(withField(fill(max)));
      expect([e.command, e.field]).toEqual([command, field]);
      expect(e.message).toContain(`maximum of ${max - 1}`);
    });

    test(`${max} characters on the wire are a decode error with status 0x${invalid.toString(16)}`, () => {
      const bytes = encodePdu(withField(fill(max - 1)));
      const at = bytes.indexOf(`${fill(max - 1)}\0`, 16, "latin1");
      const over = Buffer.concat([bytes.subarray(0, at), Buffer.from("Q"), bytes.subarray(at)]);
      over.writeUInt32BE(over.length, 0);
      let error: unknown;
      try {
        decodePdu(over);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SmppDecodeError);
      expect(error).toMatchObject({ status: invalid, commandId: CommandId[command], sequenceNumber: 5 });
    });
  },
);

const submit: PduOf<"submit_sm"> = { ...emptyPdu("submit_sm", 1), source_addr: "4930123456" };

describe("mandatory fields", () => {
  test.each([
    ["a NUL inside", "49\u000030"],
    ["a character outside Latin-1", "49€30"],
  ])("a C-string with %s", (_what, value) => {
    expect(encodeError({ ...submit, destination_addr: value })).toMatchObject({ field: "destination_addr" });
  });

  test("a string field given a number", () => {
    expect(encodeError({ ...submit, source_addr: 491 })).toMatchObject({ field: "source_addr" });
  });

  test.each([256, -1, 1.5, Number.NaN, "1"])("u8 esm_class = %s", (value) => {
    expect(encodeError({ ...submit, esm_class: value })).toMatchObject({ field: "esm_class" });
  });

  test.each([2 ** 32, -1, 0.5])("sequence_number = %s", (value) => {
    expect(encodeError({ ...submit, sequence_number: value })).toMatchObject({ field: "sequence_number" });
  });

  test("command_status over 32 bits", () => {
    expect(encodeError({ ...submit, command_status: 2 ** 32 })).toMatchObject({ field: "command_status" });
  });

  test("short_message of 255 octets points at message_payload", () => {
    const e = encodeError({ ...submit, short_message: Buffer.alloc(255) });
    expect(e).toMatchObject({ field: "short_message" });
    expect(e.message).toContain("message_payload");
    expect(encodePdu({ ...submit, short_message: Buffer.alloc(254) }).length).toBeGreaterThan(254);
  });

  test("short_message given a string", () => {
    expect(encodeError({ ...submit, short_message: "hello" })).toMatchObject({ field: "short_message" });
  });

  test.each(["2401311305090", "240131130509000+0", "240131130509000"])(
    "time %s (neither empty nor 16)",
    (value) => {
      expect(encodeError({ ...submit, validity_period: value })).toMatchObject({ field: "validity_period" });
    },
  );

  test("an unknown command", () => {
    expect(encodeError({ command: "broadcast_sm", command_status: 0, sequence_number: 1 })).toMatchObject({
      field: "command",
    });
  });

  test("submit_multi: dest_flag 3, 256 destinations, an over-long dl_name", () => {
    const multi = emptyPdu("submit_multi", 1);
    expect(encodeError({ ...multi, dest_addresses: [{ dest_flag: 3, dl_name: "x" }] })).toMatchObject({
      field: "dest_addresses.dest_flag",
    });
    const many = Array.from({ length: 256 }, () => ({ dest_flag: 2 as const, dl_name: "x" }));
    expect(encodeError({ ...multi, dest_addresses: many })).toMatchObject({ field: "dest_addresses" });
    expect(
      encodeError({ ...multi, dest_addresses: [{ dest_flag: 2, dl_name: "d".repeat(21) }] }),
    ).toMatchObject({
      field: "dest_addresses.dl_name",
    });
  });

  test("submit_multi_resp: error_status_code over 32 bits", () => {
    const resp = {
      ...emptyPdu("submit_multi_resp", 1),
      unsuccess_smes: [
        { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: "49", error_status_code: 2 ** 32 },
      ],
    };
    expect(encodeError(resp)).toMatchObject({ field: "unsuccess_smes.error_status_code" });
  });
});

describe("TLVs", () => {
  const withTlvs = (tlvs: unknown) => ({ ...submit, tlvs: tlvs as Tlvs });

  test.each([
    ["message_state", { message_state: 256 }],
    ["sar_msg_ref_num", { sar_msg_ref_num: 0x10000 }],
    ["qos_time_to_live", { qos_time_to_live: -1 }],
    ["receipted_message_id", { receipted_message_id: "9".repeat(65) }],
    ["message_payload", { message_payload: Buffer.alloc(0x10000) }],
    ["alert_on_message_delivery", { alert_on_message_delivery: false }],
    ["network_error_code.error_code", { network_error_code: { network_type: 3, error_code: 0x10000 } }],
    ["vendor_tag", { vendor_tag: 1 }],
    ["unknown.tag", { unknown: [{ tag: 0x10000, value: Buffer.alloc(0) }] }],
  ])("%s", (field, tlvs) => {
    expect(encodeError(withTlvs(tlvs)).field).toContain(field.split(".")[0]);
  });

  test("a receipted_message_id of 64 characters and a message_payload of 65535 octets fit", () => {
    const pdu = withTlvs({ receipted_message_id: "9".repeat(64), message_payload: Buffer.alloc(0xffff, 1) });
    expect(decodePdu(encodePdu(pdu as Pdu))).toEqual(pdu);
  });
});
