import { describe, expect, it } from "vitest";
import { firstIdAt, idTime, newId } from "../../../src/core/ids.js";

describe("newId", () => {
  it("is the prefix, an underscore and 26 lowercase Crockford base32 characters", () => {
    expect(newId("msg")).toMatch(/^msg_[0-9abcdefghjkmnpqrstvwxyz]{26}$/);
    expect(newId("evt")).toMatch(/^evt_/);
  });

  it("encodes its creation time", () => {
    const at = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    expect(idTime(newId("inb", at))).toBe(at);
    expect(idTime("msg_not-an-id")).toBeNull();
  });

  it("sorts by creation time across milliseconds, with byte and locale comparison alike", () => {
    const ids = [1_000, 2_000, 1_700_000_000_000, 1_700_000_000_001, 4_000_000_000_000].map((t) =>
      newId("msg", t),
    );
    const byBytes = [...ids].sort();
    const byLocale = [...ids].sort((a, b) => a.localeCompare(b, "en"));
    expect(byBytes).toEqual(ids);
    expect(byLocale).toEqual(ids);
  });

  it("is strictly increasing within one millisecond and when the clock steps back", () => {
    const sameMs = Array.from({ length: 1000 }, () => newId("msg", 5_000_000_000_000));
    const stepBack = newId("msg", 4_999_999_999_000);
    const all = [...sameMs, stepBack];
    expect([...all].sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
  });

  it("does not repeat", () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId("evt")));
    expect(ids.size).toBe(20_000);
  });
});

describe("firstIdAt", () => {
  it("sorts above every id made before its time and at or below every id made from it on", () => {
    const at = 1_800_000_000_000;
    const bound = firstIdAt("msg", at);
    expect(bound).toMatch(/^msg_[0-9abcdefghjkmnpqrstvwxyz]{26}$/);
    expect(idTime(bound)).toBe(at);
    // A fresh millisecond for each, far after any id made above, so newId does not reuse its last time.
    const earlier = newId("msg", 9_000_000_000_000);
    expect(firstIdAt("msg", 9_000_000_000_000) <= earlier).toBe(true);
    expect(earlier < firstIdAt("msg", 9_000_000_000_001)).toBe(true);
    expect(bound < firstIdAt("msg", at + 1)).toBe(true);
  });
});
