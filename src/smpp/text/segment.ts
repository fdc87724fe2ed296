/**
 * Splitting outbound text into SMS segments (NOTES.md §9), for sending (`segmentText`, with the octets
 * of each short_message) and for the preview endpoint (`previewSegments`, counting only). Both use the
 * same split, so a preview always matches what is sent.
 *
 * Limits in units (septets for GSM, octets for Latin-1, UTF-16 units for UCS-2):
 *
 * | encoding | single | udh8 (05 00 03) | udh16 (06 08 04) and sar |
 * |---|---|---|---|
 * | gsm7 | 160 | 153 | 152 |
 * | latin1 | 140 | 134 | 132 |
 * | ucs2 | 70 | 67 | 66 |
 *
 * - `sar` carries no UDH in SMPP, but the SMSC adds one on the air. sar_msg_ref_num is 16 bits, so an
 *   SMSC that keeps the reference must use the 16-bit-reference IE (7 octets); the udh16 limits fit
 *   whichever IE it picks, at the cost of one unit per segment.
 * - latin1 with a 16-bit UDH: 140 − 7 = 133 octets would fit; issue #2 fixes 132, which we follow.
 * - `payload` sends the whole text in one message_payload TLV and lets the SMSC segment it; segments are
 *   counted with the udh8 limits. A text that fits one SMS in at most 140 octets still goes in
 *   short_message, which every SMSC accepts.
 * - Extension characters cost 2 septets and a surrogate pair 2 units; neither is ever split.
 */

import type { Dcs0Charset } from "./data-coding.js";
import { assertEncodable } from "./encoding.js";
import { type TextEncoding, TooManySegmentsError } from "./errors.js";
import { encodeGsm7, gsm7Cost, gsm7FillBits, packSeptets } from "./gsm7.js";
import { encodeAscii, encodeLatin1 } from "./latin1.js";
import { encodeUcs2 } from "./ucs2.js";
import { buildConcatUdh } from "./udh.js";

/** How a text longer than one SMS is sent (DESIGN.md §4 `long_message_mode`). */
export type LongMessageMode = "udh8" | "udh16" | "sar" | "payload";

/** Most segments a concatenated message can have (the total is one octet). */
export const MAX_SEGMENTS = 255;

/** Largest short_message a single SMS may occupy on the air, in octets. */
const SMS_OCTETS = 140;

const SINGLE: Record<TextEncoding, number> = { gsm7: 160, latin1: 140, ucs2: 70 };
const PER_SEGMENT: Record<TextEncoding, Record<LongMessageMode, number>> = {
  gsm7: { udh8: 153, udh16: 152, sar: 152, payload: 153 },
  latin1: { udh8: 134, udh16: 132, sar: 132, payload: 134 },
  ucs2: { udh8: 67, udh16: 66, sar: 66, payload: 67 },
};
/** UDH octets (UDHL included) each mode puts in front of a segment's text. */
const UDH_OCTETS: Record<LongMessageMode, number> = { udh8: 6, udh16: 7, sar: 0, payload: 0 };

/** Units one SMS holds for `encoding`, alone and as a segment of a concatenated message. */
export function segmentLimits(
  encoding: TextEncoding,
  mode: LongMessageMode,
): { single: number; perSegment: number } {
  return { single: SINGLE[encoding], perSegment: PER_SEGMENT[encoding][mode] };
}

/** Options of `previewSegments` and `segmentText`. */
export interface SegmentOptions {
  /** Encoding already chosen (see `chooseEncoding`). */
  encoding: TextEncoding;
  /** How long texts are carried. Default `udh8`. */
  mode?: LongMessageMode;
  /** What DCS 0 means on the upstream (only matters for gsm7). Default `gsm7` (unpacked septets). */
  dcs0Charset?: Dcs0Charset;
}

/** One segment as the preview endpoint shows it. */
export interface PreviewPart {
  /** 1-based. */
  index: number;
  text: string;
  /** Septets (gsm7), octets (latin1) or UTF-16 units (ucs2). */
  units: number;
}

/** `POST /v1/messages/preview` body. */
export interface SegmentPreview {
  encoding: TextEncoding;
  segments: number;
  /** Code points in the text (an emoji counts 1). */
  characters: number;
  parts: PreviewPart[];
}

