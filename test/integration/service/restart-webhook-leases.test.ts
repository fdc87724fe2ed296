/**
 * The service restarted under the same instance id (same host and port) sends at once the webhook
 * deliveries its previous run had leased, rather than after their lease (5 minutes by default).
 */
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { appendEvents } from "../../../src/core/events/outbox.js";
import { createLogger } from "../../../src/log.js";
import { type RunningService, startService } from "../../../src/main.js";
import { logLines } from "../../helpers/log-lines.js";
import { call, startReceiver, startTestService, type TestService, testConfig, waitFor } from "./harness.js";

const INSTANCE = "restarted-host:8080";

describe("a restart under the same instance id", () => {
  let first: TestService | undefined;
  let second: RunningService | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;

  afterAll(async () => {
    await second?.stop("test over");
    await first?.database.close();
    await receiver?.close();
  });

  it("takes back the previous run's leased webhook deliveries at start", async () => {
    receiver = await startReceiver();
    const config = testConfig();
    first = await startTestService({ instanceId: INSTANCE }, config);
    const { url } = first.service;
    const account = await call(url, "POST", "/admin/accounts", config.adminToken, { name: "Restart" });
    const accountId = (account.body as { id: string }).id;
    const key = await call(url, "POST", `/admin/accounts/${accountId}/api-keys`, config.adminToken, {});
    const endpoint = await call(url, "POST", "/v1/webhook-endpoints", (key.body as { key: string }).key, {
      url: receiver.url,
    });
    expect(endpoint.status).toBe(201);
    await first.service.stop("restart");

    // What the previous run left: a delivery it had taken, leased for another 10 minutes.
    const { db } = first.database;
    const [eventId] = await db.transaction((tx) =>
      appendEvents(tx, [{ accountId, type: "message.delivered", data: { id: "msg_restart" } }]),
    );
    await db.execute(
      sql`UPDATE webhook_deliveries SET lease_owner = ${INSTANCE},
            lease_expires_at = now() + interval '10 minutes', next_attempt_at = now() + interval '10 minutes'`,
    );

    const log = logLines();
    const logger = createLogger({ level: "info", destination: log.stream });
    second = await startService(config, {
      logger,
      database: first.database,
      migrate: false,
      instanceId: INSTANCE,
      webhookPollIntervalMs: 100,
    });
    await waitFor(() => receiver?.received.length === 1, "the previous run's delivery");
    expect(receiver.received[0]?.headers["webhook-id"]).toBe(eventId);
    expect(log.lines.some((l) => l.msg === "taking back webhook deliveries of a previous run")).toBe(true);
  });
});
