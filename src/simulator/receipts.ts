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
/** Characters whose GSM 03.38 septet equals their ASCII code: space to `#`, `%` to `?`, letters. */
const SAME_IN_GSM_AND_ASCII = /^[ -#%-?A-Za-z]*$/;

function sameInGsmAndAscii(octet: number): boolean {
  return (
    (octet >= 0x20 && octet <= 0x23) ||
    (octet >= 0x25 && octet <= 0x3f) ||
    (octet >= 0x41 && octet <= 0x5a) ||
    (octet >= 0x61 && octet <= 0x7a)
  );
}

/** The addresses of a submit, which a receipt swaps. */
export interface SubmitAddresses {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
}

/** Everything one receipt says but its done date. */
export interface ReceiptInput extends SubmitAddresses {
  /** The message id as the receipt writes it (already in the receipt's id format). */
  messageId: string;
  outcome: ReceiptOutcome;
  /** Epoch milliseconds of the submit. */
  submittedAt: number;
  /** The start of the original text. */
  snippet: string;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

let cachedMinute = -1;
let cachedDate = "";

/** YYMMDDhhmm in UTC, the receipt date format of Appendix B, of epoch milliseconds `ms`. */
export function receiptDate(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  // Thousands of receipts a second share one minute: format it once.
  if (minute === cachedMinute) return cachedDate;
  const date = new Date(minute * 60_000);
  const text =
    two(date.getUTCFullYear() % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes());
  cachedMinute = minute;
  cachedDate = text;
  return text;
}

/** The receipt text: `id:… sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD err:000 text:…`. */
export function receiptText(input: ReceiptInput, doneAt: number): string {
  const details = OUTCOME_DETAILS[input.outcome];
  const err =
    details.err < 10 ? `00${details.err}` : details.err < 100 ? `0${details.err}` : String(details.err);
  return (
    `id:${input.messageId} sub:001 dlvrd:${details.delivered ? "001" : "000"} ` +
    `submit date:${receiptDate(input.submittedAt)} done date:${receiptDate(doneAt)} ` +
    `stat:${input.outcome} err:${err} text:${input.snippet}`
  );
}

/**
 * The deliver_sm of a receipt: addresses swapped (the handset reports back to the sender), esm_class
 * 0x04, the text in GSM 03.38 (DCS 0), and the TLVs receipted_message_id and message_state, plus
 * network_error_code when the message failed.
 */
export function buildReceipt(input: ReceiptInput, doneAt: number): DeliverSmBody {
  const details = OUTCOME_DETAILS[input.outcome];
  const text = receiptText(input, doneAt);
  // Most receipts are plain ASCII letters, digits and punctuation, which GSM 03.38 codes the same.
  const short = SAME_IN_GSM_AND_ASCII.test(text) ? Buffer.from(text, "latin1") : encodeGsm7(text);
  return {
    command: "deliver_sm",
    command_status: 0,
    sequence_number: 0,
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
  // Fast path: GSM, IA5 or Latin-1 octets that read the same in all three.
  if (dataCoding === 0 || dataCoding === 1 || dataCoding === 3) {
    const n = Math.min(body.length, SNIPPET_LENGTH);
    let plain = true;
    for (let i = 0; i < n && plain; i++) plain = sameInGsmAndAscii(body[i] ?? 0);
    if (plain) return Buffer.from(body.buffer, body.byteOffset, n).toString("latin1");
  }
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
