/**
 * Every SMPP v3.4 PDU body as data: an ordered list of typed mandatory fields (§4). The `Pdu` types are
 * derived from this table, and the codec compiles the same table into one encoder and one decoder per
 * command, so a field cannot be added to one side only.
 */
import type { CommandName } from "./commands.js";
import { CommandStatus } from "./status.js";
import type { Tlvs } from "./tlv.js";

/**
 * Wire layout of a mandatory field.
 * - `cstring`: C-octet string, `max` octets including the NUL;
 * - `time`: C-octet string that is either empty (1 octet) or 16 characters (17 octets), §7.1;
 * - `short_message`: `sm_length` (1 octet, 0–254) followed by that many octets;
 * - `dest_addresses` / `unsuccess_smes`: the counted lists of submit_multi (§4.5.1) and its response (§4.5.2).
 */
export type FieldKind =
  | "u8"
  | "u16"
  | "u32"
  | "cstring"
  | "time"
  | "short_message"
  | "dest_addresses"
  | "unsuccess_smes";

export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  /** `cstring` only: maximum length in octets, including the terminating NUL. */
  readonly max?: number;
  /** command_status to answer when this field is malformed (over-long string, bad time). */
  readonly invalid?: number;
}

const S = CommandStatus;

function u8<N extends string>(name: N) {
  return { name, kind: "u8" } as const;
}
function cstring<N extends string, M extends number>(name: N, max: M, invalid: number = S.ESME_RINVPARLEN) {
  return { name, kind: "cstring", max, invalid } as const;
}
function time<N extends string>(name: N, invalid: number) {
  return { name, kind: "time", invalid } as const;
}
const shortMessage = { name: "short_message", kind: "short_message", invalid: S.ESME_RINVMSGLEN } as const;

const serviceType = cstring("service_type", 6, S.ESME_RINVSERTYP);
const messageId = cstring("message_id", 65, S.ESME_RINVMSGID);
const source21 = [
  u8("source_addr_ton"),
  u8("source_addr_npi"),
  cstring("source_addr", 21, S.ESME_RINVSRCADR),
];
const dest21 = [u8("dest_addr_ton"), u8("dest_addr_npi"), cstring("destination_addr", 21, S.ESME_RINVDSTADR)];
const scheduleDeliveryTime = time("schedule_delivery_time", S.ESME_RINVSCHED);
const validityPeriod = time("validity_period", S.ESME_RINVEXPIRY);

const bind = [
  cstring("system_id", 16, S.ESME_RINVSYSID),
  cstring("password", 9, S.ESME_RINVPASWD),
  cstring("system_type", 13, S.ESME_RINVSYSTYP),
  u8("interface_version"),
  u8("addr_ton"),
  u8("addr_npi"),
  cstring("address_range", 41),
] as const;
const bindResp = [cstring("system_id", 16, S.ESME_RINVSYSID)] as const;

// submit_sm and deliver_sm share one layout (§4.6.1).
const shortMessagePdu = [
  serviceType,
  ...source21,
  ...dest21,
  u8("esm_class"),
  u8("protocol_id"),
  u8("priority_flag"),
  scheduleDeliveryTime,
  validityPeriod,
  u8("registered_delivery"),
  u8("replace_if_present_flag"),
  u8("data_coding"),
  u8("sm_default_msg_id"),
  shortMessage,
] as const;

const none = [] as const;

