/**
 * Reassembly of a concatenated inbound message from the segments collected so far: a pure function, so
 * the caller owns storage and expiry. Segment octets are joined before decoding, so an escape or a
 * surrogate pair split across segments by the sender still decodes.
 */

import { type Dcs0Charset, type DecodedText, decodeShortMessage, describeDataCoding } from "./data-coding.js";
import { InconsistentPartsError } from "./errors.js";
import { decodeGsm7, unpackSeptets } from "./gsm7.js";

/** One collected segment (see `extractConcatInfo`). */
export interface CollectedPart {
  /** 1-based. */
  seq: number;
  total: number;
  ref: number;
  /** Segment octets without the header. */
  data: Uint8Array;
  dataCoding: number;
  /** Fill bits before the first packed septet; only read for packed GSM. Default 0. */
  fillBits?: number;
}

/** The whole text, or which segments are still missing. */
export type ReassemblyResult = ({ complete: true } & DecodedText) | { complete: false; missing: number[] };

/**
 * Joins segments in seq order. Order of arrival does not matter; a repeated seq keeps the first copy;
 * a seq outside 1..total is ignored. Throws `InconsistentPartsError` for no parts or parts whose ref or
 * total differ (the caller groups by source, ref and total). The first segment's data_coding decides how
 * the joined octets are read, unless the segments disagree: then each is decoded on its own.
 */
export function reassemble(
  parts: readonly CollectedPart[],
  dcs0Charset: Dcs0Charset = "gsm7",
): ReassemblyResult {
  const head = parts[0];
  if (head === undefined) throw new InconsistentPartsError("no parts to reassemble");
  const { total, ref } = head;
  const bySeq = new Map<number, CollectedPart>();
  for (const part of parts) {
    if (part.total !== total || part.ref !== ref) {
      throw new InconsistentPartsError(
        `part ${part.seq} has ref ${part.ref}/${part.total}, expected ${ref}/${total}`,
      );
    }
    if (part.seq >= 1 && part.seq <= total && !bySeq.has(part.seq)) bySeq.set(part.seq, part);
  }
  const ordered: CollectedPart[] = [];
  const missing: number[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const part = bySeq.get(seq);
    if (part === undefined) missing.push(seq);
    else ordered.push(part);
  }
  if (missing.length > 0) return { complete: false, missing };
  return { complete: true, ...decodeJoined(ordered, dcs0Charset) };
}

function decodeJoined(ordered: CollectedPart[], dcs0Charset: Dcs0Charset): DecodedText {
  const first = ordered[0];
  if (first === undefined) return { text: "", encoding: "gsm7" };
  const sameCoding = ordered.every((p) => p.dataCoding === first.dataCoding);
  if (!sameCoding) {
    const decoded = ordered.map((p) =>
      decodeShortMessage(p.data, p.dataCoding, dcs0Charset, p.fillBits ?? 0),
    );
    return { text: decoded.map((d) => d.text).join(""), encoding: decoded[0]?.encoding ?? "binary" };
  }
  const packed = dcs0Charset === "gsm7-packed" && describeDataCoding(first.dataCoding).charset === "gsm7";
  if (packed) {
    // Each segment was packed on its own, after its own header's fill bits.
    const septets = Buffer.concat(ordered.map((p) => unpackSeptets(p.data, p.fillBits ?? 0)));
    return { text: decodeGsm7(septets), encoding: "gsm7" };
  }
  return decodeShortMessage(Buffer.concat(ordered.map((p) => p.data)), first.dataCoding, dcs0Charset);
}
