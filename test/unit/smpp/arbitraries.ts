/**
 * fast-check arbitraries for every PDU, derived from the same tables the codec is compiled from
 * (PDU_BODIES, TLV_DEFS), so a new field or TLV is generated without touching this file.
 */
import fc from "fast-check";
import { CommandId, type CommandName } from "../../../src/smpp/commands.js";
import { type FieldDef, PDU_BODIES, type Pdu } from "../../../src/smpp/pdu.js";
import { TLV_DEFS, type TlvDef, type Tlvs } from "../../../src/smpp/tlv.js";

export const COMMAND_NAMES = Object.keys(CommandId) as CommandName[];

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** C-octet string text: Latin-1 without NUL, `minChars`..`maxChars` characters. */
export function cOctetText(maxChars: number, minChars = 0): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)),
    minLength: minChars,
    maxLength: maxChars,
  });
}

const octets = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

const smppTime = fc.oneof(
  fc.constant(""),
  fc.constantFrom("240131130509000+", "000001000000000R", "991231235959948-"),
  cOctetText(16, 16),
);

const destAddress = fc.oneof(
  fc.record({
    dest_flag: fc.constant(1 as const),
    dest_addr_ton: u8,
    dest_addr_npi: u8,
    destination_addr: cOctetText(20),
  }),
  fc.record({ dest_flag: fc.constant(2 as const), dl_name: cOctetText(20) }),
);

const unsuccessSme = fc.record({
  dest_addr_ton: u8,
  dest_addr_npi: u8,
  destination_addr: cOctetText(20),
  error_status_code: u32,
});

function fieldArbitrary(f: FieldDef): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case "u8":
      return u8;
    case "u16":
      return u16;
    case "u32":
      return u32;
    case "cstring":
      return cOctetText((f.max ?? 1) - 1);
    case "time":
      return smppTime;
    case "short_message":
      return octets(254);
    case "dest_addresses":
      return fc.array(destAddress, { maxLength: 4 });
    case "unsuccess_smes":
      return fc.array(unsuccessSme, { maxLength: 4 });
  }
}

function tlvArbitrary(d: TlvDef): fc.Arbitrary<unknown> {
  switch (d.kind) {
    case "u8":
      return u8;
    case "u16":
      return u16;
    case "u32":
      return u32;
    case "flag":
      return fc.constant(true);
    case "network_error_code":
      return fc.record({ network_type: u8, error_code: u16 });
    case "octets":
      return octets(d.name === "message_payload" ? 600 : 24);
    case "cstring":
      return cOctetText((d.max ?? 1) - 1);
  }
}

const knownTags = new Set<number>(TLV_DEFS.map((d) => d.tag));

export const unknownTlv = fc.record({
  tag: u16.filter((t) => !knownTags.has(t)),
  value: octets(32),
});

/** A non-empty set of TLVs (an empty one is indistinguishable from none on the wire). */
export const tlvsArbitrary: fc.Arbitrary<Tlvs> = fc
  .record(
    {
      ...Object.fromEntries(TLV_DEFS.map((d) => [d.name, tlvArbitrary(d)])),
      unknown: fc.array(unknownTlv, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: [] },
  )
  .filter((t) => Object.keys(t).length > 0) as fc.Arbitrary<Tlvs>;

/** Any PDU of `command`, TLVs included about half of the time. */
export function pduArbitrary(command: CommandName): fc.Arbitrary<Pdu> {
  const fields: readonly FieldDef[] = PDU_BODIES[command];
  return fc.record({
    command: fc.constant(command),
    command_status: fc.oneof(fc.constant(0), u32),
    sequence_number: u32,
    ...Object.fromEntries(fields.map((f) => [f.name, fieldArbitrary(f)])),
    tlvs: fc.option(tlvsArbitrary, { nil: undefined }),
  }) as unknown as fc.Arbitrary<Pdu>;
}

/** Any PDU of any command. */
export const anyPdu: fc.Arbitrary<Pdu> = fc.oneof(...COMMAND_NAMES.map(pduArbitrary));