interface Span {
  /** UTF-16 index of the first character. */
  start: number;
  /** UTF-16 index after the last character. */
  end: number;
  units: number;
}

/**
 * Segments of `text` without building any octets. Throws `UnencodableCharacterError` when the encoding
 * cannot carry the text and `TooManySegmentsError` above 255 segments.
 */
export function previewSegments(text: string, options: SegmentOptions): SegmentPreview {
  const spans = split(text, options);
  let characters = 0;
  for (const _ of text) characters++;
  return {
    encoding: options.encoding,
    segments: spans.length,
    characters,
    parts: spans.map((s, i) => ({ index: i + 1, text: text.slice(s.start, s.end), units: s.units })),
  };
}

/** Number of SMS segments `text` takes (same rules and errors as `previewSegments`). */
export function countSegments(text: string, encoding: TextEncoding, mode: LongMessageMode = "udh8"): number {
  return split(text, { encoding, mode }).length;
}

/** SAR TLVs of one segment (SMPP v3.4 §5.3.2.22–24). */
export interface SarTlvs {
  sar_msg_ref_num: number;
  sar_total_segments: number;
  sar_segment_seqnum: number;
}

/** One submit_sm worth of a segmented text. */
export interface SegmentPart extends PreviewPart {
  /** The short_message octets, UDH included when `udhi`; empty when the text is in message_payload. */
  shortMessage: Buffer;
  /** Set esm_class bit 0x40 (UDHI) for this part. */
  udhi: boolean;
  /** TLVs to add: SAR numbering, or the whole text as message_payload. */
  tlvs?: SarTlvs | { message_payload: Buffer };
}

/** A text ready for submit_sm. */
export interface SegmentedText {
  /** data_coding for every part: 0 (GSM default alphabet, as the upstream's DCS 0), 3 Latin-1, 8 UCS2. */
  dataCoding: number;
  /** Segments on the air (for `payload` as the SMSC will split it). */
  segments: number;
  parts: SegmentPart[];
}

/** Options of `segmentText`. */
export interface SegmentTextOptions extends SegmentOptions {
  /**
   * Concatenation reference shared by the parts; reduced modulo 256 for udh8 and 65536 otherwise. The
   * caller rolls it per destination.
   */
  reference: number;
}

const DATA_CODING: Record<TextEncoding, number> = { gsm7: 0x00, latin1: 0x03, ucs2: 0x08 };

/**
 * Splits and encodes `text` for submit_sm. Throws `UnencodableCharacterError` (index over the whole text)
 * and `TooManySegmentsError`.
 */
export function segmentText(text: string, options: SegmentTextOptions): SegmentedText {
  const mode = options.mode ?? "udh8";
  const dcs0 = options.dcs0Charset ?? "gsm7";
  const { encoding } = options;
  const spans = split(text, { encoding, mode, dcs0Charset: dcs0 });
  const dataCoding = DATA_CODING[encoding];
  const first = spans[0] ?? { start: 0, end: 0, units: 0 };

  if (spans.length === 1) {
    const shortMessage = encodePart(text, encoding, dcs0, 0);
    if (mode !== "payload" || shortMessage.length <= SMS_OCTETS) {
      return {
        dataCoding,
        segments: 1,
        parts: [{ index: 1, text, units: first.units, shortMessage, udhi: false }],
      };
    }
  }
  if (mode === "payload") {
    const payload = encodePart(text, encoding, dcs0, 0);
    const units = spans.reduce((sum, s) => sum + s.units, 0);
    const part: SegmentPart = {
      index: 1,
      text,
      units,
      shortMessage: Buffer.alloc(0),
      udhi: false,
      tlvs: { message_payload: payload },
    };
    return { dataCoding, segments: spans.length, parts: [part] };
  }

  const total = spans.length;
  const ref = mode === "udh8" ? options.reference & 0xff : options.reference & 0xffff;
  const parts = spans.map((span, i): SegmentPart => {
    const seq = i + 1;
    const partText = text.slice(span.start, span.end);
    const base = { index: seq, text: partText, units: span.units };
    if (mode === "sar") {
      const tlvs = { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq };
      return { ...base, shortMessage: encodePart(partText, encoding, dcs0, 0), udhi: false, tlvs };
    }
    const udh = buildConcatUdh({ ref, total, seq, refBits: mode === "udh8" ? 8 : 16 });
    const body = encodePart(partText, encoding, dcs0, gsm7FillBits(udh.length));
    return { ...base, shortMessage: Buffer.concat([udh, body]), udhi: true };
  });
  return { dataCoding, segments: total, parts };
}

