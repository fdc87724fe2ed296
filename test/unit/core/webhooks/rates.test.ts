import { describe, expect, it } from "vitest";
import { SendRates } from "../../../../src/core/webhooks/worker/rates.js";

describe("SendRates", () => {
  it("counts a gate's sends per window and reports the last full window", () => {
    const rates = new SendRates(1000);
    for (let t = 0; t < 1000; t += 2) rates.record("fast", t); // 500 in the first second
    rates.record("slow", 10);
    expect(rates.perSecond("fast", 999)).toBe(500);
    // Early in the next window the previous one still speaks for the gate.
    rates.record("fast", 1010);
    expect(rates.perSecond("fast", 1100)).toBe(500);
    expect(rates.perSecond("slow", 1100)).toBe(1);
    expect(rates.perSecond("unknown", 1100)).toBe(0);
  });

  it("sees a gate speeding up within the current window", () => {
    const rates = new SendRates(1000);
    rates.record("g", 0);
    for (let t = 1000; t < 1300; t++) rates.record("g", t);
    expect(rates.perSecond("g", 1300)).toBe(300);
  });

  it("forgets a gate after two quiet windows, so a receiver that stops answering loses its backlog", () => {
    const rates = new SendRates(1000);
    for (let t = 0; t < 100; t++) rates.record("hung", t);
    expect(rates.keys(500)).toEqual(["hung"]);
    expect(rates.perSecond("hung", 1500)).toBe(100);
    expect(rates.perSecond("hung", 2100)).toBe(0);
    expect(rates.keys(2100)).toEqual([]);
  });

  it("reports the last complete window once the next one has begun", () => {
    const rates = new SendRates(1000);
    for (let t = 0; t < 50; t++) rates.record("g", t);
    rates.record("g", 1500); // second window: 1
    expect(rates.perSecond("g", 2500)).toBe(1);
  });
});
