/** One dispatch attempt with a scripted pool: routing outcomes, throttle resends, the part guard. */
import { describe, expect, test } from "vitest";
import { type AttemptDeps, runAttempt, type SubmitTarget } from "../../../../src/core/dispatch/attempt.js";
import type { MessagePartRow } from "../../../../src/core/messages/sink.js";
import type { RouteChoice } from "../../../../src/core/routing.js";
import { RequestAbortedError } from "../../../../src/smpp/net/errors.js";
import type { SubmitSmBody, SubmitSmResp } from "../../../../src/smpp/net/types.js";
import { CommandStatus, SmppStatusError } from "../../../../src/smpp/status.js";
import { messageRow as message, NOW, partRow, upstreamConfig } from "./rows.js";

const CONFIG = upstreamConfig("sim");

function part(index: number, text: string, smscMessageId: string | null = null): MessagePartRow {
  return partRow("msg_1", index, text, smscMessageId);
}

/** A pool answering each submit with the next scripted reply (an id, an error, or never). */
function target(replies: Array<string | Error | "never">): SubmitTarget & { sent: SubmitSmBody[] } {
  const sent: SubmitSmBody[] = [];
  return {
    sent,
    config: CONFIG,
    pool: {
      submit(body: SubmitSmBody): Promise<SubmitSmResp> {
        sent.push(body);
        const reply = replies.shift() ?? "never";
        if (reply === "never") return new Promise(() => {});
        if (reply instanceof Error) return Promise.reject(reply);
        return Promise.resolve({
          command: "submit_sm_resp",
          command_status: 0,
          sequence_number: 1,
          message_id: reply,
        } as SubmitSmResp);
      },
    },
  };
}

function deps(choice: RouteChoice, upstream: SubmitTarget | undefined, extra: Partial<AttemptDeps> = {}) {
  let invalidated = 0;
  const d: AttemptDeps = {
    routes: {
      ready: async () => {},
      resolve: () => choice,
      invalidate: () => {
        invalidated++;
      },
    },
    upstream: () => upstream,
    maxThrottleResends: 3,
    stopping: () => false,
    now: () => NOW,
    partTimeoutMs: 1000,
    ...extra,
  };
  return { d, invalidated: () => invalidated };
}

const ROUTED: RouteChoice = { kind: "upstream", upstreamId: "ups_1", routeId: "rte_1", bound: true };

