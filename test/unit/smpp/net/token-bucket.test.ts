import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { TokenBucket } from "../../../../src/smpp/net/token-bucket.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("TokenBucket", () => {
  test("starts full with the burst, then refills at the rate", () => {
    const bucket = new TokenBucket({ rate: 100, burst: 5, now: () => Date.now() });
    let taken = 0;
    while (bucket.tryTake()) taken++;
    expect(taken).toBe(5);
    vi.advanceTimersByTime(100);
    taken = 0;
    while (bucket.tryTake()) taken++;
    expect(taken).toBe(5); // 10 refilled, capped at the burst
    vi.advanceTimersByTime(30);
    taken = 0;
    while (bucket.tryTake()) taken++;
    expect(taken).toBe(3);
  });

  test("the default burst is 50 ms worth of tokens", () => {
    const bucket = new TokenBucket({ rate: 1000, now: () => Date.now() });
    let taken = 0;
    while (bucket.tryTake()) taken++;
    expect(taken).toBe(50);
  });

  test("queued takers are served in order at the rate, and no faster", async () => {
    const bucket = new TokenBucket({ rate: 100, burst: 1, now: () => Date.now() });
    expect(bucket.tryTake()).toBe(true);
    const served: number[] = [];
    const takers = Array.from({ length: 10 }, (_, i) =>
      bucket.take(10_000).then((ok) => {
        if (ok) served.push(i);
      }),
    );
    await vi.advanceTimersByTimeAsync(55);
    expect(served.length).toBeGreaterThanOrEqual(4);
    expect(served.length).toBeLessThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(takers);
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("a taker that cannot get a token in time gets false; close answers the rest false", async () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1, now: () => Date.now() });
    expect(bucket.tryTake()).toBe(true);
    const first = bucket.take(10_000);
    const impatient = bucket.take(50);
    await vi.advanceTimersByTimeAsync(300);
    await expect(impatient).resolves.toBe(false);
    bucket.close();
    await expect(first).resolves.toBe(false);
  });

  test("setRate changes the pace of later tokens", () => {
    const bucket = new TokenBucket({ rate: 10, burst: 1, now: () => Date.now() });
    expect(bucket.tryTake()).toBe(true);
    bucket.setRate(1000, 100);
    vi.advanceTimersByTime(50);
    let taken = 0;
    while (bucket.tryTake()) taken++;
    expect(taken).toBe(50);
  });
});
