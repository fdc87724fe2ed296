import { chooseEncoding } from "../smpp/text/encoding.js";
import type { TextEncoding } from "../smpp/text/errors.js";
import { type LongMessageMode, segmentText } from "../smpp/text/segment.js";
import type { DeliverSmBody } from "./delivery-queue.js";

/** An inbound SMS (mobile originated) to hand to the ESMEs. */
export interface MoRequest {
  /** The handset's number (or an alphanumeric sender). */
  from: string;
  /** The number it was sent to (the ESME's number or short code). */
  to: string;
  text: string;
  /** `auto` picks GSM 03.38 when the text fits, else UCS-2. Default `auto`. */
  encoding?: "auto" | TextEncoding;
  /** How a text longer than one SMS is split: UDH with 8- or 16-bit reference, SAR TLVs, or one message_payload. Default `udh8`. */
  concat?: LongMessageMode;
  /** system_id whose receivers get it. Default: the only configured account, or any receiver when there are several or none. */
  systemId?: string;
}

/**
 * TON/NPI for an address, as operators send them: 3–8 digits without `+` is a short code (network
 * specific, 3/0), other digits international E.164 (1/1), anything else alphanumeric (5/0).
 */
export function addressType(address: string): { ton: number; npi: number } {
  if (/^\d{3,8}$/.test(address)) return { ton: 3, npi: 0 };
  return /^\+?\d+$/.test(address) ? { ton: 1, npi: 1 } : { ton: 5, npi: 0 };
}

/**
 * The deliver_sm PDUs of one inbound SMS: one for a short text, one per segment (UDH or SAR) for a long
 * one, or a single message_payload. Throws `UnencodableCharacterError` / `TooManySegmentsError` from the
 * text layer when the text cannot be sent as asked.
 */
export function buildMo(request: MoRequest, reference: number): DeliverSmBody[] {
  const encoding = chooseEncoding(request.text, request.encoding ?? "auto");
  const segmented = segmentText(request.text, {
    encoding,
    mode: request.concat ?? "udh8",
    reference,
  });
  const source = addressType(request.from);
  const dest = addressType(request.to);
  return segmented.parts.map((part) => ({
    command: "deliver_sm",
    command_status: 0,
    sequence_number: 0,
    service_type: "",
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: request.from.replace(/^\+/, ""),
    dest_addr_ton: dest.ton,
    dest_addr_npi: dest.npi,
    destination_addr: request.to.replace(/^\+/, ""),
    esm_class: part.udhi ? 0x40 : 0x00,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: segmented.dataCoding,
    sm_default_msg_id: 0,
    short_message: part.shortMessage,
    ...(part.tlvs ? { tlvs: { ...part.tlvs } } : {}),
  }));
}
