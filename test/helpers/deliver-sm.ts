import type { PduOf } from "../../src/smpp/pdu.js";

/**
 * A deliver_sm as an SMSC sends a mobile-originated SMS: international numbers, GSM default
 * alphabet, no TLVs; `fields` replace any of it (a receipt sets esm_class 0x04 and its text).
 */
export function deliverSm(fields: Partial<PduOf<"deliver_sm">> = {}): PduOf<"deliver_sm"> {
  return {
    command: "deliver_sm",
    command_status: 0,
    sequence_number: 1,
    service_type: "",
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: "447700900123",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: "447700900999",
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.alloc(0),
    ...fields,
  };
}
