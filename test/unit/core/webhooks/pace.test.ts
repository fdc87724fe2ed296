import { describe, expect, it } from "vitest";
import { FAST_MS, ReceiverPace } from "../../../../src/core/webhooks/worker/pace.js";
import type { SendOutcome } from "../../../../src/core/webhooks/worker/send.js";

const answer = (statusCode: number | null, durationMs = 5): SendOutcome => ({
  statusCode,
  responseBody: null,
  durationMs,
  error: statusCode === null ? "timeout" : null,
  retryAfterMs: null,
});

describe("ReceiverPace", () => {
  it("gives a receiver its base until it answered that many requests fast, then base × burst", () => {
    const pace = new ReceiverPace(3, 4);
    expect(pace.limit("a")).toBe(3);
    pace.observe("a", answer(200));
    pace.observe("a", answer(204, FAST_MS));
    expect(pace.limit("a")).toBe(3);
    pace.observe("a", answer(299));
    expect(pace.limit("a")).toBe(12);
    expect(pace.limit("b")).toBe(3);
  });

  it.each([
    ["a slow 2xx", answer(200, FAST_MS + 1)],
    ["a 3xx", answer(302)],
    ["a 500", answer(500)],
    ["a 429", answer(429)],
    ["no answer", answer(null)],
  ])("takes the burst back at %s, and the streak starts again", (_, outcome) => {
    const pace = new ReceiverPace(2, 4);
    for (let i = 0; i < 5; i++) pace.observe("a", answer(200));
    expect(pace.limit("a")).toBe(8);
    pace.observe("a", outcome);
    expect(pace.limit("a")).toBe(2);
    pace.observe("a", answer(200));
    expect(pace.limit("a")).toBe(2);
    pace.observe("a", answer(200));
    expect(pace.limit("a")).toBe(8);
  });
});
