import { describe, expect, it } from "vitest";
import {
  nextRetryDelay,
  parseRetryAfter,
  type RetryPolicy,
} from "../../../../src/core/webhooks/worker/schedule.js";

const policy: RetryPolicy = {
  scheduleMs: [5_000, 300_000, 1_800_000],
  jitter: 0.2,
  retryAfterMaxMs: 3_600_000,
};

describe("nextRetryDelay", () => {
  it("follows the schedule, one delay per retry, then gives up", () => {
    const middle = () => 0.5;
    expect(nextRetryDelay(1, policy, null, middle)).toBe(5_000);
    expect(nextRetryDelay(2, policy, null, middle)).toBe(300_000);
    expect(nextRetryDelay(3, policy, null, middle)).toBe(1_800_000);
    expect(nextRetryDelay(4, policy, null, middle)).toBeNull();
  });

  it("spreads each delay by ±jitter", () => {
    expect(nextRetryDelay(2, policy, null, () => 0)).toBe(240_000);
    expect(nextRetryDelay(2, policy, null, () => 0.999999)).toBeCloseTo(360_000, -1);
    const seen = Array.from({ length: 200 }, () => nextRetryDelay(1, policy, null) ?? 0);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(4_000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(6_000);
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it("waits at least as long as Retry-After asks, up to the bound, and never less than the schedule", () => {
    const middle = () => 0.5;
    expect(nextRetryDelay(1, policy, 60_000, middle)).toBe(60_000);
    expect(nextRetryDelay(1, policy, 1_000, middle)).toBe(5_000);
    expect(nextRetryDelay(1, policy, 86_400_000, middle)).toBe(3_600_000);
    expect(nextRetryDelay(4, policy, 60_000, middle)).toBeNull();
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    const now = Date.parse("2025-01-31T12:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Fri, 31 Jan 2025 12:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Fri, 31 Jan 2025 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
  });

  it("reads the obsolete HTTP-date forms a recipient must accept (RFC 9110 §5.6.7), as UTC", () => {
    const now = Date.parse("2025-01-31T12:00:00Z");
    expect(parseRetryAfter("Friday, 31-Jan-25 12:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Fri Jan 31 12:01:00 2025", now)).toBe(60_000);
    expect(parseRetryAfter("Fri Jan  1 12:01:00 2100", now)).toBeGreaterThan(0);
  });
});
