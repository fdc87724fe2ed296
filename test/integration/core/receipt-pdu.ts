/** A deliver_sm receipt as SMSCs send it (text form, esm_class 0x04), for the SMSC id `id`. */
import type { InboundPdu } from "../../../src/smpp/net/types.js";

export function receiptPdu(id: string, stat: string, err = "000"): InboundPdu {
  const dlvrd = stat === "DELIVRD" ? "001" : "000";
  const text = `id:${id} sub:001 dlvrd:${dlvrd} submit date:2601011200 done date:2601011201 stat:${stat} err:${err} text:`;
  return {
    command: "deliver_sm",
    command_status: 0,
    sequence_number: 1,
    service_type: "",
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: "447700900123",
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: "ACME",
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(text, "latin1"),
  };
}