describe("runAttempt", () => {
  test("no route: failed NO_ROUTE after one reload of the table", async () => {
    const { d, invalidated } = deps({ kind: "no_route" }, undefined);
    const result = await runAttempt(d, message(), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "failed", code: "NO_ROUTE" });
    expect(invalidated()).toBe(1);
  });

  test("a route to an upstream not running here: retried, not counted", async () => {
    const { d } = deps(ROUTED, undefined);
    const result = await runAttempt(d, message(), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: false });
  });

  test("validity already over: failed without a submit", async () => {
    const t = target(["1"]);
    const { d } = deps(ROUTED, t);
    const result = await runAttempt(d, message({ expiresAt: NOW }), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "failed", code: "RETRIES_EXHAUSTED" });
    expect(t.sent).toHaveLength(0);
  });

  test("throttled submits are sent again at once, up to the bound", async () => {
    const throttled = () => new SmppStatusError(CommandStatus.ESME_RTHROTTLED);
    const ok = target([throttled(), throttled(), "abc"]);
    const first = await runAttempt(deps(ROUTED, ok).d, message(), [part(1, "hello")]);
    expect(first.decision).toEqual({ kind: "sent" });
    expect(ok.sent).toHaveLength(3);

    // Still throttled past the bound: retried later, and not counted (an SMSC throttling for hours
    // delays messages, it must not exhaust their retries).
    const never = target([throttled(), throttled(), throttled(), throttled(), throttled()]);
    const second = await runAttempt(deps(ROUTED, never).d, message(), [part(1, "hello")]);
    expect(second.decision).toMatchObject({
      kind: "retry",
      counted: false,
      smppStatus: CommandStatus.ESME_RTHROTTLED,
    });
    expect(never.sent).toHaveLength(4);
  });

  test("at partTimeoutMs a submit the session still holds unwritten (paused, full) is called off, not counted", async () => {
    const t: SubmitTarget = {
      config: CONFIG,
      pool: {
        submit: (_body, _waitMs, signal) =>
          new Promise<SubmitSmResp>((_resolve, reject) => {
            signal?.addEventListener("abort", () => reject(new RequestAbortedError("not written")));
          }),
      },
    };
    const result = await runAttempt(deps(ROUTED, t, { partTimeoutMs: 20 }).d, message(), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: false });
  });

  test("an answer that comes after partTimeoutMs, within the grace, is the part's outcome: sent, its id told", async () => {
    const told: string[] = [];
    const t: SubmitTarget = {
      config: CONFIG,
      pool: {
        submit: (_body, _waitMs, signal) =>
          new Promise<SubmitSmResp>((resolve) => {
            signal?.addEventListener("abort", () =>
              setTimeout(
                () =>
                  resolve({
                    command: "submit_sm_resp",
                    command_status: 0,
                    sequence_number: 1,
                    message_id: "in-hand",
                  } as SubmitSmResp),
                5,
              ),
            );
          }),
      },
    };
    const accepted = (_m: string, _u: string, id: string) => told.push(id);
    const result = await runAttempt(deps(ROUTED, t, { partTimeoutMs: 50, accepted }).d, message(), [
      part(1, "hello"),
    ]);
    expect(result.decision).toEqual({ kind: "sent" });
    expect(told).toEqual(["in-hand"]);
  });

  test("a submit that never settles is given up after partTimeoutMs as an unknown outcome", async () => {
    const t = target(["never"]);
    const result = await runAttempt(deps(ROUTED, t, { partTimeoutMs: 30 }).d, message(), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: true });
  });

  test("a part given up after partTimeoutMs is not sent again, and its pending submit is told so", async () => {
    // The guard once left the sending loop running: a submit throttled after the attempt was stored as
    // a retry was resent in the background, and its OK came on top of the retry's (a duplicate).
    const signals: Array<AbortSignal | undefined> = [];
    let throwBack: ((error: Error) => void) | undefined;
    const t: SubmitTarget = {
      config: CONFIG,
      pool: {
        submit(_body, _waitMs, signal) {
          signals.push(signal);
          return new Promise<SubmitSmResp>((_resolve, reject) => {
            throwBack = reject;
          });
        },
      },
    };
    const result = await runAttempt(deps(ROUTED, t, { partTimeoutMs: 20 }).d, message(), [part(1, "hello")]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: true });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    throwBack?.(new SmppStatusError(CommandStatus.ESME_RTHROTTLED));
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals).toHaveLength(1);
  });

  test("each SMSC id is told as its submit_sm_resp comes; a refused part's and a given-up part's are not", async () => {
    const told: string[] = [];
    const accepted = (messageId: string, upstreamId: string, id: string) => {
      told.push(`${messageId}/${upstreamId}/${id}`);
    };
    const refused = new SmppStatusError(CommandStatus.ESME_RINVDSTADR);
    const text = "e".repeat(300);
    const parts = [part(1, "e".repeat(153)), part(2, "e".repeat(147))];
    const mixed = target(["id1", refused]);
    await runAttempt(
      deps(ROUTED, mixed, { accepted }).d,
      message({ text, segments: 2, concatRef: 7 }),
      parts,
    );
    expect(told).toEqual(["msg_1/ups_1/id1"]);

    // Answered only after the part guard gave it up: the result carries no id, so none may be pending.
    let answer: ((resp: SubmitSmResp) => void) | undefined;
    const late: SubmitTarget = {
      config: CONFIG,
      pool: {
        submit: () =>
          new Promise<SubmitSmResp>((resolve) => {
            answer = resolve;
          }),
      },
    };
    const result = await runAttempt(deps(ROUTED, late, { accepted, partTimeoutMs: 20 }).d, message(), [
      part(1, "hello"),
    ]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: true });
    answer?.({
      command: "submit_sm_resp",
      command_status: 0,
      sequence_number: 1,
      message_id: "late",
    } as SubmitSmResp);
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual(["msg_1/ups_1/id1"]);
  });

  test("only the parts without an SMSC id are submitted again", async () => {
    const text = "e".repeat(400);
    const t = target(["id2"]);
    const parts = [part(1, "e".repeat(153), "id1"), part(2, "e".repeat(153)), part(3, "e".repeat(94), "id3")];
    const result = await runAttempt(deps(ROUTED, t).d, message({ text, segments: 3, concatRef: 7 }), parts);
    expect(result.decision).toEqual({ kind: "sent" });
    expect(result.submitted.map((s) => s.planned.index)).toEqual([2]);
    expect(t.sent).toHaveLength(1);
  });
});
