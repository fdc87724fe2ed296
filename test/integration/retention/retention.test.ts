/**
 * The retention sweep on a real database (PGlite, or a PostgreSQL clone with DATABASE_URL): what it
 * deletes (settled messages past the retention with their parts and receipts, old events whose
 * deliveries all ended with those deliveries and attempts, old inbound SMS), what it keeps (young rows,
 * messages still in the dispatcher's hands, events with a delivery still waiting), that it works in
 * batches smaller than the backlog, and that with retention off it deletes nothing.
 */
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { RETENTION_TABLES, RetentionSweeper } from "../../../src/core/retention/sweeper.js";
import { postgresClient } from "../../../src/db/client.js";
import type { MessageStatus } from "../../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { logLines } from "../../helpers/log-lines.js";
import {
  countRows,
  createAccount,
  createEvent,
  createInbound,
  createMessage,
  DAY,
  remaining,
} from "./fixtures.js";

const RETENTION = 30 * DAY;
const OLD = 40 * DAY;
const HOUR = 3_600_000;

let database: TestDatabase;
let accountId: string;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.db.execute(
    sql`TRUNCATE messages, message_parts, receipts, events, webhook_deliveries, webhook_attempts,
                 inbound_messages, inbound_parts, inbound_repeat_keys, accounts CASCADE`,
  );
  accountId = await createAccount(database.db);
});

const sweeper = (options: Partial<ConstructorParameters<typeof RetentionSweeper>[1]> = {}) =>
  new RetentionSweeper(database.db, { retentionMs: RETENTION, pauseMs: 0, ...options });

