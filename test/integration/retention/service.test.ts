/**
 * The retention sweep as the service runs it: started with MESSAGE_RETENTION set, counted in /metrics,
 * logged once per sweep, stopped with the service.
 */
import { expect, test } from "vitest";
import { call, startTestService, testConfig } from "../service/harness.js";
import { countRows, createAccount, createEvent, createMessage, DAY } from "./fixtures.js";

test("the service sweeps with MESSAGE_RETENTION set and counts what it deleted", async () => {
  const t = await startTestService({ retentionIntervalMs: 50 }, testConfig({ messageRetentionMs: 30 * DAY }));
  try {
    const db = t.service.db;
    const accountId = await createAccount(db);
    await createMessage(db, accountId, { status: "delivered", createdAgo: 40 * DAY });
    await createEvent(db, accountId, 40 * DAY, ["succeeded"]);
    // Bounded: the sweeps come every 50 ms.
    for (
      let i = 0;
      i < 400 && ((await countRows(db, "messages")) > 0 || (await countRows(db, "events")) > 0);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await countRows(db, "messages")).toBe(0);
    expect(await countRows(db, "events")).toBe(0);

    // The counts reach the metrics when the whole sweep ends, a moment after its deletes commit.
    const scrape = async () => String((await call(t.service.url, "GET", "/metrics", null)).body);
    let metrics = await scrape();
    for (
      let i = 0;
      i < 400 && !/retention_deleted_total\{table="webhook_deliveries"\} 1$/m.test(metrics);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      metrics = await scrape();
    }
    expect(metrics).toMatch(/^smpp_bridge_retention_deleted_total\{table="messages"\} 1$/m);
    expect(metrics).toMatch(/^smpp_bridge_retention_deleted_total\{table="message_parts"\} 2$/m);
    expect(metrics).toMatch(/^smpp_bridge_retention_deleted_total\{table="webhook_deliveries"\} 1$/m);
    expect(t.logs().some((l) => l.msg === "retention sweep" && l.messages === 1)).toBe(true);
  } finally {
    await t.close();
  }
  expect(t.logs().some((l) => l.msg === "stopping a part failed")).toBe(false);
});
