import { describe, expect, test } from "vitest";
import { GARBAGE_BYTES, RateLimiter, validateFaults } from "../../../src/simulator/faults.js";

describe("RateLimiter", () => {
  test("allows `rate` per second, then refills with time", () => {
    const limiter = new RateLimiter(5, 0);
    const first = Array.from({ length: 7 }, () => limiter.take(0));
    expect(first.filter(Boolean)).toHaveLength(5);
    expect(limiter.take(100)).toBe(false); // 0.5 token after 100 ms
    expect(limiter.take(200)).toBe(true); // one full token after 200 ms
    expect(limiter.take(200)).toBe(false);
  });

  test("rate 0 never limits; switched on it starts full; a lower rate caps what is held", () => {
    const limiter = new RateLimiter(0, 0);
    for (let i = 0; i < 100; i++) expect(limiter.take(0)).toBe(true);
    limiter.setRate(2, 0);
    expect(limiter.take(0)).toBe(true);
    expect(limiter.take(0)).toBe(true);
    expect(limiter.take(0)).toBe(false);
    expect(limiter.take(500)).toBe(true);
    limiter.setRate(1, 500);
    expect(limiter.take(500)).toBe(false);
    expect(limiter.take(1500)).toBe(true);
  });
});

test("validateFaults names the bad switch", () => {
  expect(() => validateFaults({ throttleFraction: 1.5 })).toThrow(/throttleFraction/);
  expect(() => validateFaults({ dropAfterPdus: -1 })).toThrow(/dropAfterPdus/);
  expect(() => validateFaults({ refuseBindsStatus: 1.5 })).toThrow(/refuseBindsStatus/);
  expect(() =>
    validateFaults({ throttleFraction: 0.5, responseDelayMs: 10, refuseBindsStatus: 0x0d }),
  ).not.toThrow();
});

test("garbage bytes announce a command_length below the 16-octet minimum", () => {
  expect(GARBAGE_BYTES.readUInt32BE(0)).toBeLessThan(16);
});
