/** assembleGroups (which stored segments make a message) and address normalisation: pure, no database. */
import { describe, expect, test } from "vitest";
import { normalizeInboundAddress, normalizeReceivingNumber } from "../../../../src/core/inbound/addresses.js";
import { assembleGroups } from "../../../../src/core/inbound/record.js";
import type { PendingPart } from "../../../../src/core/inbound/statements.js";

let nextId = 0;
function part(source: string, ref: number, total: number, seq: number, text: string, at = 0): PendingPart {
  nextId++;
  return {
    id: `inp_${nextId}`,
    upstreamId: "ups_1",
    source,
    destination: "+447700900123",
    ref,
    total,
    seq,
    data: Buffer.from(text, "latin1"),
    dataCoding: 0,
    receivedAt: new Date(1_700_000_000_000 + at),
    dcs0Charset: "gsm7",
  };
}

describe("assembleGroups", () => {
  test("a complete set becomes one message with every part linked; a set with gaps waits", () => {
    const parts = [part("+1", 5, 2, 2, "lo"), part("+2", 5, 3, 1, "x"), part("+1", 5, 2, 1, "hel")];
    const [only, ...rest] = assembleGroups(parts, { incomplete: false });
    expect(rest).toEqual([]);
    expect(only?.message).toMatchObject({
      from: "+1",
      to: "+447700900123",
      text: "hello",
      encoding: "gsm7",
      segments: 2,
      incomplete: false,
      receivedAt: null,
    });
    expect(only?.message.id).toMatch(/^inb_/);
    expect([...(only?.partIds ?? [])].sort()).toEqual([parts[0]?.id, parts[2]?.id].sort());
  });

  test("sets are told apart by source, reference and total", () => {
    const parts = [
      part("+1", 5, 2, 1, "a"),
      part("+1", 6, 2, 1, "b"),
      part("+1", 5, 3, 1, "c"),
      part("+1", 6, 2, 2, "B"),
      part("+1", 5, 2, 2, "A"),
    ];
    const texts = assembleGroups(parts, { incomplete: false }).map((r) => r.message.text);
    expect(texts.sort()).toEqual(["aA", "bB"]);
  });

  test("with `incomplete`, a set with gaps is surfaced with what arrived, flagged, at its last part's time", () => {
    const parts = [part("+3", 9, 4, 3, "three", 2000), part("+3", 9, 4, 1, "one ", 1000)];
    const [record] = assembleGroups(parts, { incomplete: true });
    expect(record?.message).toMatchObject({ text: "one three", segments: 2, incomplete: true });
    expect(record?.message.receivedAt?.getTime()).toBe(1_700_000_002_000);
  });
});

describe("normalizeInboundAddress", () => {
  test("international numbers get a leading +, alphanumeric senders stay as they are", () => {
    expect(normalizeInboundAddress("447700900123")).toBe("+447700900123");
    expect(normalizeInboundAddress("+447700900123")).toBe("+447700900123");
    expect(normalizeInboundAddress("447700900123", 1)).toBe("+447700900123");
    expect(normalizeInboundAddress("12345", 1)).toBe("+12345");
    expect(normalizeInboundAddress("ACME Bank", 5)).toBe("ACME Bank");
    expect(normalizeInboundAddress("")).toBe("");
  });

  test("short codes and national numbers stay digits: with a + they would be numbers that do not exist", () => {
    expect(normalizeInboundAddress(" 88222 ")).toBe("88222");
    expect(normalizeInboundAddress("88222", 3)).toBe("88222");
    expect(normalizeInboundAddress("07700900123")).toBe("07700900123");
    expect(normalizeInboundAddress("7700900123", 2)).toBe("7700900123");
  });
});

describe("an inbound destination and the number an admin registered meet (number → account)", () => {
  // As an SMSC sends them with TON 0 (unknown), and as an admin writes them in POST /admin/numbers.
  test.each([
    ["88222", "88222"],
    ["12345678", "12345678"],
    ["123456789", "+123456789"],
    ["447700900123", "+447700900123"],
    ["00447700900123", "+447700900123"],
  ])("%j → %j", (digits, stored) => {
    expect(normalizeReceivingNumber(digits)).toEqual({ ok: true, value: stored });
    expect(normalizeInboundAddress(digits)).toBe(stored);
  });

  test("00 is the international prefix, whatever TON came with it", () => {
    expect(normalizeInboundAddress("00447700900123", 1)).toBe("+447700900123");
  });
});

describe("normalizeReceivingNumber", () => {
  test.each([
    ["88222", "88222"],
    ["123", "123"],
    ["+447700900123", "+447700900123"],
    ["447700900123", "+447700900123"],
    ["0044 7700 900123", "+447700900123"],
  ])("%j → %j", (input, value) => {
    expect(normalizeReceivingNumber(input)).toEqual({ ok: true, value });
  });

  test.each(["12", "07700900123", "ACME", "+0123456"])("refuses %j", (input) => {
    expect(normalizeReceivingNumber(input).ok).toBe(false);
  });
});
