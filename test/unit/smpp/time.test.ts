import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { formatAbsolute, formatRelative, parseSmppTime, SmppTimeError } from "../../../src/smpp/time.js";

const NOW = new Date("2026-11-26T10:00:00Z");

describe("absolute time YYMMDDhhmmsstnnp", () => {
  test("NOTES §11 example: 240131130509000+ is 2024-01-31 13:05:09.0 UTC", () => {
    expect(parseSmppTime("240131130509000+", NOW)).toEqual({
      kind: "absolute",
      date: new Date("2024-01-31T13:05:09.000Z"),
    });
    expect(formatAbsolute(new Date("2024-01-31T13:05:09.000Z"))).toBe("240131130509000+");
  });

  test("tenths and quarter-hour offsets: + is ahead of UTC, - behind", () => {
    // 14:05:09.7 local at UTC+1 (4 quarters) is 13:05:09.7 UTC.
    expect(parseSmppTime("240131140509704+", NOW)).toMatchObject({
      date: new Date("2024-01-31T13:05:09.700Z"),
    });
    // 08:35 local at UTC-4:30 (18 quarters) is 13:05 UTC.
    expect(parseSmppTime("240131083509018-", NOW)).toMatchObject({
      date: new Date("2024-01-31T13:05:09.000Z"),
    });
    // Crossing midnight: 00:30 at UTC+5:45 (23 quarters) is 18:45 the day before.
    expect(parseSmppTime("240201003000023+", NOW)).toMatchObject({
      date: new Date("2024-01-31T18:45:00.000Z"),
    });
    expect(formatAbsolute(new Date("2024-01-31T13:05:09.750Z"), 60)).toBe("240131140509704+");
    expect(formatAbsolute(new Date("2024-01-31T13:05:09Z"), -270)).toBe("240131083509018-");
  });

  test("property: format then parse gives the date back (to the tenth) for any offset", () => {
    const dates = fc.date({
      min: new Date("2000-01-02T00:00:00Z"),
      max: new Date("2099-12-30T00:00:00Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(dates, fc.integer({ min: -48, max: 48 }), (date, quarters) => {
        const text = formatAbsolute(date, quarters * 15);
        expect(text).toMatch(/^\d{12}\d\d{2}[+-]$/);
        const parsed = parseSmppTime(text, NOW);
        expect(parsed?.date.getTime()).toBe(Math.floor(date.getTime() / 100) * 100);
      }),
    );
  });

  test("malformed absolute times are SmppTimeError", () => {
    for (const bad of [
      "240131130509000", // 15 characters
      "240131130509000+0",
      "2401311305090000",
      "241331130509000+", // month 13
      "240230130509000+", // 30 February
      "240131250509000+", // hour 25
      "240131136009000+", // minute 60
      "240131130560000+", // second 60
      "240131130509049+", // offset 49 quarters
      "24013113050900a+",
      " 40131130509000+",
    ]) {
      expect(() => parseSmppTime(bad, NOW), bad).toThrow(SmppTimeError);
    }
    expect(() => formatAbsolute(new Date("1999-12-31T23:00:00Z"))).toThrow(SmppTimeError);
    expect(() => formatAbsolute(new Date(Number.NaN))).toThrow(SmppTimeError);
    expect(() => formatAbsolute(NOW, 10)).toThrow(SmppTimeError);
  });

  test("the empty string is SMPP NULL", () => {
    expect(parseSmppTime("", NOW)).toBeNull();
  });
});

describe("relative time YYMMDDhhmmss000R", () => {
  test("NOTES §11: 000001000000000R is a day, 000000001000000R ten minutes; node-smpp's 4 min 30 s", () => {
    expect(parseSmppTime("000001000000000R", NOW)).toEqual({
      kind: "relative",
      seconds: 86_400,
      date: new Date("2026-11-27T10:00:00Z"),
    });
    expect(parseSmppTime("000000001000000R", NOW)).toMatchObject({ seconds: 600 });
    expect(parseSmppTime("000000000430000R", NOW)).toMatchObject({ seconds: 270 });
    expect(formatRelative(86_400)).toBe("000001000000000R");
    expect(formatRelative(600)).toBe("000000001000000R");
    expect(formatRelative(270)).toBe("000000000430000R");
  });

  test("the API range 60 s – 7 days", () => {
    expect(formatRelative(60)).toBe("000000000100000R");
    expect(formatRelative(604_800)).toBe("000007000000000R");
    expect(formatRelative(93_784)).toBe("000001020304000R");
  });

  test("beyond 99 days: years of 365 and months of 30 days", () => {
    expect(formatRelative(99 * 86_400)).toBe("000099000000000R");
    expect(formatRelative(100 * 86_400)).toBe("000310000000000R");
    expect(formatRelative(400 * 86_400 + 5)).toBe("010105000005000R");
    expect(parseSmppTime("010105000005000R", NOW)).toMatchObject({ seconds: 400 * 86_400 + 5 });
  });

  test("property: format then parse gives the seconds back", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 * 365 * 86_400 }), (seconds) => {
        const text = formatRelative(seconds);
        expect(text).toMatch(/^\d{12}000R$/);
        const parsed = parseSmppTime(text, NOW);
        expect(parsed).toEqual({ kind: "relative", seconds, date: new Date(NOW.getTime() + seconds * 1000) });
      }),
    );
  });

  test("bad durations and malformed relative times are SmppTimeError", () => {
    expect(() => formatRelative(-1)).toThrow(SmppTimeError);
    expect(() => formatRelative(1.5)).toThrow(SmppTimeError);
    expect(() => formatRelative(100 * 365 * 86_400)).toThrow(SmppTimeError);
    expect(() => parseSmppTime("00000100000000R", NOW)).toThrow(SmppTimeError);
    expect(() => parseSmppTime("0000010000000x0R", NOW)).toThrow(SmppTimeError);
    expect(() => parseSmppTime("000001000000000r", NOW)).toThrow(SmppTimeError);
  });
});
