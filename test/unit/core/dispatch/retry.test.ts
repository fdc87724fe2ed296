/** How submit failures are classified, and how part results decide a message's attempt. */
import { describe, expect, test } from "vitest";
import { classifySubmitError, isThrottle } from "../../../../src/core/dispatch/retry.js";
import { decideOutcome } from "../../../../src/core/results/outcome.js";
import { SmppEncodeError } from "../../../../src/smpp/errors.js";
import {
  NoSessionError,
  ResponseTimeoutError,
  SessionClosedError,
  WindowWaitTimeoutError,
} from "../../../../src/smpp/net/errors.js";
import { CommandStatus, SmppStatusError } from "../../../../src/smpp/status.js";

describe("classifySubmitError", () => {
  test("permanent statuses fail the message with SMSC_REJECTED and the status", () => {
    expect(classifySubmitError(new SmppStatusError(CommandStatus.ESME_RINVDSTADR))).toMatchObject({
      kind: "permanent",
      code: "SMSC_REJECTED",
      status: 0x0b,
    });
  });

  test("transient, session and ambiguous statuses retry, counted", () => {
    for (const status of [
      CommandStatus.ESME_RSYSERR,
      CommandStatus.ESME_RINVBNDSTS,
      CommandStatus.ESME_RSUBMITFAIL,
    ]) {
      expect(classifySubmitError(new SmppStatusError(status))).toMatchObject({
        kind: "retry",
        counted: true,
        status,
      });
    }
  });

  test("a timeout or a lost session with the submit written counts; nothing written does not", () => {
    expect(classifySubmitError(new ResponseTimeoutError("submit_sm", 7, 1000))).toMatchObject({
      kind: "retry",
      counted: true,
    });
    expect(classifySubmitError(new SessionClosedError("gone", true))).toMatchObject({ counted: true });
    expect(classifySubmitError(new SessionClosedError("not bound", false))).toMatchObject({ counted: false });
    expect(classifySubmitError(new NoSessionError("none"))).toMatchObject({ kind: "retry", counted: false });
    expect(classifySubmitError(new WindowWaitTimeoutError(10))).toMatchObject({ counted: false });
  });

  test("a PDU that cannot be encoded fails the message INVALID_MESSAGE", () => {
    expect(classifySubmitError(new SmppEncodeError("submit_sm", "source_addr", "too long"))).toMatchObject({
      kind: "permanent",
      code: "INVALID_MESSAGE",
    });
  });

  test("throttling statuses are resent from memory, and retried without counting when they persist", () => {
    for (const status of [CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL]) {
      expect(classifySubmitError(new SmppStatusError(status))).toMatchObject({
        kind: "retry",
        counted: false,
        status,
      });
    }
    expect(isThrottle(new SmppStatusError(CommandStatus.ESME_RTHROTTLED))).toBe(true);
    expect(isThrottle(new SmppStatusError(CommandStatus.ESME_RMSGQFUL))).toBe(true);
    expect(isThrottle(new SmppStatusError(CommandStatus.ESME_RSYSERR))).toBe(false);
    expect(isThrottle(new Error("x"))).toBe(false);
  });
});

describe("decideOutcome", () => {
  const ok = (index: number) => ({
    index,
    ok: true as const,
    smscMessageId: `id${index}`,
    sentAt: new Date(0),
  });
  const retry = (index: number, counted: boolean) => ({
    index,
    ok: false as const,
    failure: { kind: "retry" as const, counted, status: null, message: "later" },
  });

  test("every part accepted: sent", () => {
    expect(decideOutcome([ok(1), ok(2)])).toEqual({ kind: "sent" });
  });

  test("one permanent rejection fails the message, naming the part", () => {
    const rejected = {
      index: 2,
      ok: false as const,
      failure: { kind: "permanent" as const, code: "SMSC_REJECTED", status: 0x0b, message: "bad" },
    };
    expect(decideOutcome([ok(1), rejected, retry(3, true)])).toEqual({
      kind: "failed",
      code: "SMSC_REJECTED",
      message: "Part 2: bad",
      smppStatus: 0x0b,
    });
  });

  test("retryable failures retry; counted when any may have reached the SMSC", () => {
    expect(decideOutcome([ok(1), retry(2, false)])).toMatchObject({ kind: "retry", counted: false });
    expect(decideOutcome([retry(1, false), retry(2, true)])).toMatchObject({ kind: "retry", counted: true });
  });
});
