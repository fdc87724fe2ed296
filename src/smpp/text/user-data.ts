/**
 * The user data of an inbound short message: header stripped, concatenation found (UDH IE 0x00/0x08 or
 * SAR TLVs), text decoded. Structural input, so any decoded deliver_sm/data_sm/submit_sm fits.
 */

import { type Dcs0Charset, type DecodedText, decodeShortMessage } from "./data-coding.js";
import { gsm7FillBits } from "./gsm7.js";
import { parseUdh, type Udh } from "./udh.js";

/** esm_class bit 6: the user data starts with a header. */
export const ESM_UDHI = 0x40;

/** The fields of a PDU that carry a short message. */
export interface ShortMessageLike {
  esm_class: number;
  short_message: Uint8Array;
  data_coding: number;
  tlvs?: {
    sar_msg_ref_num?: number;
    sar_total_segments?: number;
    sar_segment_seqnum?: number;
    message_payload?: Uint8Array;
  };
}

/** User data split into header and body. */
export interface UserData {
  /** The parsed header when esm_class has UDHI, else null. */
  udh: Udh | null;
  /** The octets after the header. */
  body: Buffer;
  /** Fill bits before the first septet of `body` if it holds packed GSM (0 without a header). */
  fillBits: number;
}

/**
 * Splits the user data (message_payload when present, else short_message) at the header.
 * Throws `MalformedUdhError` when UDHI is set and the header does not fit.
 */
export function splitUserData(msg: Pick<ShortMessageLike, "esm_class" | "short_message" | "tlvs">): UserData {
  const raw = msg.tlvs?.message_payload ?? msg.short_message;
  const data = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if ((msg.esm_class & ESM_UDHI) === 0) return { udh: null, body: data, fillBits: 0 };
  const udh = parseUdh(data);
  return { udh, body: data.subarray(udh.length), fillBits: gsm7FillBits(udh.length) };
}

/** Where one segment of a concatenated message belongs. */
export interface ConcatInfo {
  ref: number;
  total: number;
  /** 1-based. */
  seq: number;
  /** The segment's octets without the header. */
  body: Buffer;
  /** Fill bits before the first septet of `body` if it holds packed GSM. */
  fillBits: number;
  /** Where the numbering came from. */
  scheme: "udh8" | "udh16" | "sar";
}

/**
 * Concatenation info from a UDH (8- or 16-bit reference) or, failing that, from the SAR TLVs; null for
 * a message that is not a segment. A numbering 23.040 says to ignore (total 0, seq 0 or seq > total)
 * counts as not a segment, and so does an incomplete SAR set: the codec keeps a SAR TLV of the wrong
 * length raw, without a typed value, and a guessed reference or count could join the segment to the
 * wrong SMS or leave it waiting for parts that never come. As a single SMS its text is stored and
 * surfaced at once; nothing is lost, it just arrives as a fragment. Throws `MalformedUdhError` like
 * `splitUserData`.
 */
export function extractConcatInfo(msg: ShortMessageLike): ConcatInfo | null {
  const { udh, body, fillBits } = splitUserData(msg);
  if (udh?.concat) {
    const { ref, total, seq, refBits } = udh.concat;
    return { ref, total, seq, body, fillBits, scheme: refBits === 8 ? "udh8" : "udh16" };
  }
  const ref = msg.tlvs?.sar_msg_ref_num;
  const total = msg.tlvs?.sar_total_segments;
  const seq = msg.tlvs?.sar_segment_seqnum;
  if (ref === undefined || total === undefined || seq === undefined) return null;
  if (total < 1 || seq < 1 || seq > total) return null;
  return { ref, total, seq, body, fillBits, scheme: "sar" };
}

/** Text of a single (not concatenated) message, with its header if it had one. */
export function decodeUserData(
  msg: ShortMessageLike,
  dcs0Charset: Dcs0Charset = "gsm7",
): DecodedText & { udh: Udh | null } {
  const { udh, body, fillBits } = splitUserData(msg);
  return { ...decodeShortMessage(body, msg.data_coding, dcs0Charset, fillBits), udh };
}
