import { describe, expect, it } from "vitest";
import {
  destinationAddress,
  normalizeNumber,
  normalizeSender,
  senderAddress,
} from "../../../../src/core/messages/validate/addresses.js";

describe("normalizeNumber", () => {
  it.each([
    ["+447700900123", "+447700900123"],
    ["447700900123", "+447700900123"],
    ["+44 7700 900123", "+447700900123"],
    ["+44-7700-900-123", "+447700900123"],
    ["(44) 7700.900123", "+447700900123"],
    ["123456", "+123456"],
    ["+123456789012345", "+123456789012345"],
    ["0044 7700 900123", "+447700900123"],
    ["00123456789012345", "+123456789012345"],
    // What phones and word processors put in copied numbers: Unicode hyphens and dashes, the minus
    // sign, no-break spaces and the direction marks contact apps wrap numbers in.
    ["+44\u20107700\u2011900\u2013123", "+447700900123"],
    ["+44\u22127700\u00a0900123", "+447700900123"],
    ["\u202a+44 7700 900123\u202c", "+447700900123"],
    ["\u200e+447700900123\u2069", "+447700900123"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeNumber(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    "12345",
    "+1234567890123456",
    "",
    "+",
    "44 77OO 900123",
    "++447700900123",
    "4477+00900123",
    "abc",
    "07700900123",
    "+0447700900123",
    "000447700900123",
  ])("refuses %j", (input) => {
    expect(normalizeNumber(input).ok).toBe(false);
  });

  it("says how many digits a wrong-length number has", () => {
    expect(normalizeNumber("12345")).toEqual({ ok: false, message: "Must have 6–15 digits, has 5" });
  });
});

describe("normalizeSender and the TON/NPI it is sent with", () => {
  it.each([
    // alphanumeric: TON 5 / NPI 0
    ["ACME", "ACME", 5, 0],
    ["Acme Ltd", "Acme Ltd", 5, 0],
    ["A1", "A1", 5, 0],
    ["ABCDEFGHIJK", "ABCDEFGHIJK", 5, 0],
    ["ACME[[[", "ACME[[[", 5, 0], // 4 + 3×2 = 10 septets
    ["Café £5", "Café £5", 5, 0],
    ["+ACME", "+ACME", 5, 0],
    // short code: TON 3 / NPI 0
    ["123", "123", 3, 0],
    ["12345678", "12345678", 3, 0],
    // international: TON 1 / NPI 1
    ["+447700900123", "+447700900123", 1, 1],
    ["+44 7700 900123", "+447700900123", 1, 1],
    ["+123456", "+123456", 1, 1],
    ["123456789", "+123456789", 1, 1],
    ["447700900123", "+447700900123", 1, 1],
    ["0044 7700 900123", "+447700900123", 1, 1],
    ["0800", "0800", 3, 0],
  ])("%j is stored as %j and sent with TON %i NPI %i", (input, stored, ton, npi) => {
    const result = normalizeSender(input);
    expect(result).toEqual({ ok: true, value: stored });
    if (!result.ok) return;
    const address = ton === 1 ? stored.replace(/^\+/, "") : stored;
    expect(senderAddress(result.value)).toEqual({ ton, npi, address });
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["ABCDEFGHIJKL", /at most 11 GSM characters, this one takes 12/],
    ["ACME[[[[", /takes 12/],
    // GSM, but submit_sm's source_addr is Latin-1: never sendable
    ["ACME€", /cannot carry "€" \(at index 4\)/],
    ["ΔShop", /cannot carry "Δ" \(at index 0\)/],
    ["AC\nME", /cannot carry "\\n"/],
    ["07700900123", /country code/],
    ["Café✓", /"✓" at index 4/],
    ["😀Shop", /GSM 03.38/],
    ["12", /short code of 3–8 digits/],
    ["1234567890123456", /short code of 3–8 digits or an international number/],
    ["+12345", /sender number must have 6–15 digits/],
    ["!!!", /at least one letter/],
  ])("refuses %j", (input, message) => {
    const result = normalizeSender(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe("destinationAddress", () => {
  it("sends a stored number without its + as TON 1 / NPI 1", () => {
    expect(destinationAddress("+447700900123")).toEqual({ ton: 1, npi: 1, address: "447700900123" });
  });
});
