import { describe, expect, it } from "vitest";
import { AccountRateLimiter } from "../../../../src/core/messages/account-rate.js";
import { requestHash } from "../../../../src/core/messages/idempotency.js";
import { ConcatRefs, prepareMessage } from "../../../../src/core/messages/prepare.js";
import type { ValidMessage } from "../../../../src/core/messages/types.js";

describe("AccountRateLimiter", () => {
  it("admits max_tps messages a second per account, then says how many seconds to wait", () => {
    let now = 0;
    const limiter = new AccountRateLimiter({ now: () => now });
    for (let i = 0; i < 10; i++) expect(limiter.admit("a", 10, 1)).toBeNull();
    expect(limiter.admit("a", 10, 1)).toBe(1);
    expect(limiter.admit("b", 10, 1)).toBeNull();
    now += 100; // a tenth of a second refills one token
    expect(limiter.admit("a", 10, 1)).toBeNull();
    expect(limiter.admit("a", 10, 1)).toBe(1);
  });

  it("admits a batch above the bucket only when it is full, and the debt holds the account back", () => {
    let now = 0;
    const limiter = new AccountRateLimiter({ now: () => now });
    expect(limiter.admit("a", 5, 15)).toBeNull();
    expect(limiter.admit("a", 5, 1)).toBe(3); // 10 owed + 1 needed at 5/s
    now += 3000;
    expect(limiter.admit("a", 5, 1)).toBeNull();
  });

  it("null or 0 max_tps is unlimited", () => {
    const limiter = new AccountRateLimiter({ now: () => 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.admit("a", null, 1)).toBeNull();
    expect(limiter.admit("a", 0, 1000)).toBeNull();
  });
});

describe("requestHash", () => {
  it("ignores key order and undefined members, not values or the operation", () => {
    const a = requestHash("op", { to: "1", text: "x", nested: { b: 1, a: [1, 2] }, gone: undefined });
    expect(requestHash("op", { nested: { a: [1, 2], b: 1 }, text: "x", to: "1" })).toBe(a);
    expect(requestHash("op", { to: "1", text: "y", nested: { b: 1, a: [1, 2] } })).not.toBe(a);
    expect(requestHash("op", { to: "1", text: "x", nested: { b: 1, a: [2, 1] } })).not.toBe(a);
    expect(requestHash("other", { to: "1", text: "x", nested: { b: 1, a: [1, 2] } })).not.toBe(a);
  });
});

describe("prepareMessage", () => {
  const now = new Date("2030-06-01T12:00:00Z");
  const valid: ValidMessage = {
    to: "+447700900123",
    from: "ACME",
    text: "ab",
    encoding: "gsm7",
    dataCoding: 0,
    partTexts: ["a", "b"],
    clientReference: null,
    validityPeriod: 600,
    sendAt: null,
    deliveryReport: true,
    statusCallbackUrl: null,
  };
  const lease = { instanceId: "i-1", leaseMs: 30_000 };

  it("queues an immediate message leased to this instance, due now, expiring a validity period on", () => {
    const { message, parts } = prepareMessage(valid, "acc_1", now, 77, lease);
    expect(message).toMatchObject({
      status: "queued",
      accountId: "acc_1",
      segments: 2,
      concatRef: 77,
      leaseOwner: "i-1",
      leaseExpiresAt: new Date(now.getTime() + 30_000),
      nextAttemptAt: new Date(now.getTime() + 30_000),
      expiresAt: new Date(now.getTime() + 600_000),
    });
    expect(parts.map((p) => [p.messageId, p.index, p.text, p.status])).toEqual([
      [message.id, 1, "a", "pending"],
      [message.id, 2, "b", "pending"],
    ]);
  });

  it("schedules a future send_at unleased, due and expiring from send_at", () => {
    const sendAt = new Date(now.getTime() + 3_600_000);
    const { message } = prepareMessage({ ...valid, sendAt }, "acc_1", now, 1, lease);
    expect(message).toMatchObject({
      status: "scheduled",
      leaseOwner: null,
      leaseExpiresAt: null,
      nextAttemptAt: sendAt,
      expiresAt: new Date(sendAt.getTime() + 600_000),
    });
  });

  it("without a dispatcher queues unleased; a single part has no concatenation reference", () => {
    const { message } = prepareMessage({ ...valid, partTexts: ["ab"] }, "acc_1", now, 5, null);
    expect(message).toMatchObject({ status: "queued", leaseOwner: null, concatRef: null, segments: 1 });
  });
});

describe("ConcatRefs", () => {
  it("steps through 16 bits and wraps", () => {
    const refs = new ConcatRefs(0xfffe);
    expect([refs.take(), refs.take(), refs.take()]).toEqual([0xfffe, 0xffff, 0]);
  });
});
