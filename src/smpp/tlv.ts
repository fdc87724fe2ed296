/**
 * Optional parameters (TLVs, SMPP v3.4 §5.3) described as data. The `Tlvs` type is derived from the table,
 * and the codec compiles the same table into its TLV reader and writer.
 */

/** How a TLV value is laid out. `cstring` max includes the NUL; `flag` is a zero-length TLV. */
export type TlvKind = "u8" | "u16" | "u32" | "cstring" | "octets" | "flag" | "network_error_code";

export interface TlvDef {
  readonly tag: number;
  readonly name: string;
  readonly kind: TlvKind;
  /** For `cstring`: maximum octets including the NUL. */
  readonly max?: number;
}

export const TLV_DEFS = [
  { tag: 0x0005, name: "dest_addr_subunit", kind: "u8" },
  { tag: 0x0006, name: "dest_network_type", kind: "u8" },
  { tag: 0x0007, name: "dest_bearer_type", kind: "u8" },
  { tag: 0x0008, name: "dest_telematics_id", kind: "u16" },
  { tag: 0x000d, name: "source_addr_subunit", kind: "u8" },
  { tag: 0x000e, name: "source_network_type", kind: "u8" },
  { tag: 0x000f, name: "source_bearer_type", kind: "u8" },
  { tag: 0x0010, name: "source_telematics_id", kind: "u8" },
  { tag: 0x0017, name: "qos_time_to_live", kind: "u32" },
  { tag: 0x0019, name: "payload_type", kind: "u8" },
  { tag: 0x001d, name: "additional_status_info_text", kind: "cstring", max: 256 },
  { tag: 0x001e, name: "receipted_message_id", kind: "cstring", max: 65 },
  { tag: 0x0030, name: "ms_msg_wait_facilities", kind: "u8" },
  { tag: 0x0201, name: "privacy_indicator", kind: "u8" },
  { tag: 0x0202, name: "source_subaddress", kind: "octets" },
  { tag: 0x0203, name: "dest_subaddress", kind: "octets" },
  { tag: 0x0204, name: "user_message_reference", kind: "u16" },
  { tag: 0x0205, name: "user_response_code", kind: "u8" },
  { tag: 0x020a, name: "source_port", kind: "u16" },
  { tag: 0x020b, name: "destination_port", kind: "u16" },
  { tag: 0x020c, name: "sar_msg_ref_num", kind: "u16" },
  { tag: 0x020d, name: "language_indicator", kind: "u8" },
  { tag: 0x020e, name: "sar_total_segments", kind: "u8" },
  { tag: 0x020f, name: "sar_segment_seqnum", kind: "u8" },
  { tag: 0x0210, name: "sc_interface_version", kind: "u8" },
  { tag: 0x0302, name: "callback_num_pres_ind", kind: "u8" },
  { tag: 0x0303, name: "callback_num_atag", kind: "octets" },
  { tag: 0x0304, name: "number_of_messages", kind: "u8" },
  { tag: 0x0381, name: "callback_num", kind: "octets" },
  { tag: 0x0420, name: "dpf_result", kind: "u8" },
  { tag: 0x0421, name: "set_dpf", kind: "u8" },
  { tag: 0x0422, name: "ms_availability_status", kind: "u8" },
  { tag: 0x0423, name: "network_error_code", kind: "network_error_code" },
  { tag: 0x0424, name: "message_payload", kind: "octets" },
  { tag: 0x0425, name: "delivery_failure_reason", kind: "u8" },
  { tag: 0x0426, name: "more_messages_to_send", kind: "u8" },
  { tag: 0x0427, name: "message_state", kind: "u8" },
  { tag: 0x0501, name: "ussd_service_op", kind: "u8" },
  { tag: 0x1201, name: "display_time", kind: "u8" },
  { tag: 0x1203, name: "sms_signal", kind: "u16" },
  { tag: 0x1204, name: "ms_validity", kind: "u8" },
  { tag: 0x130c, name: "alert_on_message_delivery", kind: "flag" },
  { tag: 0x1380, name: "its_reply_type", kind: "u8" },
  { tag: 0x1383, name: "its_session_info", kind: "u16" },
] as const satisfies readonly TlvDef[];

type Def = (typeof TLV_DEFS)[number];
export type TlvName = Def["name"];

/** network_error_code (0x0423): network type (1 ANSI-136, 2 IS-95, 3 GSM, …) and its error code. */
export interface NetworkErrorCode {
  network_type: number;
  error_code: number;
}

/** A TLV whose tag we do not know (or a repeat of a known one), kept as raw bytes. */
export interface UnknownTlv {
  tag: number;
  value: Buffer;
}

type ValueOf<K extends TlvKind> = K extends "u8" | "u16" | "u32"
  ? number
  : K extends "cstring"
    ? string
    : K extends "octets"
      ? Buffer
      : K extends "flag"
        ? true
        : NetworkErrorCode;

type KnownTlvs = { [D in Def as D["name"]]?: ValueOf<D["kind"]> };

/**
 * The TLVs of a PDU. Decoding keeps wire order as property order, so re-encoding a decoded PDU gives the
 * same bytes. Unknown tags and repeats of a known tag go to `unknown` raw and are written back unchanged:
 * unknown tags at the position of the first one (so non-adjacent unknown TLVs are regrouped), repeats of a
 * known tag after all typed TLVs (so the first occurrence still comes first and still wins).
 */
export interface Tlvs extends KnownTlvs {
  unknown?: UnknownTlv[];
}

/**
 * A known TLV whose length does not fit its type, as the lenient decoder reports it before keeping it
 * raw in `unknown`. Carries no octet of the value, so it can be logged as it is.
 */
export interface MalformedTlv {
  /** command_id of the PDU it came in. */
  commandId: number;
  tag: number;
  name: TlvName;
  /** The length it had on the wire, in octets. */
  length: number;
  /** What is wrong with the length, e.g. "TLV message_state has length 2, expected 1". */
  reason: string;
}

/** TLV tags by name, e.g. `TlvTag.receipted_message_id === 0x001e`. */
export const TlvTag = Object.fromEntries(TLV_DEFS.map((d) => [d.name, d.tag])) as {
  readonly [D in Def as D["name"]]: D["tag"];
};