export const PDU_BODIES = {
  generic_nack: none,
  bind_receiver: bind,
  bind_receiver_resp: bindResp,
  bind_transmitter: bind,
  bind_transmitter_resp: bindResp,
  bind_transceiver: bind,
  bind_transceiver_resp: bindResp,
  outbind: [cstring("system_id", 16, S.ESME_RINVSYSID), cstring("password", 9, S.ESME_RINVPASWD)],
  unbind: none,
  unbind_resp: none,
  submit_sm: shortMessagePdu,
  submit_sm_resp: [messageId],
  submit_multi: [
    serviceType,
    ...source21,
    { name: "dest_addresses", kind: "dest_addresses", invalid: S.ESME_RINVDESTFLAG },
    u8("esm_class"),
    u8("protocol_id"),
    u8("priority_flag"),
    scheduleDeliveryTime,
    validityPeriod,
    u8("registered_delivery"),
    u8("replace_if_present_flag"),
    u8("data_coding"),
    u8("sm_default_msg_id"),
    shortMessage,
  ],
  submit_multi_resp: [
    messageId,
    { name: "unsuccess_smes", kind: "unsuccess_smes", invalid: S.ESME_RINVDSTADR },
  ],
  deliver_sm: shortMessagePdu,
  // Unused by the spec and sent as NULL; accepted up to the message_id size.
  deliver_sm_resp: [messageId],
  data_sm: [
    serviceType,
    u8("source_addr_ton"),
    u8("source_addr_npi"),
    cstring("source_addr", 65, S.ESME_RINVSRCADR),
    u8("dest_addr_ton"),
    u8("dest_addr_npi"),
    cstring("destination_addr", 65, S.ESME_RINVDSTADR),
    u8("esm_class"),
    u8("registered_delivery"),
    u8("data_coding"),
  ],
  data_sm_resp: [messageId],
  query_sm: [messageId, ...source21],
  query_sm_resp: [messageId, time("final_date", S.ESME_RINVPARLEN), u8("message_state"), u8("error_code")],
  cancel_sm: [serviceType, messageId, ...source21, ...dest21],
  cancel_sm_resp: none,
  replace_sm: [
    messageId,
    ...source21,
    scheduleDeliveryTime,
    validityPeriod,
    u8("registered_delivery"),
    u8("sm_default_msg_id"),
    shortMessage,
  ],
  replace_sm_resp: none,
  enquire_link: none,
  enquire_link_resp: none,
  alert_notification: [
    u8("source_addr_ton"),
    u8("source_addr_npi"),
    cstring("source_addr", 65, S.ESME_RINVSRCADR),
    u8("esme_addr_ton"),
    u8("esme_addr_npi"),
    cstring("esme_addr", 65, S.ESME_RINVDSTADR),
  ],
} as const satisfies Record<CommandName, readonly FieldDef[]>;

/** One entry of submit_multi's destination list: an SME address (dest_flag 1) or a distribution list (2). */
export type DestAddress =
  | { dest_flag: 1; dest_addr_ton: number; dest_addr_npi: number; destination_addr: string }
  | { dest_flag: 2; dl_name: string };

/** One destination submit_multi could not deliver to, with the status for it. */
export interface UnsuccessSme {
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  error_status_code: number;
}

type ValueOf<K extends FieldKind> = K extends "u8" | "u16" | "u32"
  ? number
  : K extends "cstring" | "time"
    ? string
    : K extends "short_message"
      ? Buffer
      : K extends "dest_addresses"
        ? DestAddress[]
        : UnsuccessSme[];

type Simplify<T> = { [P in keyof T]: T[P] } & {};

/** The mandatory body fields of command `K`, e.g. `PduBody<"bind_transceiver_resp">` is `{ system_id: string }`. */
export type PduBody<K extends CommandName> = {
  -readonly [F in (typeof PDU_BODIES)[K][number] as F["name"]]: ValueOf<F["kind"]>;
};

/** One PDU of command `K`: header fields, mandatory body fields (spec names) and optional TLVs. */
export type PduOf<K extends CommandName> = Simplify<
  {
    command: K;
    /** 0 in requests; the result in responses. */
    command_status: number;
    /** 1–0x7FFFFFFF; a response echoes its request's. */
    sequence_number: number;
  } & PduBody<K> & { tlvs?: Tlvs | undefined }
>;

/** Any SMPP v3.4 PDU, discriminated on `command`. */
export type Pdu = { [K in CommandName]: PduOf<K> }[CommandName];
