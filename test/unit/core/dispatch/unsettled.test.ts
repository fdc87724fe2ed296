/**
 * The unsettled gate (issue 5's crash bound): permits per message in arrival order, capacity read live,
 * an oversized message alone, cancel on stop; and how an attempt holds them: until the writer commits,
 * through throttle resends, but not for a part the SMSC refused.
 */
import { describe, expect, test } from "vitest";
import { type AttemptDeps, runAttempt, type SubmitTarget } from "../../../../src/core/dispatch/attempt.js";
import {
  UnsettledGate,
  UnsettledGates,
  type UnsettledPermit,
} from "../../../../src/core/dispatch/unsettled.js";
import type { RouteChoice } from "../../../../src/core/routing.js";
import type { SubmitSmBody, SubmitSmResp } from "../../../../src/smpp/net/types.js";
import { CommandStatus, SmppStatusError } from "../../../../src/smpp/status.js";
import { messageRow, NOW, partRow, upstreamConfig } from "./rows.js";

/** Records which acquires were granted, in order; `undefined` for a canceled one. */
function tracker(gate: UnsettledGate) {
  const granted: Array<{ name: string; permit: UnsettledPermit | undefined }> = [];
  const take = (name: string, parts: number) => {
    void gate.acquire(parts).then((permit) => granted.push({ name, permit }));
  };
  const permit = (name: string): UnsettledPermit => {
    const p = granted.find((g) => g.name === name)?.permit;
    if (p === undefined) throw new Error(`${name} holds no permit`);
    return p;
  };
  const names = () => granted.map((g) => g.name);
  return { take, permit, names };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("UnsettledGate", () => {
  test("grants up to capacity, in arrival order, and more only as permits come back", async () => {
    const gate = new UnsettledGate(() => 3);
    const t = tracker(gate);
    t.take("a", 1);
    t.take("b", 2);
    t.take("c", 1);
    t.take("d", 1);
    await settle();
    expect(t.names()).toEqual(["a", "b"]);
    expect([gate.unsettled, gate.waiting]).toEqual([3, 2]);

    t.permit("b").release(1); // one part of b known not sent
    await settle();
    expect(t.names()).toEqual(["a", "b", "c"]);
    t.permit("b").release(); // the rest committed
    t.permit("b").release(); // repeating is harmless
    await settle();
    expect(t.names()).toEqual(["a", "b", "c", "d"]);
    expect([gate.unsettled, gate.waiting, gate.peak]).toEqual([3, 0, 3]);
  });

  test("a bigger message is not overtaken by smaller ones (no starvation)", async () => {
    const gate = new UnsettledGate(() => 3);
    const t = tracker(gate);
    t.take("a", 2);
    t.take("big", 3);
    t.take("small", 1);
    await settle();
    expect(t.names()).toEqual(["a"]);
    t.permit("a").release();
    await settle();
    expect(t.names()).toEqual(["a", "big"]);
  });

  test("a message with more parts than the gate waits for an empty gate and goes alone", async () => {
    const gate = new UnsettledGate(() => 2);
    const t = tracker(gate);
    t.take("a", 1);
    t.take("huge", 5);
    t.take("b", 1);
    await settle();
    expect(t.names()).toEqual(["a"]);
    t.permit("a").release();
    await settle();
    expect(t.names()).toEqual(["a", "huge"]);
    expect(gate.unsettled).toBe(5);
    t.permit("huge").release();
    await settle();
    expect(t.names()).toEqual(["a", "huge", "b"]);
  });

  test("follows a capacity change at the next grant", async () => {
    let capacity = 1;
    const gate = new UnsettledGate(() => capacity);
    const t = tracker(gate);
    t.take("a", 1);
    t.take("b", 1);
    t.take("c", 1);
    await settle();
    expect(t.names()).toEqual(["a"]);
    capacity = 4;
    t.take("d", 1); // any acquire or release re-reads it
    await settle();
    expect(t.names()).toEqual(["a", "b", "c", "d"]);
    capacity = 1;
    t.take("e", 1);
    t.permit("a").release();
    t.permit("b").release();
    await settle();
    expect(t.names()).toEqual(["a", "b", "c", "d"]);
    expect(gate.unsettled).toBe(2);
  });

  test("canceling resolves every wait with no permit", async () => {
    const gates = new UnsettledGates(() => 1);
    const t = tracker(gates.for("ups_1"));
    t.take("a", 1);
    t.take("b", 1);
    await settle();
    gates.cancelWaiting();
    await settle();
    expect(t.names()).toEqual(["a", "b"]);
    expect(() => t.permit("b")).toThrow(/no permit/);
    expect(gates.stats().get("ups_1")).toEqual({ unsettled: 1, waiting: 0, peak: 1 });
  });

  test("an upstream that stopped running keeps its last capacity", async () => {
    let capacity: number | undefined = 2;
    const gates = new UnsettledGates(() => capacity);
    const t = tracker(gates.for("ups_1"));
    t.take("a", 1);
    await settle();
    capacity = undefined;
    t.take("b", 1);
    t.take("c", 1);
    await settle();
    expect(t.names()).toEqual(["a", "b"]);
  });
});

const CONFIG = upstreamConfig("sim");
const ROUTED: RouteChoice = { kind: "upstream", upstreamId: "ups_1", routeId: "rte_1", bound: true };

/** A pool answering each submit with the next scripted reply, recording what the gate held at each. */
function target(gate: UnsettledGate, replies: Array<string | Error>) {
  const heldAtSubmit: number[] = [];
  const t: SubmitTarget = {
    config: CONFIG,
    pool: {
      submit(_body: SubmitSmBody): Promise<SubmitSmResp> {
        heldAtSubmit.push(gate.unsettled);
        const reply = replies.shift() ?? new Error("no reply scripted");
        if (reply instanceof Error) return Promise.reject(reply);
        const resp = { command: "submit_sm_resp", command_status: 0, sequence_number: 1, message_id: reply };
        return Promise.resolve(resp as SubmitSmResp);
      },
    },
  };
  return { t, heldAtSubmit };
}

function deps(upstream: SubmitTarget, gate: UnsettledGate, stopping = () => false): AttemptDeps {
  return {
    routes: { ready: async () => {}, resolve: () => ROUTED, invalidate: () => {} },
    upstream: () => upstream,
    maxThrottleResends: 3,
    stopping,
    now: () => NOW,
    partTimeoutMs: 1000,
    unsettled: () => gate,
  };
}

describe("runAttempt with the unsettled gate", () => {
  const text = "x".repeat(400);
  const threeParts = () => [1, 2, 3].map((i) => partRow("msg_1", i, text.slice((i - 1) * 153, i * 153)));
  const long = messageRow({ text, segments: 3, concatRef: 7 });

  test("takes a permit per part before the first submit and hands them to the writer", async () => {
    const gate = new UnsettledGate(() => 10);
    const { t, heldAtSubmit } = target(gate, ["a1", "a2", "a3"]);
    const result = await runAttempt(deps(t, gate), long, threeParts());
    expect(result.decision.kind).toBe("sent");
    expect(heldAtSubmit).toEqual([3, 3, 3]);
    expect(result.permit?.held).toBe(3);
    expect(gate.unsettled).toBe(3); // until the result is committed
    result.permit?.release();
    expect(gate.unsettled).toBe(0);
  });

  test("throttled resends keep the permit; a part the SMSC refused gives its permit back", async () => {
    const gate = new UnsettledGate(() => 10);
    const throttled = new SmppStatusError(CommandStatus.ESME_RTHROTTLED);
    const refused = new SmppStatusError(CommandStatus.ESME_RINVDSTADR);
    const { t } = target(gate, ["a1", throttled, refused, throttled, "a3"]);
    const result = await runAttempt(deps(t, gate), long, threeParts());
    expect(result.submitted.map((s) => s.result.ok).sort()).toEqual([false, true, true]);
    expect(result.permit?.held).toBe(2);
    expect(gate.unsettled).toBe(2);
  });

  test("a stop while waiting for room sends nothing and stores the message as not sent", async () => {
    const gate = new UnsettledGate(() => 1);
    const blocker = await gate.acquire(1);
    let stopping = false;
    const { t, heldAtSubmit } = target(gate, ["a1"]);
    const attempt = runAttempt(
      deps(t, gate, () => stopping),
      messageRow(),
      [partRow("msg_1", 1, "hello")],
    );
    await settle();
    expect(gate.waiting).toBe(1);
    stopping = true;
    gate.cancelWaiting();
    const result = await attempt;
    expect(heldAtSubmit).toEqual([]);
    expect(result.submitted).toEqual([]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: false });
    expect(result.permit).toBeUndefined();
    expect(blocker?.held).toBe(1);
  });
});
