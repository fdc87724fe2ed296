import { describe, expect, it } from "vitest";
import type { SendRequest } from "../../../../src/core/messages/types.js";
import { type ValidationContext, validateSend } from "../../../../src/core/messages/validate/message.js";
import { checkText, MAX_TEXT_CHARACTERS } from "../../../../src/core/messages/validate/text.js";

const NOW = Date.parse("2030-06-01T12:00:00Z");
const context: ValidationContext = { defaultFrom: "ACME", now: NOW };
const base: SendRequest = { to: "+447700900123", text: "hello" };

const paths = (request: SendRequest, ctx: ValidationContext = context, prefix = "") => {
  const result = validateSend(request, ctx, prefix);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

describe("validateSend", () => {
  it("normalises and fills defaults", () => {
    const result = validateSend({ ...base, to: "44 7700 900123" }, context);
    expect(result).toEqual({
      ok: true,
      value: {
        to: "+447700900123",
        from: "ACME",
        text: "hello",
        encoding: "gsm7",
        dataCoding: 0,
        partTexts: ["hello"],
        clientReference: null,
        validityPeriod: null,
        sendAt: null,
        deliveryReport: true,
        statusCallbackUrl: null,
      },
    });
  });

  it("picks UCS-2 (data_coding 8) for auto when a character is not GSM, Latin-1 (3) when asked", () => {
    const ucs2 = validateSend({ ...base, text: "héllo ✓" }, context);
    expect(ucs2.ok && [ucs2.value.encoding, ucs2.value.dataCoding]).toEqual(["ucs2", 8]);
    const latin1 = validateSend({ ...base, text: "héllo", encoding: "latin1" }, context);
    expect(latin1.ok && [latin1.value.encoding, latin1.value.dataCoding]).toEqual(["latin1", 3]);
  });

  it("uses the request's from before the account default, and needs one of them", () => {
    const own = validateSend({ ...base, from: "12345" }, context);
    expect(own.ok && own.value.from).toBe("12345");
    expect(paths(base, { ...context, defaultFrom: null })).toEqual(["from"]);
    expect(paths(base, { ...context, defaultFrom: "THIS IS TOO LONG" })).toEqual(["from"]);
  });

  it("takes validity_period from 60 to 604800 whole seconds", () => {
    expect(paths({ ...base, validity_period: 60 })).toEqual([]);
    expect(paths({ ...base, validity_period: 604_800 })).toEqual([]);
    expect(paths({ ...base, validity_period: 59 })).toEqual(["validity_period"]);
    expect(paths({ ...base, validity_period: 604_801 })).toEqual(["validity_period"]);
    expect(paths({ ...base, validity_period: 90.5 })).toEqual(["validity_period"]);
  });

  it("refuses a send_at in the past beyond the clock-skew tolerance", () => {
    const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
    const future = validateSend({ ...base, send_at: at(60_000) }, context);
    expect(future.ok && future.value.sendAt?.getTime()).toBe(NOW + 60_000);
    expect(paths({ ...base, send_at: at(-29_000) })).toEqual([]);
    expect(paths({ ...base, send_at: at(-31_000) })).toEqual(["send_at"]);
    expect(paths({ ...base, send_at: at(-1) }, { ...context, sendAtToleranceMs: 0 })).toEqual(["send_at"]);
    expect(paths({ ...base, send_at: "not a time" })).toEqual(["send_at"]);
  });

  it("reports every failing field at once, under the path prefix", () => {
    expect(paths({ to: "1", from: "", text: "", validity_period: 1 }, context, "messages.7.")).toEqual([
      "messages.7.to",
      "messages.7.from",
      "messages.7.text",
      "messages.7.validity_period",
    ]);
  });
});

describe("checkText", () => {
  it("splits into the parts the message is stored with", () => {
    const result = checkText("a".repeat(161));
    expect(result.ok && result.preview.parts.map((p) => p.units)).toEqual([153, 8]);
  });

  it("counts characters as code points: 1600 emoji pass, 1601 do not", () => {
    expect(checkText("😀".repeat(MAX_TEXT_CHARACTERS)).ok).toBe(true);
    const over = checkText("😀".repeat(MAX_TEXT_CHARACTERS + 1));
    expect(over.ok).toBe(false);
    if (!over.ok)
      expect(over.issue).toEqual({ path: "text", message: "Must be at most 1600 characters, has 1601" });
  });

  it("names the first character the requested encoding cannot carry, by code point position", () => {
    const result = checkText("ab😀c✓", "gsm7");
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issue.message).toContain('"😀" (U+1F600) at position 2 cannot be encoded as gsm7');
    const latin = checkText("😀 then €", "latin1");
    if (!latin.ok) expect(latin.issue.message).toContain('"😀" (U+1F600) at position 0');
    expect(checkText("anything 😀", "ucs2").ok).toBe(true);
  });

  it("refuses an empty text", () => {
    expect(checkText("")).toEqual({ ok: false, issue: { path: "text", message: "Must not be empty" } });
  });
});
