/**
 * Interop with the npm `smpp` package, an independent SMPP codec: for every PDU type both know, what it
 * encodes decodes with ours to the same fields (and the same octets as our encoder), and what we encode
 * decodes with it to the same fields, TLVs included. Values are kept to what the peer represents
 * faithfully (ASCII C-strings, binary data_coding so it does not decode text, no UDHI); text, UDH, times,
 * error responses and TLVs known to only one side have their own tests below.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { CommandId, type CommandName } from "../../../src/smpp/commands.js";
import { SmppDecodeError } from "../../../src/smpp/errors.js";
import { type FieldDef, PDU_BODIES, type Pdu, type PduOf } from "../../../src/smpp/pdu.js";
import { parseReceipt } from "../../../src/smpp/receipt.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import {
  decodeShortMessage,
  encodeGsm7,
  encodeLatin1,
  encodeUcs2,
  extractConcatInfo,
  segmentText,
} from "../../../src/smpp/text/index.js";
import { parseSmppTime } from "../../../src/smpp/time.js";
import { TLV_DEFS, type TlvDef, type Tlvs } from "../../../src/smpp/tlv.js";
import {
  DIVERGENT_TLVS,
  fromPeer,
  PeerPDU,
  peerDecode,
  peerDefs,
  peerEncode,
  SHARED_TLVS,
  toPeerOptions,
} from "./npm-smpp-peer.js";
import { frame, shortMessageBody, tlv, u8 } from "./pdu-builder.js";

const COMMANDS = (Object.keys(CommandId) as CommandName[]).filter((c) => peerDefs.commands[c] !== undefined);

const octet = fc.integer({ min: 0, max: 0xff });
const ascii = (maxChars: number) =>
  fc.string({
    unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)),
    maxLength: maxChars,
  });
const bytes = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));
/** data_coding whose low nibble is 4 (8-bit binary), so the peer hands the octets back undecoded. */
const binaryDataCoding = fc.integer({ min: 0, max: 15 }).map((high) => (high << 4) | 0x04);

function fieldValue(f: FieldDef): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case "u8":
      if (f.name === "data_coding") return binaryDataCoding;
      // UDHI (0x40) would make the peer split a user data header off the message.
      if (f.name === "esm_class") return octet.map((v) => v & ~0x40);
      return octet;
    case "u16":
      return fc.integer({ min: 0, max: 0xffff });
    case "u32":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "cstring":
      return ascii((f.max ?? 1) - 1);
    case "time":
      // The peer turns times into Dates; compared in "SMPP times" below.
      return fc.constant("");
    case "short_message":
      return bytes(0, 254);
    case "dest_addresses":
      return fc.array(
        fc.oneof(
          fc.record({
            dest_flag: fc.constant(1 as const),
            dest_addr_ton: octet,
            dest_addr_npi: octet,
            destination_addr: ascii(20),
          }),
          fc.record({ dest_flag: fc.constant(2 as const), dl_name: ascii(20) }),
        ),
        { maxLength: 4 },
      );
    case "unsuccess_smes":
      return fc.array(
        fc.record({
          dest_addr_ton: octet,
          dest_addr_npi: octet,
          destination_addr: ascii(20),
          error_status_code: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        { maxLength: 4 },
      );
  }
}

function tlvValue(def: TlvDef): fc.Arbitrary<unknown> {
  switch (def.name) {
    // The peer reads the first three octets as digit mode, TON and NPI, the rest as ASCII digits.
    case "callback_num":
      return fc
        .tuple(bytes(3, 3), fc.uint8Array({ maxLength: 16, max: 0x7f }))
        .map(([head, digits]) => Buffer.concat([head, digits]));
    // The peer reads the first octet as the display's encoding.
    case "callback_num_atag":
      return bytes(1, 20);
  }
  switch (def.kind) {
    case "u8":
      return octet;
    case "u16":
      return fc.integer({ min: 0, max: 0xffff });
    case "u32":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "cstring":
      return ascii((def.max ?? 1) - 1);
    case "octets":
      return bytes(0, def.name === "message_payload" ? 400 : 24);
    case "network_error_code":
      return fc.record({ network_type: octet, error_code: fc.integer({ min: 0, max: 0xffff }) });
    case "flag":
      return fc.constant(true);
  }
}

/**
 * Shared TLVs for `command`. A TLV named like one of the command's mandatory fields (message_state in
 * query_sm_resp) is left out: the peer keeps both under one property name.
 */
