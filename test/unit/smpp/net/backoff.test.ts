import { describe, expect, test } from "vitest";
import { Backoff } from "../../../../src/smpp/net/backoff.js";

describe("Backoff", () => {
  test("grows by the factor up to the cap, without jitter", () => {
    const b = new Backoff({ initialMs: 1000, factor: Math.E, maxMs: 120_000, jitter: 0 });
    const delays = Array.from({ length: 8 }, () => b.next());
    expect(delays.slice(0, 3)).toEqual([1000, Math.round(1000 * Math.E), Math.round(1000 * Math.E ** 2)]);
    expect(delays[7]).toBe(120_000);
    expect(b.attempts).toBe(8);
  });

  test("jitter keeps each delay within [d × (1 − jitter), d]", () => {
    let r = 0;
    const randoms = [0, 0.999, 0.5];
    const b = new Backoff({ initialMs: 1000, factor: 2, jitter: 0.5, random: () => randoms[r++ % 3] ?? 0 });
    expect(b.next()).toBe(1000);
    expect(b.next()).toBe(Math.round(2000 * (1 - 0.5 * 0.999)));
    expect(b.next()).toBe(3000);
  });

  test("reset starts over from the first delay", () => {
    const b = new Backoff({ initialMs: 100, factor: 3, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });
});
