/**
 * A live instance keeps its work: while a submit takes longer than the lease (a slow SMSC), the
 * dispatcher's renewal keeps the message off another instance's poller, so it is submitted once.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Dispatcher } from "../../../src/core/dispatch/dispatcher.js";
import { messageRow, type Pipeline, startPipeline } from "./pipeline-harness.js";

const LEASE_MS = 3000;

let p: Pipeline;
let other: Dispatcher | undefined;
beforeAll(async () => {
  p = await startPipeline({ leaseSeconds: LEASE_MS / 1000, dispatcher: { leaseMs: LEASE_MS } });
  // Another instance polling the same database often, on the same SMSC.
  other = new Dispatcher({
    db: p.database.db,
    runtime: p.runtime,
    instanceId: "instance-b",
    leaseMs: LEASE_MS,
    pollIntervalMs: 100,
    routeRefreshMs: 0,
  });
  await other.start();
});
afterAll(async () => {
  await other?.stop();
  await p?.close();
});

describe("a live instance's lease", () => {
  test("is renewed while its submit outlasts the lease, so no other instance sends the message", async () => {
    // Over twice the lease: without renewal, instance B takes the message and submits it again.
    p.sim.setFaults({ responseDelayMs: LEASE_MS * 2 + 1000 });
    try {
      const accepted = await p.send({ text: "slow SMSC" });
      const done = await p.waitFor(accepted.id, ["delivered", "failed"], 30_000);
      expect(done.status).toBe("delivered");
      expect(p.sim.submits.list().filter((s) => s.text === "slow SMSC")).toHaveLength(1);
      expect((await messageRow(p, accepted.id)).attempts).toBe(1);
      expect(other?.stats.claimedByPoller).toBe(0);
    } finally {
      p.sim.clearFaults();
    }
  }, 60_000);
});
