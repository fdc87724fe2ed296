/**
 * A second `serve` started by mistake where one already runs (same host, same PORT: the same default
 * instance id) must fail on its port before it touches the work of the running one. It used to open
 * the database, bind SMPP sessions and start its dispatcher first, which expires every lease held
 * under its instance id: the running instance's messages in flight became due for the poller and were
 * sent a second time.
 */
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../../src/db/client.js";
import { createLogger } from "../../../src/log.js";
import { startService } from "../../../src/main.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { freePort } from "../first-run/serve-process.js";
import { call, provision, startTestService, type TestService, testConfig, waitFor } from "./harness.js";

const SMPP = { systemId: "bridge", password: "secret1" };

describe("serve on a port already in use", () => {
  let simulator: Simulator;
  let running: TestService;

  beforeAll(async () => {
    // Submits are never answered: the message stays `sending`, leased to the running instance.
    simulator = await Simulator.start({ accounts: [SMPP], faults: { noResponseFraction: 1 } });
    const port = await freePort();
    // Renewal out of the way, so nothing but the second instance can move the lease during the test.
    running = await startTestService(
      { dispatcher: { leaseMs: 120_000, renewIntervalMs: 100_000 } },
      testConfig({ port }),
    );
  });

  afterAll(async () => {
    await running?.close();
    await simulator?.close();
  });

  it("fails with EADDRINUSE and leaves the running instance's leases alone", async () => {
    const { service, config } = running;
    expect(service.instanceId.endsWith(`:${config.port}`)).toBe(true);
    const p = await provision(service.url, config.adminToken, simulator, SMPP);
    const patched = await call(service.url, "PATCH", `/admin/upstreams/${p.upstreamId}`, config.adminToken, {
      response_timeout: 300,
    });
    expect(patched.status).toBe(200);
    await waitFor(async () => {
      const sessions = await call(
        service.url,
        "GET",
        `/admin/upstreams/${p.upstreamId}/sessions`,
        config.adminToken,
      );
      return (sessions.body as { data: { state: string }[] }).data.some((s) => s.state === "bound");
    }, "the rebound session");
    const sent = await call(service.url, "POST", "/v1/messages", p.apiKey, {
      to: "+447700900123",
      text: "once",
    });
    expect(sent.status).toBe(202);
    const id = (sent.body as { id: string }).id;
    await waitFor(() => simulator.stats().unanswered === 1, "the submit at the SMSC");

    let log = "";
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          log += chunk.toString("utf8");
          done();
        },
      }),
    });
    const second = startService(config, { logger, database: running.database, migrate: false });
    await expect(second).rejects.toMatchObject({ code: "EADDRINUSE" });

    expect(log).not.toContain("taking back work");
    const [row] = await queryRows<{ status: string; owner: string | null; leased: boolean }>(
      running.database.db,
      sql`SELECT status, lease_owner AS owner, lease_expires_at > now() AS leased FROM messages WHERE id = ${id}`,
    );
    expect(row).toEqual({ status: "sending", owner: service.instanceId, leased: true });
    // The running instance still answers.
    expect((await call(service.url, "GET", "/healthz", null)).status).toBe(200);
  });
});
