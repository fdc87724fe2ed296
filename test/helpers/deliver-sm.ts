import { emptyPdu } from "../../src/smpp/codec.js";
import type { PduOf } from "../../src/smpp/pdu.js";

/**
 * A deliver_sm as an SMSC sends a mobile-originated SMS: international numbers, GSM default
 * alphabet, no TLVs; `fields` replace any of it (a receipt sets esm_class 0x04 and its text).
 */
export function deliverSm(fields: Partial<PduOf<"deliver_sm">> = {}): PduOf<"deliver_sm"> {
  return {
    ...emptyPdu("deliver_sm", 1),
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: "447700900123",
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: "447700900999",
    ...fields,
  };
}
