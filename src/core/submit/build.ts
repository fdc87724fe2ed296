/**
 * A message's submit_sm PDUs for the upstream it was routed to. The text is segmented here, per upstream,
 * because two settings of the upstream decide the octets: what DCS 0 means there (`dcs0_charset`) and how
 * long texts travel (`long_message_mode`: 8- or 16-bit UDH, SAR TLVs, one message_payload).
 *
 * Parts already accepted by an SMSC are not sent again: when the upstream's split gives the same parts as
 * those stored (the usual case: same texts, same concat reference), only the parts still pending go out,
 * so a resubmitted part 4 carries the same reference and total as parts 1–3 did. When it gives another
 * split (the upstream's mode differs from the one the parts were made with), the stored parts are
 * replaced by the new ones and all of them are sent: a handset can only join parts of one split.
 */

import type { SubmitSmBody } from "../../smpp/net/types.js";
import {
  ESM_UDHI,
  type SegmentedText,
  type SegmentPart,
  segmentText,
  type TextEncoding,
  UnencodableCharacterError,
} from "../../smpp/text/index.js";
import { formatRelative } from "../../smpp/time.js";
import type { MessagePartRow, MessageRow } from "../messages/sink.js";
import { destinationAddress, senderAddress } from "../messages/validate/addresses.js";
import type { Dcs0Charset, LongMessageMode } from "../upstream-runtime.js";

/** The upstream settings that shape a submit_sm. */
export interface SubmitSettings {
  /** Overrides the sender's type of number; null: from the sender's form (see senderAddress). */
  source_ton: number | null;
  source_npi: number | null;
  /** Overrides the destination's type of number; null: international (1/1). */
  dest_ton: number | null;
  dest_npi: number | null;
  dcs0_charset: Dcs0Charset;
  long_message_mode: LongMessageMode;
}

/** One submit_sm to send. */
export interface PlannedPart {
  /** 1-based part index (the message_parts row). */
  index: number;
  /** The characters this part carries. */
  text: string;
  body: SubmitSmBody;
}

export interface SubmitPlan {
  /** The submits to send now, in part order. */
  send: PlannedPart[];
  /** Parts in this split (1 for payload mode). */
  total: number;
  /** The stored parts do not match this split: every part row is rewritten with this plan. */
  replace: boolean;
}

/** registered_delivery asking for an SMSC delivery receipt on success and failure (§5.2.17). */
export const RECEIPT_REQUESTED = 0x01;

/**
 * Plans the submits of `message` (with its stored `parts`) for an upstream. Validity is sent relative to
 * `now`: what is left of the message's validity period, so a retry never asks the SMSC for more.
 * Throws when the message cannot be encoded at all (it was validated at acceptance, so only a text in
 * the `binary` encoding can, which the API never stores).
 */
export function planSubmits(
  message: MessageRow,
  parts: readonly MessagePartRow[],
  upstream: SubmitSettings,
  now: Date,
): SubmitPlan {
  const segmented = segment(message, upstream);
  const stored = [...parts].sort((a, b) => a.index - b.index);
  const sameSplit =
    stored.length === segmented.parts.length &&
    stored.every((part, i) => part.text === segmented.parts[i]?.text);
  const template = baseBody(message, upstream, now, segmented.dataCoding);
  const toBody = (part: SegmentPart): SubmitSmBody => ({
    ...template,
    esm_class: part.udhi ? ESM_UDHI : 0,
    short_message: part.shortMessage,
    ...(part.tlvs !== undefined && { tlvs: part.tlvs }),
  });
  const planned = segmented.parts.map((part) => ({ index: part.index, text: part.text, body: toBody(part) }));
  if (!sameSplit) return { send: planned, total: planned.length, replace: true };
  const pending = new Set(stored.filter((p) => p.smscMessageId === null).map((p) => p.index));
  return { send: planned.filter((p) => pending.has(p.index)), total: planned.length, replace: false };
}

/** Seconds of validity left at `now` (at least 1); null when the message has no validity period. */
export function validityLeft(expiresAt: Date | null, now: Date): number | null {
  if (expiresAt === null) return null;
  return Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));
}

function segment(message: MessageRow, upstream: SubmitSettings): SegmentedText {
  const encoding = textEncoding(message.encoding);
  const options = {
    mode: upstream.long_message_mode,
    dcs0Charset: upstream.dcs0_charset,
    reference: message.concatRef ?? 0,
  };
  try {
    return segmentText(message.text, { ...options, encoding });
  } catch (error) {
    // GSM text the upstream cannot carry as DCS 0 (it reads DCS 0 as ASCII or Latin-1 and the text
    // has, say, "€"): UCS-2 carries any text, at the cost of more segments.
    if (error instanceof UnencodableCharacterError && encoding === "gsm7") {
      return segmentText(message.text, { ...options, encoding: "ucs2" });
    }
    throw error;
  }
}

function textEncoding(encoding: MessageRow["encoding"]): TextEncoding {
  if (encoding === "binary") throw new Error("binary messages cannot be segmented as text");
  return encoding;
}

function baseBody(
  message: MessageRow,
  upstream: SubmitSettings,
  now: Date,
  dataCoding: number,
): Omit<SubmitSmBody, "esm_class" | "short_message"> {
  const source = senderAddress(message.from);
  const destination = destinationAddress(message.to);
  const validity = validityLeft(message.expiresAt, now);
  return {
    service_type: "",
    source_addr_ton: upstream.source_ton ?? source.ton,
    source_addr_npi: upstream.source_npi ?? source.npi,
    source_addr: source.address,
    dest_addr_ton: upstream.dest_ton ?? destination.ton,
    dest_addr_npi: upstream.dest_npi ?? destination.npi,
    destination_addr: destination.address,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: "",
    validity_period: validity === null ? "" : formatRelative(validity),
    registered_delivery: message.deliveryReport ? RECEIPT_REQUESTED : 0,
    replace_if_present_flag: 0,
    data_coding: dataCoding,
    sm_default_msg_id: 0,
  };
}
