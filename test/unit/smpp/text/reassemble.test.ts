import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type CollectedPart,
  type Dcs0Charset,
  decodeUserData,
  extractConcatInfo,
  findUnencodable,
  GSM7_BASIC_TABLE,
  GSM7_EXTENSION_TABLE,
  gsm7Length,
  InconsistentPartsError,
  type LongMessageMode,
  reassemble,
  segmentLimits,
  segmentText,
  type TextEncoding,
} from "../../../../src/smpp/text/index.js";

const GSM_CHARS = GSM7_BASIC_TABLE.filter((_, septet) => septet !== 0x1b);
const EXT_CHARS = [...GSM7_EXTENSION_TABLE.values()];
const gsmUnit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...GSM_CHARS) },
  { weight: 2, arbitrary: fc.constantFrom(...EXT_CHARS) },
  { weight: 1, arbitrary: fc.constant("\r") },
);
const anyUnit = fc.oneof(
  { weight: 4, arbitrary: gsmUnit },
  { weight: 2, arbitrary: fc.constantFrom("😀", "👍🏽", "🇩🇪", "𝄞", "Ж", "中", "é", "ÿ") },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);
const gsmText = fc.string({ unit: gsmUnit, maxLength: 700, size: "max" });
const anyText = fc.string({ unit: anyUnit, maxLength: 500, size: "max" });
const latin1Text = fc.string({
  unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
  maxLength: 500,
  size: "max",
});

const ENCODINGS: TextEncoding[] = ["gsm7", "latin1", "ucs2"];
const MODES: LongMessageMode[] = ["udh8", "udh16", "sar", "payload"];
const DCS0: Dcs0Charset[] = ["gsm7", "gsm7-packed", "latin1", "ascii"];

interface Combo {
  encoding: TextEncoding;
  mode: LongMessageMode;
  dcs0Charset: Dcs0Charset;
}
const COMBOS: Combo[] = ENCODINGS.flatMap((encoding) =>
  MODES.flatMap((mode) =>
    (encoding === "gsm7" ? DCS0 : (["gsm7"] as const)).map((dcs0Charset) => ({
      encoding,
      mode,
      dcs0Charset,
    })),
  ),
);

/** Sends `text` through segmentText, then receives every part as a PDU would arrive: shuffled, some twice. */
function roundTrip(text: string, combo: Combo, ref: number, shuffleSeed: number): string {
  const segmented = segmentText(text, { ...combo, reference: ref });
  const collected: CollectedPart[] = [];
  let single: string | null = null;
  for (const part of segmented.parts) {
    const msg = {
      esm_class: part.udhi ? 0x40 : 0,
      short_message: part.shortMessage,
      data_coding: segmented.dataCoding,
      ...(part.tlvs ? { tlvs: part.tlvs } : {}),
    };
    const info = extractConcatInfo(msg);
    if (info === null) {
      expect(segmented.parts).toHaveLength(1);
      single = decodeUserData(msg, combo.dcs0Charset).text;
      continue;
    }
    const { seq, total, ref: r, body, fillBits } = info;
    collected.push({ seq, total, ref: r, data: body, dataCoding: segmented.dataCoding, fillBits });
  }
  if (single !== null) return single;
  const arrived = [...collected, ...collected.filter((_, i) => (i + shuffleSeed) % 3 === 0)];
  arrived.sort((a, b) => ((a.seq * 7919 + shuffleSeed) % 101) - ((b.seq * 7919 + shuffleSeed) % 101));
  const result = reassemble(arrived, combo.dcs0Charset);
  if (!result.complete) throw new Error(`missing ${result.missing.join(",")}`);
  return result.text;
}

/** Units of a part's text counted independently of the segmenter. */
function unitsOf(text: string, encoding: TextEncoding): number {
  return encoding === "gsm7" ? gsm7Length(text) : text.length;
}

/**
 * 23.038 §6.1.2.3.1: packed septets that end with CR exactly on an octet boundary get a second CR, which
 * a receiver cannot tell from a real one; everything else comes back exactly.
 */
function expectedBack(text: string, combo: Combo): string {
  if (combo.encoding !== "gsm7" || combo.dcs0Charset !== "gsm7-packed" || !text.endsWith("\r")) return text;
  const segmented = segmentText(text, { ...combo, reference: 0 });
  const last = segmented.parts[segmented.parts.length - 1];
  if (last === undefined) return text;
  const fill = last.udhi ? (combo.mode === "udh8" ? 1 : 0) : 0;
  return (fill + 7 * last.units) % 8 === 0 ? `${text}\r` : text;
}

function checkParts(text: string, combo: Combo): void {
  const segmented = segmentText(text, { ...combo, reference: 5 });
  const { single, perSegment } = segmentLimits(combo.encoding, combo.mode);
  expect(segmented.parts.map((p) => p.text).join("")).toBe(text);
  if (combo.mode === "payload" && segmented.parts[0]?.tlvs) return;
  const limit = segmented.parts.length === 1 ? single : perSegment;
  for (const part of segmented.parts) {
    expect(part.units).toBe(unitsOf(part.text, combo.encoding));
    expect(part.units).toBeLessThanOrEqual(limit);
    const packedOrOctets = combo.encoding !== "gsm7" || combo.dcs0Charset === "gsm7-packed";
    if (packedOrOctets) expect(part.shortMessage.length).toBeLessThanOrEqual(140);
  }
  for (let i = 1; i < segmented.parts.length; i++) {
    const before = segmented.parts[i - 1]?.text ?? "";
    const after = segmented.parts[i]?.text ?? "";
    const high = before.charCodeAt(before.length - 1);
    const low = after.charCodeAt(0);
    const splitPair = high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
    expect(splitPair).toBe(false);
  }
}

