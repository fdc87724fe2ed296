import { describe, expect, test } from "vitest";
import {
  countSegments,
  decodeGsm7Packed,
  encodeUcs2,
  previewSegments,
  segmentText,
  TooManySegmentsError,
  UnencodableCharacterError,
} from "../../../../src/smpp/text/index.js";

const sizes = (
  text: string,
  encoding: "gsm7" | "latin1" | "ucs2",
  mode?: "udh8" | "udh16" | "sar" | "payload",
) => previewSegments(text, { encoding, ...(mode ? { mode } : {}) }).parts.map((p) => p.units);

describe("boundaries", () => {
  test("GSM: 160 septets is one SMS, 161 is 153 + 8", () => {
    expect(sizes("a".repeat(160), "gsm7")).toEqual([160]);
    expect(sizes("a".repeat(161), "gsm7")).toEqual([153, 8]);
  });

  test("GSM: 153 × 2 is exactly two segments, one more septet is three", () => {
    expect(sizes("a".repeat(306), "gsm7")).toEqual([153, 153]);
    expect(sizes("a".repeat(307), "gsm7")).toEqual([153, 153, 1]);
  });

  test("UCS-2: 70 units is one SMS, 71 is 67 + 4", () => {
    expect(sizes("Ж".repeat(70), "ucs2")).toEqual([70]);
    expect(sizes("Ж".repeat(71), "ucs2")).toEqual([67, 4]);
    expect(sizes("Ж".repeat(134), "ucs2")).toEqual([67, 67]);
  });

  test("Latin-1: 140 octets is one SMS, 141 is 134 + 7", () => {
    expect(sizes("é".repeat(140), "latin1")).toEqual([140]);
    expect(sizes("é".repeat(141), "latin1")).toEqual([134, 7]);
  });

  test("16-bit reference and SAR: 152 / 132 / 66", () => {
    for (const mode of ["udh16", "sar"] as const) {
      expect(sizes("a".repeat(161), "gsm7", mode)).toEqual([152, 9]);
      expect(sizes("é".repeat(141), "latin1", mode)).toEqual([132, 9]);
      expect(sizes("Ж".repeat(71), "ucs2", mode)).toEqual([66, 5]);
      expect(sizes("a".repeat(160), "gsm7", mode)).toEqual([160]);
    }
  });

  test("'€' costs 2 septets: 80 fit one SMS, 81 do not, and no escape pair is split", () => {
    expect(sizes("€".repeat(80), "gsm7")).toEqual([160]);
    expect(sizes("€".repeat(81), "gsm7")).toEqual([152, 10]);
    const parts = previewSegments(`${"a".repeat(152)}€b${"c".repeat(10)}`, { encoding: "gsm7" }).parts;
    expect(parts.map((p) => p.text.slice(0, 2))).toEqual(["aa", "€b"]);
    expect(parts.map((p) => p.units)).toEqual([152, 13]);
  });

  test("an emoji at a UCS-2 segment boundary moves whole to the next segment", () => {
    const text = `${"x".repeat(66)}😀${"y".repeat(10)}`;
    const parts = segmentText(text, { encoding: "ucs2", reference: 1 }).parts;
    expect(parts.map((p) => p.units)).toEqual([66, 12]);
    expect(parts[1]?.text.startsWith("😀")).toBe(true);
    // Octets after the 6-octet UDH: 66 × 2, and the second part starts with D83D DE00.
    expect(parts[0]?.shortMessage.length).toBe(6 + 132);
    expect(parts[1]?.shortMessage.subarray(6, 10).toString("hex")).toBe("d83dde00");
  });

  test("preview: encoding, segments, code-point characters, parts", () => {
    expect(previewSegments("Hi 😀", { encoding: "ucs2" })).toEqual({
      encoding: "ucs2",
      segments: 1,
      characters: 4,
      parts: [{ index: 1, text: "Hi 😀", units: 5 }],
    });
    expect(countSegments("a".repeat(161), "gsm7")).toBe(2);
    expect(countSegments("a".repeat(161), "gsm7", "udh16")).toBe(2);
    expect(countSegments("a".repeat(305), "gsm7", "udh16")).toBe(3);
  });

  test("more than 255 segments is a TooManySegmentsError", () => {
    expect(countSegments("a".repeat(153 * 255), "gsm7")).toBe(255);
    expect(() => countSegments("a".repeat(153 * 255 + 1), "gsm7")).toThrow(TooManySegmentsError);
    expect(() => segmentText("a".repeat(153 * 255 + 1), { encoding: "gsm7", reference: 1 })).toThrow(
      expect.objectContaining({ code: "TOO_MANY_SEGMENTS", segments: 256 }),
    );
  });

  test("text the encoding cannot carry is refused with its index in the whole text", () => {
    expect(() => segmentText(`${"a".repeat(200)}Ж`, { encoding: "gsm7", reference: 1 })).toThrow(
      expect.objectContaining({ character: "Ж", index: 200 }),
    );
    expect(() => previewSegments("x😀", { encoding: "latin1" })).toThrow(UnencodableCharacterError);
  });
});

