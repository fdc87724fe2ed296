/**
 * Stored segments of one concatenated inbound SMS → its text: all of them (a complete set), or the ones
 * that arrived (an incomplete set surfaced after its wait). Segments are stored unpacked, so they are
 * read with `joinCharset` of the upstream's DCS 0 charset.
 */

import type { Encoding } from "../../db/schema.js";
import { type CollectedPart, type Dcs0Charset, reassemble } from "../../smpp/text/index.js";
import { joinCharset } from "./decode.js";
import { storedText } from "./text.js";

/** One stored segment. */
export interface StoredSegment {
  seq: number;
  data: Uint8Array;
  dataCoding: number;
}

export interface JoinedText {
  text: string;
  encoding: Encoding;
  /** Distinct segments the text is made of. */
  segments: number;
  /** The first segment's data_coding. */
  dataCoding: number;
}

/** The distinct sequence numbers present in 1..total. */
export function presentSeqs(segments: readonly StoredSegment[], total: number): number[] {
  const seqs = new Set<number>();
  for (const s of segments) if (s.seq >= 1 && s.seq <= total) seqs.add(s.seq);
  return [...seqs].sort((a, b) => a - b);
}

/**
 * Joins what is there in sequence order, a repeated seq keeping its first copy. For a set with gaps the
 * present segments are numbered 1..n, so the text layer's reassembly (same-coding octets joined before
 * decoding, mixed codings decoded one by one) serves incomplete sets too. Null for no segment at all.
 */
export function joinSegments(
  segments: readonly StoredSegment[],
  total: number,
  dcs0Charset: Dcs0Charset,
): JoinedText | null {
  const bySeq = new Map<number, StoredSegment>();
  for (const s of segments) if (s.seq >= 1 && s.seq <= total && !bySeq.has(s.seq)) bySeq.set(s.seq, s);
  const ordered = [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  const first = ordered[0];
  if (first === undefined) return null;
  const parts: CollectedPart[] = ordered.map((s, i) => ({
    seq: i + 1,
    total: ordered.length,
    ref: 0,
    data: s.data,
    dataCoding: s.dataCoding,
  }));
  const result = reassemble(parts, joinCharset(dcs0Charset));
  // Complete by construction: every number 1..n is present.
  if (!result.complete) return null;
  const raw = Buffer.concat(ordered.map((s) => s.data));
  return { ...storedText(result, raw), segments: ordered.length, dataCoding: first.dataCoding };
}
