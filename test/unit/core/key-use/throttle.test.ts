import { describe, expect, it } from "vitest";
import { KeyUseThrottle } from "../../../../src/core/key-use/throttle.js";

const MINUTE = 60_000;

describe("KeyUseThrottle", () => {
  it("merges uses before a write into one, keeping the latest time", () => {
    const throttle = new KeyUseThrottle(MINUTE);
    expect(throttle.note("key_a", 1_000)).toBe(true);
    expect(throttle.note("key_a", 5_000)).toBe(true);
    expect(throttle.note("key_a", 3_000)).toBe(true);
    expect(throttle.note("key_b", 2_000)).toBe(true);
    expect(throttle.take(6_000)).toEqual([
      { keyId: "key_a", at: 5_000 },
      { keyId: "key_b", at: 2_000 },
    ]);
    expect(throttle.take(7_000)).toEqual([]);
  });

  it("drops uses within the interval after a write, and keeps the first one past it", () => {
    const throttle = new KeyUseThrottle(MINUTE);
    throttle.note("key_a", 10_000);
    throttle.take(10_000);
    expect(throttle.note("key_a", 10_000 + MINUTE - 1)).toBe(false);
    expect(throttle.take(10_000 + MINUTE - 1)).toEqual([]);
    expect(throttle.note("key_a", 10_000 + MINUTE)).toBe(true);
    expect(throttle.take(10_000 + MINUTE)).toEqual([{ keyId: "key_a", at: 10_000 + MINUTE }]);
  });

  it("throttles each key on its own", () => {
    const throttle = new KeyUseThrottle(MINUTE);
    throttle.note("key_a", 0);
    throttle.take(0);
    expect(throttle.note("key_b", 1)).toBe(true);
    expect(throttle.note("key_a", 1)).toBe(false);
    expect(throttle.take(1)).toEqual([{ keyId: "key_b", at: 1 }]);
  });

  it("takes uses given back (after a failed write) with the next write, newest time winning", () => {
    const throttle = new KeyUseThrottle(MINUTE);
    throttle.note("key_a", 1_000);
    throttle.note("key_b", 1_000);
    const failed = throttle.take(2_000);
    expect(throttle.note("key_a", 3_000)).toBe(false);
    throttle.giveBack(failed);
    expect(throttle.note("key_a", 4_000)).toBe(true);
    expect(throttle.take(5_000)).toEqual([
      { keyId: "key_a", at: 4_000 },
      { keyId: "key_b", at: 1_000 },
    ]);
  });

  it("a use given back does not move a newer waiting use backwards", () => {
    const throttle = new KeyUseThrottle(MINUTE);
    throttle.note("key_a", 1_000);
    const failed = throttle.take(1_000);
    throttle.giveBack([{ keyId: "key_a", at: 9_000 }]);
    throttle.giveBack(failed);
    expect(throttle.take(10_000)).toEqual([{ keyId: "key_a", at: 9_000 }]);
  });
});
