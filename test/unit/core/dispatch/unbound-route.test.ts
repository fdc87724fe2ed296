/**
 * An attempt routed to an upstream with no bound session does not queue at the upstream's gate: when
 * the gate has room it waits in the pool for a bind as before, otherwise the message is given back at
 * once (retried, not counted) instead of holding a dispatch slot in line.
 */
import { describe, expect, test } from "vitest";
import { type AttemptDeps, runAttempt, type SubmitTarget } from "../../../../src/core/dispatch/attempt.js";
import { UnsettledGate } from "../../../../src/core/dispatch/unsettled.js";
import type { RouteChoice } from "../../../../src/core/routing.js";
import type { SubmitSmBody, SubmitSmResp } from "../../../../src/smpp/net/types.js";
import { messageRow, NOW, partRow, upstreamConfig } from "./rows.js";

const CONFIG = upstreamConfig("down");

const UNBOUND: RouteChoice = { kind: "upstream", upstreamId: "ups_1", routeId: "rte_1", bound: false };

function setup(gate: UnsettledGate) {
  const sent: SubmitSmBody[] = [];
  const target: SubmitTarget = {
    config: CONFIG,
    pool: {
      submit(body: SubmitSmBody): Promise<SubmitSmResp> {
        sent.push(body);
        return Promise.resolve({
          command: "submit_sm_resp",
          command_status: 0,
          sequence_number: 1,
          message_id: "id1",
        } as SubmitSmResp);
      },
    },
  };
  const deps: AttemptDeps = {
    routes: { ready: async () => {}, resolve: () => UNBOUND, invalidate: () => {} },
    upstream: () => target,
    maxThrottleResends: 3,
    stopping: () => false,
    now: () => NOW,
    partTimeoutMs: 1000,
    unsettled: () => gate,
  };
  return { deps, sent };
}

describe("an attempt for an upstream with no bound session", () => {
  test("with room at the gate it is sent (the pool waits for a bind)", async () => {
    const gate = new UnsettledGate(() => 1);
    const { deps, sent } = setup(gate);
    const result = await runAttempt(deps, messageRow(), [partRow("msg_1", 1, "hello", null)]);
    expect(result.decision).toEqual({ kind: "sent" });
    expect(sent).toHaveLength(1);
    result.permit?.release();
    expect(gate.unsettled).toBe(0);
  });

  test("with the gate full it is given back at once, not counted, and nothing waits at the gate", async () => {
    const gate = new UnsettledGate(() => 1);
    const held = gate.tryAcquire(1);
    expect(held).toBeDefined();
    const { deps, sent } = setup(gate);
    const result = await runAttempt(deps, messageRow(), [partRow("msg_1", 1, "hello", null)]);
    expect(result.decision).toMatchObject({ kind: "retry", counted: false });
    expect(result.upstreamId).toBe("ups_1");
    expect(sent).toHaveLength(0);
    expect(gate.waiting).toBe(0);
    expect(gate.unsettled).toBe(1);
  });
});

describe("UnsettledGate.tryAcquire", () => {
  test("grants only what fits now, never past a waiter", async () => {
    const gate = new UnsettledGate(() => 2);
    const a = gate.tryAcquire(2);
    expect(a?.held).toBe(2);
    expect(gate.tryAcquire(1)).toBeUndefined();
    const waiting = gate.acquire(1);
    a?.release(1);
    const b = await waiting;
    expect(b?.held).toBe(1);
    expect(gate.tryAcquire(1)).toBeUndefined();
    a?.release();
    // Larger than the gate: granted alone, when it is empty (as acquire does).
    b?.release();
    expect(gate.tryAcquire(5)?.held).toBe(5);
  });
});
