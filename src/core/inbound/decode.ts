/**
 * What one inbound deliver_sm / data_sm carries: a whole SMS (decoded now) or one segment of a
 * concatenated SMS (kept as octets, to be joined with its siblings from the database; joining octets
 * before decoding keeps an escape or surrogate pair the sender split across segments whole).
 */

import type { Encoding } from "../../db/schema.js";
import type { InboundPdu } from "../../smpp/net/types.js";
import {
  type Dcs0Charset,
  decodeShortMessage,
  describeDataCoding,
  extractConcatInfo,
  MalformedUdhError,
  type ShortMessageLike,
  splitUserData,
  toHex,
  unpackSeptets,
} from "../../smpp/text/index.js";
import { normalizeInboundAddress } from "./addresses.js";
import { storedText } from "./text.js";

/** A whole inbound SMS. */
export interface SingleInbound {
  kind: "single";
  from: string;
  to: string;
  text: string;
  encoding: Encoding;
  dataCoding: number;
  /** The user data octets as received (any header included): with the rest, what makes it the same SMS. */
  userData: Uint8Array;
}

/** One segment of a concatenated inbound SMS. */
export interface InboundSegment {
  kind: "part";
  from: string;
  to: string;
  ref: number;
  total: number;
  /** 1-based. */
  seq: number;
  /**
   * The segment's octets without header. Packed GSM is stored unpacked (one septet per octet), so the
   * parts join without knowing each one's fill bits: read them with {@link joinCharset}.
   */
  data: Buffer;
  dataCoding: number;
}

export type DecodedInbound = SingleInbound | InboundSegment;

/** Reads an inbound PDU (not a receipt) with the upstream's DCS 0 charset. Never throws. */
export function decodeInbound(pdu: InboundPdu, dcs0Charset: Dcs0Charset): DecodedInbound {
  const from = normalizeInboundAddress(pdu.source_addr, pdu.source_addr_ton);
  const to = normalizeInboundAddress(pdu.destination_addr, pdu.dest_addr_ton);
  // data_sm has no short_message: its user data is in message_payload.
  const msg: ShortMessageLike =
    pdu.command === "deliver_sm" ? pdu : { ...pdu, short_message: Buffer.alloc(0) };
  const userData = msg.tlvs?.message_payload ?? msg.short_message;
  const dataCoding = pdu.data_coding;
  let concat: ReturnType<typeof extractConcatInfo>;
  try {
    concat = extractConcatInfo(msg);
  } catch (error) {
    if (!(error instanceof MalformedUdhError)) throw error;
    // A header that does not parse: keep every octet, as hex, rather than drop or guess.
    return { kind: "single", from, to, text: toHex(userData), encoding: "binary", dataCoding, userData };
  }
  if (concat !== null && concat.total > 1) {
    const packed = dcs0Charset === "gsm7-packed" && describeDataCoding(pdu.data_coding).charset === "gsm7";
    return {
      kind: "part",
      from,
      to,
      ref: concat.ref,
      total: concat.total,
      seq: concat.seq,
      data: packed ? unpackSeptets(concat.body, concat.fillBits) : Buffer.from(concat.body),
      dataCoding: pdu.data_coding,
    };
  }
  // Not a segment (or a "1 of 1"): the body after any header is the whole text.
  // extractConcatInfo parsed the header already without throwing, so splitUserData cannot throw here.
  const { body, fillBits } = concat ?? splitUserData(msg);
  const decoded = decodeShortMessage(body, pdu.data_coding, dcs0Charset, fillBits);
  return { kind: "single", from, to, ...storedText(decoded, body), dataCoding, userData };
}

/** The DCS 0 charset to join stored segments with: they are already unpacked (see {@link InboundSegment}). */
export function joinCharset(dcs0Charset: Dcs0Charset): Dcs0Charset {
  return dcs0Charset === "gsm7-packed" ? "gsm7" : dcs0Charset;
}
