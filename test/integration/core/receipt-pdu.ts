/** A deliver_sm receipt as SMSCs send it (text form, esm_class 0x04), for the SMSC id `id`. */
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { deliverSm } from "../../helpers/deliver-sm.js";

export function receiptPdu(id: string, stat: string, err = "000"): InboundPdu {
  const dlvrd = stat === "DELIVRD" ? "001" : "000";
  const text = `id:${id} sub:001 dlvrd:${dlvrd} submit date:2601011200 done date:2601011201 stat:${stat} err:${err} text:`;
  return deliverSm({
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: "ACME",
    esm_class: 0x04,
    short_message: Buffer.from(text, "latin1"),
  });
}
