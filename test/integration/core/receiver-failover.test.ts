/**
 * An upstream bound as a receiver has bound sessions but cannot send a submit_sm (ESME_RINVBNDSTS). In a
 * route's failover list it counts as having no session able to send, and is skipped for the next one.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRoute } from "../../../src/core/routes.js";
import { createUpstream } from "../../../src/core/upstreams.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

let p: Pipeline;
let receiverId = "";
beforeAll(async () => {
  p = await startPipeline({
    route: false,
    dispatcher: { retry: { maxAttempts: 3, backoffBaseMs: 20, backoffMaxMs: 50, jitter: 0 } },
  });
  const receiver = await createUpstream(
    { db: p.database.db, secretKey: p.secretKey, runtime: p.runtime },
    {
      name: "receiver-only",
      host: "127.0.0.1",
      port: p.sim.port,
      systemId: "bridge",
      password: "pw",
      bindMode: "receiver",
      sessions: 1,
      window: 10,
    },
  );
  receiverId = receiver.id;
  await p.runtime.get(receiverId)?.pool.whenBound(5000);
  await createRoute(p.database.db, {
    prefix: "",
    upstreamIds: [receiverId, p.upstreamId],
    accountId: null,
  });
  p.dispatcher.routes.invalidate();
});
afterAll(async () => {
  await p?.close();
});

describe("a receiver-only upstream first in a route", () => {
  test("is bound, yet skipped: the message goes out through the next upstream", async () => {
    expect(p.runtime.get(receiverId)?.pool.boundCount).toBe(1);
    expect(p.runtime.isBound(receiverId)).toBe(false);
    const accepted = await p.send({ text: "via the transmitter" });
    const done = await p.waitFor(accepted.id, ["delivered", "failed"]);
    expect(done).toMatchObject({ status: "delivered", upstream: "sim", error: null });
  }, 60_000);
});
