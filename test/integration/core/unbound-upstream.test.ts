/**
 * An upstream with no bound session (disabled, or its SMSC down) must not hold the dispatcher: its
 * messages go back to the database to wait (not counted, no failure), and every other upstream keeps
 * sending. They used to wait, each in a dispatch slot, in line at the upstream's unsettled gate for
 * a bind that never came: a backlog for the dead upstream took every slot, and traffic to healthy
 * upstreams stopped with it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRoute } from "../../../src/core/routes.js";
import { createUpstream } from "../../../src/core/upstreams.js";
import { messageRow, type Pipeline, startPipeline, until } from "./pipeline-harness.js";

const CONCURRENCY = 4;

let p: Pipeline;
let downId = "";
beforeAll(async () => {
  p = await startPipeline({
    route: false,
    dispatcher: { concurrency: CONCURRENCY },
  });
  const down = await createUpstream(
    { db: p.database.db, secretKey: p.secretKey, runtime: p.runtime },
    {
      name: "down",
      host: "127.0.0.1",
      port: p.sim.port,
      systemId: "bridge",
      password: "pw",
      sessions: 1,
      window: 1,
      enabled: false,
    },
  );
  downId = down.id;
  await createRoute(p.database.db, { prefix: "33", upstreamIds: [downId], accountId: null });
  await createRoute(p.database.db, { prefix: "44", upstreamIds: [p.upstreamId], accountId: null });
  p.dispatcher.routes.invalidate();
});
afterAll(async () => {
  await p?.close();
});

describe("an upstream with no bound session", () => {
  test("its backlog waits in the database and other upstreams keep sending", async () => {
    const stuck = await Promise.all(
      Array.from({ length: CONCURRENCY * 3 }, (_, i) => p.send({ to: "+33612345678", text: `down ${i}` })),
    );
    // Every one of them has been looked at once: none was sent, none failed.
    await until(
      async () =>
        (await Promise.all(stuck.map((m) => messageRow(p, m.id)))).every((r) => r.upstreamId !== null),
      "every message for the unbound upstream tried once",
    );
    // None waits in a dispatch slot for a bind that is not coming.
    expect(p.dispatcher.stats.unsettled.get(downId)?.waiting ?? 0).toBe(0);
    const healthy = await p.send({ to: "+447700900123", text: "healthy upstream" });
    const done = await p.waitFor(healthy.id, ["delivered", "failed"]);
    expect(done.status).toBe("delivered");
    for (const m of stuck) {
      const row = await messageRow(p, m.id);
      expect(row.status === "queued" || row.status === "sending").toBe(true);
      // Given back, not counted (a claim in progress counts its own attempt until it is given back).
      expect(row.attempts).toBe(row.status === "queued" ? 0 : 1);
    }
  }, 60_000);
});
