import { describe, expect, test } from "vitest";
import { buildMo } from "../../../src/simulator/mo.js";
import { reassemble } from "../../../src/smpp/text/reassemble.js";
import { decodeUserData, extractConcatInfo } from "../../../src/smpp/text/user-data.js";

function joined(parts: ReturnType<typeof buildMo>): string {
  const collected = parts.map((p) => {
    const info = extractConcatInfo(p);
    if (!info) throw new Error("not a segment");
    return { seq: info.seq, total: info.total, ref: info.ref, data: info.body, dataCoding: p.data_coding };
  });
  const result = reassemble(collected);
  if (!result.complete) throw new Error("incomplete");
  return result.text;
}

describe("buildMo", () => {
  test("a short GSM text is one deliver_sm", () => {
    const parts = buildMo({ from: "+447700900001", to: "1234", text: "Hi {there}" }, 7);
    expect(parts).toHaveLength(1);
    const [p] = parts;
    expect(p?.command).toBe("deliver_sm");
    expect(p?.esm_class).toBe(0);
    expect(p?.data_coding).toBe(0);
    expect([p?.source_addr, p?.source_addr_ton, p?.source_addr_npi]).toEqual(["447700900001", 1, 1]);
    expect(p?.destination_addr).toBe("1234");
    if (p) expect(decodeUserData(p).text).toBe("Hi {there}");
  });

  test("a long GSM text is split with an 8-bit reference UDH", () => {
    const text = "0123456789".repeat(40);
    const parts = buildMo({ from: "1", to: "2", text }, 300);
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      expect(p.esm_class & 0x40).toBe(0x40);
      expect(extractConcatInfo(p)).toMatchObject({ scheme: "udh8", ref: 300 & 0xff, total: 3 });
    }
    expect(joined(parts)).toBe(text);
  });

  test("UCS-2 with a 16-bit reference, surrogate pairs intact", () => {
    const text = "Привет 👋 ".repeat(12);
    const parts = buildMo({ from: "1", to: "2", text, concat: "udh16" }, 0x1234);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.data_coding === 8)).toBe(true);
    for (const p of parts) expect(extractConcatInfo(p)).toMatchObject({ scheme: "udh16", ref: 0x1234 });
    expect(joined(parts)).toBe(text);
  });

  test("SAR TLVs instead of a UDH", () => {
    const text = "x".repeat(200);
    const parts = buildMo({ from: "1", to: "2", text, concat: "sar" }, 9);
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => p.esm_class)).toEqual([0, 0]);
    expect(parts.map((p) => p.tlvs?.sar_segment_seqnum)).toEqual([1, 2]);
    expect(joined(parts)).toBe(text);
  });

  test("message_payload carries a long text in one PDU", () => {
    const text = "y".repeat(300);
    const parts = buildMo({ from: "1", to: "2", text, concat: "payload" }, 9);
    expect(parts).toHaveLength(1);
    expect(parts[0]?.short_message.length).toBe(0);
    if (parts[0]) expect(decodeUserData(parts[0]).text).toBe(text);
  });

  test("an alphanumeric sender gets TON 5", () => {
    expect(buildMo({ from: "ACME", to: "2", text: "x" }, 1)[0]?.source_addr_ton).toBe(5);
  });

  test("a short code is sent as TON 3 / NPI 0, a number with or without + as TON 1 / NPI 1", () => {
    const [toShortCode] = buildMo({ from: "+447700900123", to: "88222", text: "JOIN" }, 1);
    expect(toShortCode).toMatchObject({ dest_addr_ton: 3, dest_addr_npi: 0, destination_addr: "88222" });
    expect(toShortCode).toMatchObject({
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: "447700900123",
    });
    const [toNumber] = buildMo({ from: "447700900123", to: "447700900000", text: "hi" }, 1);
    expect(toNumber).toMatchObject({
      source_addr_ton: 1,
      dest_addr_ton: 1,
      destination_addr: "447700900000",
    });
  });

  test("an explicit GSM encoding refuses what GSM cannot carry", () => {
    expect(() => buildMo({ from: "1", to: "2", text: "Привет", encoding: "gsm7" }, 1)).toThrow();
  });
});