describe("segment + reassemble round trip (property)", () => {
  test("any Unicode text, every encoding/mode/DCS-0 charset that can carry it", () => {
    fc.assert(
      fc.property(anyText, fc.nat(0xffff), fc.nat(100), (text, ref, seed) => {
        for (const combo of COMBOS) {
          if (findUnencodable(text, combo.encoding, combo.dcs0Charset) !== null) continue;
          checkParts(text, combo);
          expect(roundTrip(text, combo, ref, seed)).toBe(expectedBack(text, combo));
        }
      }),
      { numRuns: 150 },
    );
  });

  test("GSM texts (extension characters and CRs at every position) in every mode and DCS-0 charset", () => {
    fc.assert(
      fc.property(gsmText, fc.nat(0xffff), fc.nat(100), (text, ref, seed) => {
        for (const combo of COMBOS) {
          if (findUnencodable(text, combo.encoding, combo.dcs0Charset) !== null) continue;
          checkParts(text, combo);
          expect(roundTrip(text, combo, ref, seed)).toBe(expectedBack(text, combo));
        }
      }),
      { numRuns: 150 },
    );
  });

  test("Latin-1 texts in every mode", () => {
    fc.assert(
      fc.property(latin1Text, fc.nat(0xffff), fc.nat(100), (text, ref, seed) => {
        for (const combo of COMBOS) {
          if (findUnencodable(text, combo.encoding, combo.dcs0Charset) !== null) continue;
          checkParts(text, combo);
          expect(roundTrip(text, combo, ref, seed)).toBe(expectedBack(text, combo));
        }
      }),
      { numRuns: 100 },
    );
  });

  test("texts right around the segment boundaries", () => {
    const lengths = [152, 153, 154, 159, 160, 161, 305, 306, 307];
    for (const n of lengths) {
      for (const fillChar of ["a", "€", "\r", "😀"]) {
        const text = fillChar.repeat(n);
        for (const combo of COMBOS) {
          if (findUnencodable(text, combo.encoding, combo.dcs0Charset) !== null) continue;
          checkParts(text, combo);
          expect(roundTrip(text, combo, 42, n)).toBe(expectedBack(text, combo));
        }
      }
    }
  });
});

describe("reassemble", () => {
  const part = (seq: number, data: string, extra: Partial<CollectedPart> = {}): CollectedPart => ({
    seq,
    total: 3,
    ref: 9,
    data: Buffer.from(data, "latin1"),
    dataCoding: 0,
    ...extra,
  });

  test("any order, duplicates ignored", () => {
    const result = reassemble([part(3, "ghi"), part(1, "abc"), part(2, "def"), part(1, "XXX")]);
    expect(result).toEqual({ complete: true, text: "abcdefghi", encoding: "gsm7" });
  });

  test("missing parts are listed", () => {
    expect(reassemble([part(2, "def")])).toEqual({ complete: false, missing: [1, 3] });
    expect(reassemble([part(3, "x"), part(3, "x"), part(9, "out of range")])).toEqual({
      complete: false,
      missing: [1, 2],
    });
  });

  test("parts of different messages or no parts are an InconsistentPartsError", () => {
    expect(() => reassemble([])).toThrow(InconsistentPartsError);
    expect(() => reassemble([part(1, "a"), part(2, "b", { ref: 10 })])).toThrow(InconsistentPartsError);
    expect(() => reassemble([part(1, "a"), part(2, "b", { total: 4 })])).toThrow(InconsistentPartsError);
  });

  test("an escape pair split across segments by the sender still decodes ('€' = 1B 65)", () => {
    const a = { ...part(1, "ab"), total: 2, data: Buffer.from([0x61, 0x1b]) };
    const b = { ...part(2, ""), total: 2, data: Buffer.from([0x65, 0x62]) };
    expect(reassemble([b, a])).toMatchObject({ complete: true, text: "a€b" });
  });

  test("a surrogate pair (or even one UTF-16 unit) split across UCS2 segments still decodes", () => {
    const bytes = Buffer.from("0041D83DDE000042", "hex"); // "A😀B"
    const parts = [bytes.subarray(0, 3), bytes.subarray(3, 5), bytes.subarray(5)].map((data, i) => ({
      seq: i + 1,
      total: 3,
      ref: 1,
      data,
      dataCoding: 8,
    }));
    expect(reassemble(parts)).toEqual({ complete: true, text: "A😀B", encoding: "ucs2" });
  });

  test("packed GSM after UDHs: each part unpacked after its own fill bits (bytes from the 23.038 layout)", () => {
    // "hellohello" as two segments of "hello" after a 6-octet UDH each: one fill bit, then 5 septets;
    // octets computed by laying the septets LSB-first from bit 1 (independent of our packer).
    const hello = Buffer.from("D06536FB0D", "hex");
    const parts = [1, 2].map((seq) => ({ seq, total: 2, ref: 1, data: hello, dataCoding: 0, fillBits: 1 }));
    expect(reassemble(parts, "gsm7-packed")).toMatchObject({ complete: true, text: "hellohello" });
  });

  test("parts with different data_coding are decoded one by one", () => {
    const gsm = { seq: 1, total: 2, ref: 1, data: Buffer.from("Hi "), dataCoding: 0 };
    const ucs = { seq: 2, total: 2, ref: 1, data: Buffer.from("0416", "hex"), dataCoding: 8 };
    expect(reassemble([ucs, gsm])).toMatchObject({ complete: true, text: "Hi Ж" });
  });
});
