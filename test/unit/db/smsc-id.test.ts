import { describe, expect, it } from "vitest";
import { smscIdCandidates, smscIdKey } from "../../../src/db/smsc-id.js";

/** Whether a receipt carrying `receiptId` finds a part stored with `partId` (and the reverse). */
function matches(partId: string, receiptId: string): boolean {
  const forward = smscIdCandidates(receiptId).includes(smscIdKey(partId));
  const backward = smscIdCandidates(partId).includes(smscIdKey(receiptId));
  expect(forward).toBe(backward);
  return forward;
}

describe("smscIdKey", () => {
  it("lower-cases, trims and drops leading zeros of hex-looking ids, keeps other ids", () => {
    expect(smscIdKey(" 0000A1B2 ")).toBe("a1b2");
    expect(smscIdKey("000")).toBe("0");
    expect(smscIdKey("Msg-ID-42")).toBe("msg-id-42");
  });
});

describe("matching across hex and decimal", () => {
  it("matches the same id in either base, case or padding", () => {
    expect(matches("0000A1B2", "41394")).toBe(true);
    expect(matches("41394", "a1b2")).toBe(true);
    expect(matches("1234567890", "499602D2")).toBe(true);
    expect(matches("ABCDEF0123456789", BigInt("0xABCDEF0123456789").toString())).toBe(true);
    expect(matches("abc-123", "ABC-123")).toBe(true);
  });

  it("does not match different ids", () => {
    expect(matches("a1b2", "41395")).toBe(false);
    expect(matches("12", "13")).toBe(false);
    expect(matches("abc-123", "abc-124")).toBe(false);
  });
});