describe("messages", () => {
  test("a settled message whose last change is past the retention goes, with its parts and receipts", async () => {
    const settled: MessageStatus[] = ["sent", "delivered", "undelivered", "failed", "canceled"];
    const old = await Promise.all(
      settled.map((status) => createMessage(database.db, accountId, { status, createdAgo: OLD })),
    );
    const counts = await sweeper().sweepOnce();
    expect(await remaining(database.db, "messages", "id", old)).toEqual([]);
    expect(await remaining(database.db, "message_parts", "message_id", old)).toEqual([]);
    expect(await remaining(database.db, "receipts", "message_id", old)).toEqual([]);
    expect(counts).toMatchObject({ messages: 5, message_parts: 10, receipts: 10 });
  });

  test("young messages, recently changed ones and ones still being dispatched stay", async () => {
    const kept = [
      // Young: made and settled within the retention.
      await createMessage(database.db, accountId, { status: "delivered", createdAgo: HOUR }),
      // Made long ago, settled recently (a late receipt): its last change counts, not its id.
      await createMessage(database.db, accountId, { status: "delivered", createdAgo: OLD, changedAgo: HOUR }),
      await createMessage(database.db, accountId, {
        status: "sent",
        createdAgo: OLD,
        changedAgo: RETENTION - HOUR,
      }),
      // Still in the dispatcher's hands, however old.
      await createMessage(database.db, accountId, { status: "scheduled", createdAgo: OLD }),
      await createMessage(database.db, accountId, { status: "queued", createdAgo: OLD }),
      await createMessage(database.db, accountId, { status: "sending", createdAgo: OLD }),
    ].sort();
    const counts = await sweeper().sweepOnce();
    expect(await remaining(database.db, "messages", "id", kept)).toEqual(kept);
    expect((await remaining(database.db, "message_parts", "message_id", kept)).length).toBe(12);
    expect((await remaining(database.db, "receipts", "message_id", kept)).length).toBe(12);
    expect(counts).toMatchObject({ messages: 0, message_parts: 0, receipts: 0 });
  });

  test("an unmatched receipt is not the message sweep's (it has a retention of its own)", async () => {
    await database.db.execute(
      sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, received_at)
          VALUES ('dlr_00000000000000000000000000', 'ups_x', 'abc', 'abc', now() - interval '40 days')`,
    );
    await sweeper().sweepOnce();
    expect(await countRows(database.db, "receipts")).toBe(1);
  });
});

describe("events", () => {
  test("an old event whose deliveries all ended goes with them and their attempts", async () => {
    const ended = await createEvent(database.db, accountId, OLD, ["succeeded", "dead"]);
    const none = await createEvent(database.db, accountId, OLD, []);
    const counts = await sweeper().sweepOnce();
    expect(await remaining(database.db, "events", "id", [ended.id, none.id])).toEqual([]);
    expect(await remaining(database.db, "webhook_deliveries", "id", ended.deliveryIds)).toEqual([]);
    expect(await remaining(database.db, "webhook_attempts", "delivery_id", ended.deliveryIds)).toEqual([]);
    expect(counts).toMatchObject({ events: 2, webhook_deliveries: 2, webhook_attempts: 2 });
  });

  test("an event with a delivery still waiting stays, with all its deliveries; so does a young one", async () => {
    const pending = await createEvent(database.db, accountId, OLD, ["succeeded", "pending"]);
    const retrying = await createEvent(database.db, accountId, OLD, ["dead", "failed"]);
    const young = await createEvent(database.db, accountId, HOUR, ["succeeded"]);
    const counts = await sweeper().sweepOnce();
    const events = [pending.id, retrying.id, young.id].sort();
    const deliveries = [...pending.deliveryIds, ...retrying.deliveryIds, ...young.deliveryIds].sort();
    expect(await remaining(database.db, "events", "id", events)).toEqual(events);
    expect(await remaining(database.db, "webhook_deliveries", "id", deliveries)).toEqual(deliveries);
    expect(await countRows(database.db, "webhook_attempts")).toBe(5);
    expect(counts).toMatchObject({ events: 0, webhook_deliveries: 0, webhook_attempts: 0 });
  });
});

describe("inbound", () => {
  test("old inbound SMS go with their leftover segments and repeat keys; young ones stay", async () => {
    const old = await createInbound(database.db, OLD);
    const young = await createInbound(database.db, HOUR);
    const counts = await sweeper().sweepOnce();
    expect(await remaining(database.db, "inbound_messages", "id", [old.id, young.id])).toEqual([young.id]);
    expect(await remaining(database.db, "inbound_parts", "id", [old.partId, young.partId])).toEqual([
      young.partId,
    ]);
    expect(await countRows(database.db, "inbound_repeat_keys")).toBe(1);
    expect(counts).toMatchObject({ inbound_messages: 1, inbound_parts: 1, inbound_repeat_keys: 1 });
  });

  test("a segment still waiting for its set, or reused by a newer SMS, stays", async () => {
    const waiting = await createInbound(database.db, OLD);
    const reused = await createInbound(database.db, OLD);
    const young = await createInbound(database.db, HOUR);
    // The inbound sweeper's to surface: not joined yet.
    await database.db.execute(sql`UPDATE inbound_parts SET inbound_id = NULL WHERE id = ${waiting.partId}`);
    // A newer SMS with the same reference took the old row over (its id stays, received_at moves on).
    await database.db.execute(
      sql`UPDATE inbound_parts SET inbound_id = ${young.id}, received_at = now() WHERE id = ${reused.partId}`,
    );
    await sweeper().sweepOnce();
    const parts = [waiting.partId, reused.partId].sort();
    expect(await remaining(database.db, "inbound_parts", "id", parts)).toEqual(parts);
  });
});

describe("batches", () => {
  test("one sweep deletes a backlog larger than a batch, stepping over rows it must keep", async () => {
    // Kept rows first in id order, more of them than a batch: the walk must go past them.
    for (let i = 0; i < 4; i++) {
      await createEvent(database.db, accountId, OLD + DAY, ["pending"]);
      await createMessage(database.db, accountId, {
        status: "delivered",
        createdAgo: OLD + DAY,
        changedAgo: HOUR,
        segments: 1,
      });
    }
    for (let i = 0; i < 7; i++) {
      await createEvent(database.db, accountId, OLD, ["succeeded"]);
      await createMessage(database.db, accountId, { status: "delivered", createdAgo: OLD, segments: 1 });
      await createInbound(database.db, OLD);
    }
    const counts = await sweeper({ batchSize: 3 }).sweepOnce();
    expect(counts).toMatchObject({ messages: 7, events: 7, webhook_deliveries: 7, inbound_messages: 7 });
    expect(await countRows(database.db, "messages")).toBe(4);
    expect(await countRows(database.db, "events")).toBe(4);
  });

  test("a sweep does at most maxBatches batches per table; the next sweep goes on", async () => {
    for (let i = 0; i < 7; i++)
      await createMessage(database.db, accountId, { status: "failed", createdAgo: OLD, segments: 1 });
    const bounded = sweeper({ batchSize: 2, maxBatches: 2 });
    expect((await bounded.sweepOnce()).messages).toBe(4);
    expect((await bounded.sweepOnce()).messages).toBe(3);
    expect(await countRows(database.db, "messages")).toBe(0);
  });

  test("two sweeps at once share the work and delete each row once", async () => {
    for (let i = 0; i < 30; i++) {
      await createMessage(database.db, accountId, { status: "delivered", createdAgo: OLD, segments: 1 });
      await createEvent(database.db, accountId, OLD, ["succeeded"]);
    }
    const [a, b] = await Promise.all([
      sweeper({ batchSize: 4 }).sweepOnce(),
      sweeper({ batchSize: 4 }).sweepOnce(),
    ]);
    expect((a?.messages ?? 0) + (b?.messages ?? 0)).toBe(30);
    expect((a?.events ?? 0) + (b?.events ?? 0)).toBe(30);
    expect(await countRows(database.db, "messages")).toBe(0);
    expect(await countRows(database.db, "webhook_deliveries")).toBe(0);
  });
});

test("with retention off nothing is deleted and start() starts nothing", async () => {
  await createMessage(database.db, accountId, { status: "delivered", createdAgo: OLD });
  await createEvent(database.db, accountId, OLD, ["succeeded"]);
  await createInbound(database.db, OLD);
  const off = sweeper({ retentionMs: null });
  off.start();
  const counts = await off.sweepOnce();
  await off.stop();
  expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  for (const table of RETENTION_TABLES) {
    if (table === "webhook_attempts" || table === "inbound_repeat_keys") continue;
    expect(await countRows(database.db, table), table).toBeGreaterThan(0);
  }
});

test("logs one line per sweep with the count per table and no message contents", async () => {
  await createMessage(database.db, accountId, { status: "delivered", createdAgo: OLD });
  const log = logLines();
  let told: Record<string, number> | undefined;
  await sweeper({ logger: pino(log.stream), onDeleted: (c) => (told = c) }).sweepOnce();
  const lines = log.lines.filter((l) => l.msg === "retention sweep");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    messages: 1,
    message_parts: 2,
    receipts: 2,
    events: 0,
    retention_ms: RETENTION,
  });
  expect(JSON.stringify(log.lines)).not.toContain("hello");
  expect(told).toMatchObject({ messages: 1 });
});

// A second connection holding a lock needs PostgreSQL (PGlite has one connection).
describe.runIf(process.env.DATABASE_URL)("locks held by the hot path", () => {
  test("a message whose part another transaction holds is left for later, without waiting", async () => {
    const held = await createMessage(database.db, accountId, { status: "sent", createdAgo: OLD });
    const free = await createMessage(database.db, accountId, { status: "sent", createdAgo: OLD });
    const other = postgresClient(database.url ?? "", { max: 1 });
    try {
      await other.begin(async (tx) => {
        // As a receipt being applied does: the part first, the message next.
        await tx`SELECT 1 FROM message_parts WHERE message_id = ${held} AND index = 2 FOR UPDATE`;
        const counts = await sweeper().sweepOnce();
        expect(counts.messages).toBe(1);
      });
    } finally {
      await other.end();
    }
    expect(await remaining(database.db, "messages", "id", [held, free])).toEqual([held]);
    expect((await sweeper().sweepOnce()).messages).toBe(1);
  });

  test("a delivery revived by a manual retry keeps its event", async () => {
    const event = await createEvent(database.db, accountId, OLD, ["dead"]);
    const other = postgresClient(database.url ?? "", { max: 1 });
    try {
      await other.begin(async (tx) => {
        await tx`UPDATE webhook_deliveries SET status = 'pending' WHERE id = ${event.deliveryIds[0] ?? ""}`;
        // The sweep sees it dead but cannot lock it: the event stays.
        expect((await sweeper().sweepOnce()).events).toBe(0);
      });
    } finally {
      await other.end();
    }
    expect(await remaining(database.db, "events", "id", [event.id])).toEqual([event.id]);
    expect((await sweeper().sweepOnce()).events).toBe(0);
  });
});