function sharedTlvs(command: CommandName): fc.Arbitrary<Tlvs | undefined> {
  const fieldNames = new Set<string>(PDU_BODIES[command].map((f) => f.name));
  const entries = [...SHARED_TLVS].filter(([, a]) => !fieldNames.has(a.peerName));
  return fc.option(
    fc
      .record(Object.fromEntries(entries.map(([name, a]) => [name, tlvValue(a.def)])), { requiredKeys: [] })
      .filter((t) => Object.keys(t).length > 0),
    { nil: undefined },
  ) as fc.Arbitrary<Tlvs | undefined>;
}

/** Tags neither codec knows: the peer keeps them under their number, we keep them in `unknown`. */
const unknownToBoth = fc
  .integer({ min: 0x1400, max: 0x3fff })
  .filter((t) => peerDefs.tlvsById[t] === undefined);

function pduFor(command: CommandName, tlvs: fc.Arbitrary<Tlvs | undefined>): fc.Arbitrary<Pdu> {
  const fields: readonly FieldDef[] = PDU_BODIES[command];
  return fc.record({
    command: fc.constant(command),
    // The peer sends any PDU with a non-zero command_status header-only: see "error responses".
    command_status: fc.constant(0),
    sequence_number: fc.integer({ min: 1, max: 0x7fffffff }),
    ...Object.fromEntries(fields.map((f) => [f.name, fieldValue(f)])),
    tlvs,
  }) as unknown as fc.Arbitrary<Pdu>;
}

const RUNS = 100;

test("the peer knows every v3.4 command we do", () => {
  expect(COMMANDS).toEqual(Object.keys(CommandId));
  for (const c of COMMANDS) expect(peerDefs.commands[c]?.id).toBe(CommandId[c]);
});

test("every TLV tag the peer also knows is exchanged, or listed with the way it diverges", () => {
  const shared = TLV_DEFS.filter((d) => peerDefs.tlvsById[d.tag] !== undefined).map((d) => d.name);
  expect([...SHARED_TLVS.keys(), ...Object.keys(DIVERGENT_TLVS)].sort()).toEqual([...shared].sort());
  // Almost all of the v3.4 table.
  expect(SHARED_TLVS.size).toBeGreaterThanOrEqual(TLV_DEFS.length - 2);
});