function encodePart(text: string, encoding: TextEncoding, dcs0: Dcs0Charset, fillBits: number): Buffer {
  switch (encoding) {
    case "ucs2":
      return encodeUcs2(text);
    case "latin1":
      return encodeLatin1(text);
    case "gsm7":
      switch (dcs0) {
        case "gsm7":
          return encodeGsm7(text);
        case "gsm7-packed":
          return packSeptets(encodeGsm7(text), fillBits);
        case "latin1":
          return encodeLatin1(text);
        case "ascii":
          return encodeAscii(text);
      }
  }
}

/** The split shared by preview and send. */
function split(text: string, options: SegmentOptions): Span[] {
  const mode = options.mode ?? "udh8";
  const dcs0 = options.dcs0Charset ?? "gsm7";
  const { encoding } = options;
  assertEncodable(text, encoding, dcs0);
  // Packed septets ending with a CR exactly on an octet boundary look like CR padding (23.038 §6.1.2.3.1).
  const packed = encoding === "gsm7" && dcs0 === "gsm7-packed";
  const { single, perSegment } = segmentLimits(encoding, mode);

  const totalUnits = countUnits(text, encoding);
  const singleCost = packed ? totalUnits + extraPackedCr(text, 0, text.length, totalUnits, 0) : totalUnits;
  if (singleCost <= single) return [{ start: 0, end: text.length, units: totalUnits }];

  const fill = mode === "payload" ? 0 : gsm7FillBits(UDH_OCTETS[mode]);
  const spans: Span[] = [];
  let start = 0;
  let units = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let cost = 1;
    let width = 1;
    if (encoding === "gsm7") cost = gsm7Cost(c);
    else if (encoding === "ucs2" && isSurrogatePair(c, text.charCodeAt(i + 1))) cost = width = 2;
    if (units + cost > perSegment) {
      // A CR ending a packed segment on an octet boundary would read as padding: it opens the next one.
      const moveCr = packed && endsWithCrOnBoundary(text, start, i, units, fill);
      const end = moveCr ? i - 1 : i;
      spans.push({ start, end, units: moveCr ? units - 1 : units });
      start = end;
      units = moveCr ? 1 : 0;
    }
    units += cost;
    i += width;
  }
  if (packed && units + extraPackedCr(text, start, text.length, units, fill) > perSegment) {
    // No room for the second CR packSeptets adds: the final CR becomes a segment of its own.
    spans.push({ start, end: text.length - 1, units: units - 1 });
    start = text.length - 1;
    units = 1;
  }
  spans.push({ start, end: text.length, units });
  if (spans.length > MAX_SEGMENTS) throw new TooManySegmentsError(spans.length);
  return spans;
}

function endsWithCrOnBoundary(
  text: string,
  start: number,
  end: number,
  units: number,
  fill: number,
): boolean {
  return end > start && text.charCodeAt(end - 1) === 0x0d && (fill + 7 * units) % 8 === 0;
}

/** The second CR `packSeptets` adds to a final CR on an octet boundary: 1 septet, else 0. */
function extraPackedCr(text: string, start: number, end: number, units: number, fill: number): number {
  return endsWithCrOnBoundary(text, start, end, units, fill) ? 1 : 0;
}

/** Units of an encodable text: septets (extension characters 2), octets, or UTF-16 units. */
function countUnits(text: string, encoding: TextEncoding): number {
  if (encoding !== "gsm7") return text.length;
  let units = 0;
  for (let i = 0; i < text.length; i++) units += gsm7Cost(text.charCodeAt(i));
  return units;
}

function isSurrogatePair(high: number, low: number): boolean {
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