describe("segmentText octets", () => {
  test("single GSM SMS: unpacked septets, data_coding 0, no UDH (vector 'submit_sm GSM 7-bit unpacked')", () => {
    const s = segmentText("Hello world", { encoding: "gsm7", reference: 7 });
    expect(s.dataCoding).toBe(0);
    expect(s.segments).toBe(1);
    expect(s.parts).toHaveLength(1);
    expect(s.parts[0]?.shortMessage.toString("hex").toUpperCase()).toBe("48656C6C6F20776F726C64");
    expect(s.parts[0]?.udhi).toBe(false);
    expect(s.parts[0]?.tlvs).toBeUndefined();
  });

  test("UCS2 with 8-bit UDH: each part is 05 00 03 RR TT SS + UTF-16BE (vector 'submit_sm UCS2 with UDH')", () => {
    const text = `Привет${"ж".repeat(70)}`;
    const s = segmentText(text, { encoding: "ucs2", mode: "udh8", reference: 0x2a });
    expect(s.dataCoding).toBe(8);
    expect(s.parts).toHaveLength(2);
    const first = s.parts[0]?.shortMessage ?? Buffer.alloc(0);
    expect(first.subarray(0, 18).toString("hex").toUpperCase()).toBe("0500032A0201041F04400438043204350442");
    expect(first.length).toBe(6 + 134);
    expect(s.parts[1]?.shortMessage.subarray(0, 6).toString("hex")).toBe("0500032a0202");
    expect(s.parts.every((p) => p.udhi)).toBe(true);
  });

  test("references: udh8 keeps the low octet, udh16 two octets", () => {
    const long = "a".repeat(200);
    const udh8 = segmentText(long, { encoding: "gsm7", mode: "udh8", reference: 0x1ff });
    expect(udh8.parts[0]?.shortMessage.subarray(0, 6).toString("hex")).toBe("050003ff0201");
    const udh16 = segmentText(long, { encoding: "gsm7", mode: "udh16", reference: 0x1abcd });
    expect(udh16.parts[1]?.shortMessage.subarray(0, 7).toString("hex")).toBe("060804abcd0202");
    expect(udh16.parts[0]?.shortMessage.length).toBe(7 + 152);
  });

  test("SAR: no UDH, the three TLVs on every part", () => {
    const s = segmentText("b".repeat(200), { encoding: "gsm7", mode: "sar", reference: 300 });
    expect(s.parts.map((p) => p.tlvs)).toEqual([
      { sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 1 },
      { sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 2 },
    ]);
    expect(s.parts.map((p) => p.udhi)).toEqual([false, false]);
    expect(s.parts[0]?.shortMessage.equals(Buffer.alloc(152, 0x62))).toBe(true);
  });

  test("payload: one part, whole text in message_payload, empty short_message", () => {
    const text = "Ж".repeat(100);
    const s = segmentText(text, { encoding: "ucs2", mode: "payload", reference: 1 });
    expect(s.segments).toBe(2);
    expect(s.parts).toHaveLength(1);
    expect(s.parts[0]).toMatchObject({ index: 1, text, units: 100, udhi: false });
    expect(s.parts[0]?.shortMessage.length).toBe(0);
    expect(s.parts[0]?.tlvs).toEqual({ message_payload: encodeUcs2(text) });
  });

  test("payload: a text that fits one SMS in ≤ 140 octets stays in short_message; 160 unpacked septets do not", () => {
    const short = segmentText("hello", { encoding: "gsm7", mode: "payload", reference: 1 });
    expect(short.parts[0]?.shortMessage.toString()).toBe("hello");
    expect(short.parts[0]?.tlvs).toBeUndefined();
    const full = segmentText("a".repeat(160), { encoding: "gsm7", mode: "payload", reference: 1 });
    expect(full.segments).toBe(1);
    expect(full.parts[0]?.tlvs).toEqual({ message_payload: Buffer.alloc(160, 0x61) });
    const packed = segmentText("a".repeat(160), {
      encoding: "gsm7",
      mode: "payload",
      reference: 1,
      dcs0Charset: "gsm7-packed",
    });
    expect(packed.parts[0]?.shortMessage.length).toBe(140);
  });

  test("Latin-1 is data_coding 3, one octet per character", () => {
    const s = segmentText("café", { encoding: "latin1", reference: 1 });
    expect(s.dataCoding).toBe(3);
    expect(s.parts[0]?.shortMessage.toString("hex")).toBe("636166e9");
  });

  test("DCS 0 as the upstream wants it: packed with UDH fill, Latin-1 or ASCII octets", () => {
    const text = `${"hello".repeat(32)}xyz`; // 163 septets: 153 + 10
    const packed = segmentText(text, { encoding: "gsm7", reference: 9, dcs0Charset: "gsm7-packed" });
    expect(packed.dataCoding).toBe(0);
    const [p1, p2] = packed.parts;
    expect(p1?.shortMessage.length).toBe(140); // 6 UDH + 134 octets of 1 fill bit + 153 septets
    expect(p1?.shortMessage.subarray(0, 6).toString("hex")).toBe("050003090201");
    expect(decodeGsm7Packed(p1?.shortMessage.subarray(6) ?? Buffer.alloc(0), 1)).toBe(p1?.text);
    expect(decodeGsm7Packed(p2?.shortMessage.subarray(6) ?? Buffer.alloc(0), 1)).toBe(p2?.text);
    // "hellohello" after a 6-octet UDH, bytes computed independently (see gsm7.test.ts); the ninth octet
    // also holds the start of the next septet, so compare eight.
    const hh = segmentText(`hellohello${"a".repeat(151)}`, {
      encoding: "gsm7",
      reference: 9,
      dcs0Charset: "gsm7-packed",
    });
    expect(hh.parts[0]?.shortMessage.subarray(6, 14).toString("hex").toUpperCase()).toBe("D06536FB8D2EB3D9");

    const latin = segmentText("£5 {x}", { encoding: "gsm7", reference: 1, dcs0Charset: "latin1" });
    expect(latin.dataCoding).toBe(0);
    expect(latin.parts[0]?.shortMessage.toString("hex")).toBe("a335207b787d");
    const ascii = segmentText("{x}", { encoding: "gsm7", reference: 1, dcs0Charset: "ascii" });
    expect(ascii.parts[0]?.shortMessage.toString()).toBe("{x}");
    expect(() => segmentText("£5", { encoding: "gsm7", reference: 1, dcs0Charset: "ascii" })).toThrow(
      expect.objectContaining({ character: "£", index: 0 }),
    );
  });

  test("extension characters cost 2 septets on Latin-1/ASCII upstreams too (the SMSC converts to GSM)", () => {
    const s = segmentText("{".repeat(81), { encoding: "gsm7", reference: 1, dcs0Charset: "ascii" });
    expect(s.parts.map((p) => p.units)).toEqual([152, 10]);
    expect(s.parts[0]?.shortMessage.length).toBe(6 + 76);
  });

  test("packed: a CR that would end a segment on an octet boundary opens the next segment", () => {
    const text = `${"a".repeat(152)}\r${"b".repeat(20)}`;
    const opts = { encoding: "gsm7", reference: 1 } as const;
    expect(sizes(text, "gsm7")).toEqual([153, 20]);
    const packed = previewSegments(text, { ...opts, dcs0Charset: "gsm7-packed" });
    expect(packed.parts.map((p) => p.units)).toEqual([152, 21]);
    expect(packed.parts[1]?.text.startsWith("\r")).toBe(true);
  });
});
