/**
 * Throttling at the SMSC slows sending but sends nothing twice (issue 5; DESIGN.md §2: duplicates only
 * from what was in flight when something broke, and nothing broke here). Against a simulator that
 * throttled every submit for seconds, then took them again, with answers 150 ms late: the throttling
 * pause had grown past the 1 s response timeout, and the first submits after it were once timed out
 * at once (their deadline was read off a clock that had stood still while the session was idle), retried
 * as unknown outcomes and accepted twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({
    simulator: { faults: { responseDelayMs: 150 } },
    upstream: { window: 10, responseTimeout: 1 },
  });
});
afterAll(async () => {
  await p?.close();
});

describe("sustained throttling", () => {
  test("every message is accepted by the SMSC exactly once and delivered", async () => {
    p.sim.setFaults({ throttleFraction: 1 });
    // No more than the window: none waits for a slot, so nothing is outstanding during a pause.
    const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => p.send({ text: `busy ${i}` })));
    // Four throttling episodes at least (pauses of ~0.2, 0.4, 0.8, 1.6 s): the pause now in effect
    // is longer than the response timeout, and the session sits idle through it.
    await until(() => p.sim.stats().throttled >= 40, "40 throttled submits", 60_000);
    p.sim.setFaults({ throttleFraction: 0 });
    const done = await Promise.all(sent.map((m) => p.waitFor(m.id, ["delivered", "failed"], 60_000)));
    expect(done.filter((m) => m.status !== "delivered")).toEqual([]);
    expect(p.sim.stats().submitsAccepted).toBe(10);
  }, 120_000);
});
