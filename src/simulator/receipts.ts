import { decodeShortMessage } from "../smpp/text/data-coding.js";
import { encodeGsm7, gsm7Cost } from "../smpp/text/gsm7.js";
import type { DeliverSmBody } from "./delivery-queue.js";
import { OUTCOME_DETAILS, type ReceiptOutcome } from "./outcomes.js";

/** esm_class message type "SMSC delivery receipt" (§5.2.12). */
export const ESM_CLASS_RECEIPT = 0x04;
/** network_error_code network type for GSM. */
const NETWORK_TYPE_GSM = 3;
/** Characters of the original text a receipt repeats (Appendix B: 20). */
const SNIPPET_LENGTH = 20;

/** The addresses of a submit, which a receipt swaps. */
export interface SubmitAddresses {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
}

/** Everything one receipt says. */
export interface ReceiptInput extends SubmitAddresses {
  /** The message id as the receipt writes it (already in the receipt's id format). */
  messageId: string;
  outcome: ReceiptOutcome;
  submittedAt: Date;
  doneAt: Date;
  /** The start of the original text. */
  snippet: string;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** YYMMDDhhmm in UTC, the receipt date format of Appendix B. */
export function receiptDate(date: Date): string {
  return (
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes())
  );
}

/** The receipt text: `id:… sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD err:000 text:…`. */
export function receiptText(input: ReceiptInput): string {
  const details = OUTCOME_DETAILS[input.outcome];
  const err = String(details.err).padStart(3, "0");
  return (
    `id:${input.messageId} sub:001 dlvrd:${details.delivered ? "001" : "000"} ` +
    `submit date:${receiptDate(input.submittedAt)} done date:${receiptDate(input.doneAt)} ` +
    `stat:${input.outcome} err:${err} text:${input.snippet}`
  );
}

/**
 * The deliver_sm of a receipt: addresses swapped (the handset reports back to the sender), esm_class
 * 0x04, the text in GSM 03.38 (DCS 0), and the TLVs receipted_message_id and message_state, plus
 * network_error_code when the message failed.
 */
export function buildReceipt(input: ReceiptInput): DeliverSmBody {
  const details = OUTCOME_DETAILS[input.outcome];
  const short = encodeGsm7(receiptText(input));
  return {
    service_type: "",
    source_addr_ton: input.dest_addr_ton,
    source_addr_npi: input.dest_addr_npi,
    source_addr: input.destination_addr,
    dest_addr_ton: input.source_addr_ton,
    dest_addr_npi: input.source_addr_npi,
    destination_addr: input.source_addr,
    esm_class: ESM_CLASS_RECEIPT,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: "",
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    // A receipt is short; the limit only guards against an absurd message id.
    short_message: short.length > 254 ? short.subarray(0, 254) : short,
    tlvs: details.delivered
      ? { receipted_message_id: input.messageId, message_state: details.messageState }
      : {
          receipted_message_id: input.messageId,
          message_state: details.messageState,
          network_error_code: { network_type: NETWORK_TYPE_GSM, error_code: details.err },
        },
  };
}

/**
 * The first 20 characters of a message body (UDH already removed), reduced to characters that take one
 * GSM septet so the receipt text stays parseable; anything else becomes `?`.
 */
export function receiptSnippet(body: Uint8Array, dataCoding: number): string {
  // Decode a little more than 20 characters' worth of octets: cheap, and enough for any encoding.
  const slice = body.subarray(0, SNIPPET_LENGTH * 2);
  let text: string;
  try {
    text = decodeShortMessage(slice, dataCoding).text;
  } catch {
    text = "";
  }
  let out = "";
  for (const ch of text) {
    if (out.length >= SNIPPET_LENGTH) break;
    const code = ch.charCodeAt(0);
    out += ch.length === 1 && code >= 0x20 && gsm7Cost(code) === 1 ? ch : "?";
  }
  return out;
}