describe("peer encodes, we decode: same fields, same octets as our encoder", () => {
  test.each(COMMANDS)("%s", (command) => {
    fc.assert(
      fc.property(pduFor(command, sharedTlvs(command)), (pdu) => {
        const bytes = peerEncode(pdu);
        expect(decodePdu(bytes)).toEqual(pdu);
        expect(bytes.toString("hex")).toBe(encodePdu(pdu).toString("hex"));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("we encode, peer decodes: same fields", () => {
  const withUnknown = (command: CommandName) =>
    fc
      .tuple(
        sharedTlvs(command),
        fc.uniqueArray(fc.record({ tag: unknownToBoth, value: bytes(0, 16) }), {
          selector: (u) => u.tag,
          maxLength: 3,
        }),
      )
      .map(([known, unknown]) => {
        if (unknown.length === 0) return known;
        // The peer files unknown TLVs under their number, so it sees them in tag order.
        return { ...known, unknown: [...unknown].sort((a, b) => a.tag - b.tag) } as Tlvs;
      });

  test.each(COMMANDS)("%s", (command) => {
    fc.assert(
      fc.property(pduFor(command, withUnknown(command)), (pdu) => {
        const bytes = encodePdu(pdu);
        const peer = peerDecode(bytes);
        expect(peer.command_length).toBe(bytes.length);
        expect(fromPeer(peer)).toEqual(pdu);
      }),
      { numRuns: RUNS },
    );
  });
});

const submit: PduOf<"submit_sm"> = {
  command: "submit_sm",
  command_status: 0,
  sequence_number: 7,
  service_type: "",
  source_addr_ton: 5,
  source_addr_npi: 0,
  source_addr: "MyBrand",
  dest_addr_ton: 1,
  dest_addr_npi: 1,
  destination_addr: "4915112345678",
  esm_class: 0,
  protocol_id: 0,
  priority_flag: 0,
  schedule_delivery_time: "",
  validity_period: "",
  registered_delivery: 1,
  replace_if_present_flag: 0,
  data_coding: 0,
  sm_default_msg_id: 0,
  short_message: Buffer.alloc(0),
};

describe("text", () => {
  const cases: Array<[string, number, (text: string) => Buffer, string]> = [
    [
      "GSM 03.38 (DCS 0), extension characters included",
      0x00,
      encodeGsm7,
      "Price: 5€ {ok} [x] ~ ^ | \\ @£$¥èé",
    ],
    ["Latin-1 (DCS 3)", 0x03, encodeLatin1, "Grüße aus Köln, ¿qué tal? ©®"],
    ["UCS-2 (DCS 8), a surrogate pair included", 0x08, encodeUcs2, "Привет 👋 你好"],
  ];

  test.each(cases)("%s: the peer reads our octets as the same text", (_name, dataCoding, encode, text) => {
    const peer = peerDecode(encodePdu({ ...submit, data_coding: dataCoding, short_message: encode(text) }));
    expect((peer.short_message as { message: string }).message).toBe(text);
  });

  test.each(cases)("%s: we read the peer's octets as the same text", (_name, dataCoding, _encode, text) => {
    const bytes = new PeerPDU("submit_sm", {
      ...toPeerOptions(submit),
      data_coding: dataCoding,
      short_message: { message: text },
    }).toBuffer();
    const pdu = decodePdu(bytes);
    if (pdu.command !== "submit_sm") throw new Error(pdu.command);
    expect(decodeShortMessage(pdu.short_message, pdu.data_coding).text).toBe(text);
  });

  test("our concatenated UCS-2 parts: the peer splits off the same UDH and reads each part's text", () => {
    const text = "Привет, мир! ".repeat(8);
    const { dataCoding, parts } = segmentText(text, { encoding: "ucs2", mode: "udh8", reference: 0x2a });
    expect(parts.length).toBeGreaterThan(1);
    const texts = parts.map((part, i) => {
      expect(part.udhi).toBe(true);
      const peer = peerDecode(
        encodePdu({ ...submit, esm_class: 0x40, data_coding: dataCoding, short_message: part.shortMessage }),
      );
      const udh = (peer.short_message as { udh: Buffer[] }).udh;
      expect(udh.map((ie) => ie.toString("hex"))).toEqual([
        `00032a${(parts.length * 256 + i + 1).toString(16).padStart(4, "0")}`,
      ]);
      return (peer.short_message as { message: string }).message;
    });
    expect(texts.join("")).toBe(text);
  });

  test("the peer's UDH message: we find the same concatenation header", () => {
    const udh = Buffer.from("0500030c0302", "hex");
    const bytes = new PeerPDU("deliver_sm", {
      ...toPeerOptions({ ...submit, command: "deliver_sm" } as Pdu),
      data_coding: 0x08,
      short_message: { udh, message: "часть два" },
    }).toBuffer();
    const pdu = decodePdu(bytes);
    if (pdu.command !== "deliver_sm") throw new Error(pdu.command);
    expect(pdu.esm_class & 0x40).toBe(0x40);
    const info = extractConcatInfo(pdu);
    expect(info).toMatchObject({ scheme: "udh8", ref: 0x0c, total: 3, seq: 2 });
    expect(decodeShortMessage(info?.body ?? Buffer.alloc(0), pdu.data_coding).text).toBe("часть два");
  });
});

describe("SMPP times", () => {
  const now = new Date();
  const absolute = ["240131130509300+", "991231235959948-", "260101000000004-", "240229120000000+"];

  test.each(absolute)("absolute %s from us is the same instant for the peer", (time) => {
    const peer = peerDecode(encodePdu({ ...submit, schedule_delivery_time: time, validity_period: time }));
    const expected = parseSmppTime(time, now)?.date.getTime();
    expect((peer.schedule_delivery_time as Date).getTime()).toBe(expected);
    expect((peer.validity_period as Date).getTime()).toBe(expected);
  });

  test.each(absolute)("absolute %s from the peer arrives as written", (time) => {
    const pdu = decodePdu(peerEncode({ ...submit, schedule_delivery_time: time, validity_period: time }));
    expect(pdu).toMatchObject({ schedule_delivery_time: time, validity_period: time });
  });

  test("relative: one hour and a half from us is about as far ahead for the peer", () => {
    const time = "000000013000000R";
    const peer = peerDecode(encodePdu({ ...submit, validity_period: time }));
    const ahead = (peer.validity_period as Date).getTime() - Date.now();
    expect(parseSmppTime(time, now)).toMatchObject({ kind: "relative", seconds: 5400 });
    // The peer adds to its own clock, so allow for the time this test takes; the unit is what matters.
    expect(Math.round(ahead / 60_000)).toBe(90);
  });

  test("the peer's relative shorthand (12 digits) arrives as a full relative time", () => {
    const bytes = new PeerPDU("submit_sm", {
      ...toPeerOptions(submit),
      validity_period: "000001000000",
    }).toBuffer();
    expect(decodePdu(bytes)).toMatchObject({ validity_period: "000001000000000R" });
  });
});

describe("error responses", () => {
  test.each(COMMANDS.filter((c) => CommandId[c] >>> 31 === 1))(
    "%s: the peer's header-only error decodes",
    (command) => {
      const bytes = new PeerPDU(command, {
        command_status: CommandStatus.ESME_RTHROTTLED,
        sequence_number: 9,
      }).toBuffer();
      expect(bytes.length).toBe(16);
      expect(decodePdu(bytes)).toMatchObject({
        command,
        command_status: CommandStatus.ESME_RTHROTTLED,
        sequence_number: 9,
      });
    },
  );

  test("our header-only submit_sm_resp error: the peer reads the status and no message_id", () => {
    const bytes = encodePdu({
      command: "submit_sm_resp",
      command_status: CommandStatus.ESME_RMSGQFUL,
      sequence_number: 3,
      message_id: "",
    });
    const peer = peerDecode(bytes);
    expect(peer).toMatchObject({ command: "submit_sm_resp", command_status: 0x14, sequence_number: 3 });
    expect(peer.message_id).toBeUndefined();
  });

  test("the peer's generic_nack for an unknown command id", () => {
    const unknown = peerDecode(frame(0x00000010, 0, 77));
    expect(unknown.command).toBe("unknown");
    expect(
      decodePdu((unknown as unknown as { response(): { toBuffer(): Buffer } }).response().toBuffer()),
    ).toEqual({
      command: "generic_nack",
      command_status: CommandStatus.ESME_RINVCMDID,
      sequence_number: 77,
      tlvs: undefined,
    });
  });
});

describe("TLVs only one side knows", () => {
  test("the peer's SMPP 5.0 TLVs are kept raw by us and written back unchanged", () => {
    const bytes = new PeerPDU("submit_sm", {
      ...toPeerOptions({ ...submit, data_coding: 4, short_message: Buffer.from("x") }),
      congestion_state: 80,
      source_network_id: "net-1",
      broadcast_rep_num: 513,
    }).toBuffer();
    const pdu = decodePdu(bytes);
    expect(pdu.tlvs?.unknown).toEqual([
      { tag: 0x0428, value: Buffer.from([80]) },
      { tag: 0x060d, value: Buffer.from("net-1\0", "latin1") },
      { tag: 0x0604, value: Buffer.from([2, 1]) },
    ]);
    expect(encodePdu(pdu).equals(bytes)).toBe(true);
  });

  test("a receipt deliver_sm from the peer: our parser reads text and TLVs", () => {
    const receiptText =
      "id:0123456789 sub:001 dlvrd:000 submit date:2611260105 done date:2611260107 stat:UNDELIV err:034 text:hello";
    const bytes = new PeerPDU("deliver_sm", {
      ...toPeerOptions({ ...submit, command: "deliver_sm" } as Pdu),
      esm_class: 0x04,
      short_message: Buffer.from(receiptText, "latin1"),
      receipted_message_id: "75BCD15",
      message_state: 5,
      network_error_code: Buffer.from([3, 0, 34]),
    }).toBuffer();
    const pdu = decodePdu(bytes);
    if (pdu.command !== "deliver_sm") throw new Error(pdu.command);
    expect(parseReceipt(pdu)).toMatchObject({
      messageId: "75BCD15",
      textMessageId: "0123456789",
      stat: "UNDELIV",
      final: true,
      err: "034",
      networkError: { networkType: 3, errorCode: 34 },
    });
  });

  test("divergence pinned: the peer's 2-octet source_telematics_id (v3.4 §5.3.2.16: 1) is kept raw, or ESME_RINVPARLEN when strict", () => {
    const bytes = new PeerPDU("submit_sm", { ...toPeerOptions(submit), source_telematics_id: 1 }).toBuffer();
    expect(bytes.subarray(-6).toString("hex")).toBe("001000020001");
    expect(decodePdu(bytes).tlvs).toEqual({ unknown: [{ tag: 0x0010, value: Buffer.from([0, 1]) }] });
    expect(() => decodePdu(bytes, { strictTlvs: true })).toThrow(
      expect.objectContaining({ status: CommandStatus.ESME_RINVPARLEN }) as unknown as SmppDecodeError,
    );
  });

  test("divergence pinned: the peer's alert_on_message_delivery carries 1 octet where v3.4 §5.3.2.41 has none", () => {
    const bytes = new PeerPDU("submit_sm", {
      ...toPeerOptions(submit),
      alert_on_message_delivery: 0,
    }).toBuffer();
    expect(bytes.subarray(-5).toString("hex")).toBe("130c000100");
    expect(decodePdu(bytes).tlvs).toEqual({ unknown: [{ tag: 0x130c, value: Buffer.from([0]) }] });
    expect(() => decodePdu(bytes, { strictTlvs: true })).toThrow(SmppDecodeError);
    // Ours, as v3.4 has it: tag and a zero length.
    const ours = frame(CommandId.submit_sm, 0, 1, shortMessageBody({}), tlv(0x130c, u8()));
    expect(decodePdu(ours).tlvs).toEqual({ alert_on_message_delivery: true });
  });
});
