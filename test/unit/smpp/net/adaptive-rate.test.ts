import { describe, expect, it } from "vitest";
import { AdaptiveRate } from "../../../../src/smpp/net/adaptive-rate.js";

/** An AdaptiveRate on a hand-driven clock. */
function fixture() {
  let t = 1_000;
  const rate = new AdaptiveRate({ now: () => t });
  return {
    rate,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("AdaptiveRate", () => {
  it("sets no limit and grants every permit until the SMSC throttles", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 500; i++) {
      rate.accepted();
      advance(1);
    }
    expect(rate.limit).toBeUndefined();
    expect(rate.permit(0)).toBe(true);
  });

  it("keeps to 0.85 x the rate accepted over the last second after a throttling episode", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 40; i++) {
      rate.accepted();
      advance(25); // 40/s for a second
    }
    rate.throttled();
    expect(rate.limit).toBeCloseTo(34, 0);
    // One request at once (a burst of one), the next waits for its token.
    expect(rate.permit(0)).toBe(true);
    expect(rate.permit(0)).not.toBe(true);
  });

  it("counts a burst right after start at its own size, not as thousands per second", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 30; i++) rate.accepted();
    advance(5);
    rate.throttled();
    expect(rate.limit).toBeCloseTo(25.5, 5);
  });

  it("sets no limit when the SMSC accepted next to nothing: the pause alone answers that", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 4; i++) rate.accepted();
    advance(10);
    rate.throttled();
    expect(rate.limit).toBeUndefined();
    expect(rate.permit(0)).toBe(true);
  });

  it("lowers the limit again on each episode, never under the minimum", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 20; i++) rate.accepted();
    rate.throttled();
    const first = rate.limit ?? 0;
    advance(100);
    rate.throttled();
    expect(rate.limit).toBeLessThan(first);
    for (let i = 0; i < 50; i++) rate.throttled();
    expect(rate.limit).toBe(1);
  });

  it("raises the limit by a quarter per second without throttling, and lifts it after a minute", () => {
    const { rate, advance } = fixture();
    for (let i = 0; i < 100; i++) rate.accepted();
    rate.throttled();
    expect(rate.limit).toBeCloseTo(85, 5);
    advance(1_000);
    rate.accepted();
    expect(rate.limit).toBeCloseTo(106.25, 5);
    advance(3_000);
    rate.accepted();
    expect(rate.limit).toBeCloseTo(85 * 1.25 ** 4, 5);
    advance(56_000);
    rate.accepted();
    expect(rate.limit).toBeUndefined();
    expect(rate.permit(0)).toBe(true);
  });

  it("close() answers waiting permits false", async () => {
    const { rate } = fixture();
    for (let i = 0; i < 10; i++) rate.accepted();
    rate.throttled();
    expect(rate.permit(10_000)).toBe(true);
    const waiting = rate.permit(10_000);
    expect(waiting).not.toBe(true);
    rate.close();
    expect(await waiting).toBe(false);
    expect(rate.permit(0)).toBe(true);
  });
});
