/**
 * Stored segments of one concatenated inbound SMS → its text: all of them (a complete set), or the ones
 * that arrived (an incomplete set surfaced after its wait). Segments are stored unpacked, so they are
 * read with `joinCharset` of the upstream's DCS 0 charset.
 */

import type { Encoding } from "../../db/schema.js";
import { type CollectedPart, type Dcs0Charset, reassemble, toHex } from "../../smpp/text/index.js";
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
 * Joins what is there in sequence order, a repeated seq keeping its first copy. Neighbouring segments
 * are joined as octets before decoding (the text layer's reassembly: same-coding octets joined, mixed
 * codings decoded one by one), so an escape or surrogate pair the sender split stays whole; across a
 * missing segment they are not, so the two sides of a gap never make up a character that was not sent.
 * Null for no segment at all.
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
  const runs: StoredSegment[][] = [];
  for (const s of ordered) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1)?.seq === s.seq - 1) run.push(s);
    else runs.push([s]);
  }
  const texts = runs.map((run) => joinRun(run, dcs0Charset));
  return {
    text: texts.map((t) => t.text).join(""),
    encoding: texts[0]?.encoding ?? "binary",
    segments: ordered.length,
    dataCoding: first.dataCoding,
  };
}

/** Consecutive segments → their text, a surrogate cut off at either end shown as U+FFFD. */
function joinRun(
  run: readonly StoredSegment[],
  dcs0Charset: Dcs0Charset,
): { text: string; encoding: Encoding } {
  const parts: CollectedPart[] = run.map((s, i) => ({
    seq: i + 1,
    total: run.length,
    ref: 0,
    data: s.data,
    dataCoding: s.dataCoding,
  }));
  const result = reassemble(parts, joinCharset(dcs0Charset));
  const raw = Buffer.concat(run.map((s) => s.data));
  // Complete by construction: every number 1..n is present.
  if (!result.complete) return { text: toHex(raw), encoding: "binary" };
  const { text, encoding } = storedText(result, raw);
  // Joined with its neighbour across the gap, a cut-off half would pair with the other side's.
  return { text: text.replace(/^[\udc00-\udfff]/, "\ufffd").replace(/[\ud800-\udbff]$/, "\ufffd"), encoding };
}
