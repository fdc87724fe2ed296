/**
 * A receipt matched to a message in the same moment the retention sweep deletes that message commits
 * after the sweep, pointing at a message that no longer exists; the next sweep deletes it. Receipts of
 * messages that still exist stay, however old.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { ReceiptWriter } from "../../../src/core/receipts/writer.js";
import { deleteSettledMessages } from "../../../src/core/retention/messages.js";
import { RetentionSweeper } from "../../../src/core/retention/sweeper.js";
import { queryRows } from "../../../src/db/client.js";
import { smscIdKey } from "../../../src/db/smsc-id.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { receiptPdu } from "../core/receipt-pdu.js";
import { createAccount, createMessage, DAY, idAged } from "./fixtures.js";

// The least MESSAGE_RETENTION allows: a message can then go while its part is young enough for a
// receipt to match it (within the match horizon).
const RETENTION = DAY;
const OLD = 2 * DAY;

let database: TestDatabase;
let accountId: string;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.db.execute(sql`TRUNCATE messages, message_parts, receipts, accounts CASCADE`);
  accountId = await createAccount(database.db);
});

const sweeper = () => new RetentionSweeper(database.db, { retentionMs: RETENTION, pauseMs: 0 });

/** Receipts whose message_id names no message. */
async function dangling(): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    database.db,
    sql`SELECT r.id FROM receipts r
        WHERE r.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)
        ORDER BY r.id`,
  );
  return rows.map((r) => r.id);
}

/** A matched receipt as a matching transaction that lost the race with the sweep leaves it. */
async function receiptFor(messageId: string): Promise<string> {
  const id = idAged("dlr", 0);
  await database.db.execute(
    sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index, stat,
                              matched_at)
        VALUES (${id}, 'ups_x', 'abc', 'abc', ${messageId}, 1, 'DELIVRD', now())`,
  );
  return id;
}

describe("receipts left pointing at a deleted message", () => {
  test("the next sweep deletes them, and only them", async () => {
    const gone = idAged("msg", OLD);
    const orphan = await receiptFor(gone);
    // Old but not settled (still being dispatched): it and its receipts stay.
    const kept = await createMessage(database.db, accountId, { status: "sending", createdAgo: OLD });
    const keptReceipt = await receiptFor(kept);
    // Young: the sweep never looks at it.
    const young = await receiptFor(idAged("msg", 0));

    const counts = await sweeper().sweepOnce();
    expect(await dangling()).toEqual([young]);
    const left = await queryRows<{ id: string }>(database.db, sql`SELECT id FROM receipts ORDER BY id`);
    expect(left.map((r) => r.id)).not.toContain(orphan);
    expect(left.map((r) => r.id)).toContain(keptReceipt);
    expect(counts.receipts).toBe(1);
  });
});

// Two transactions at once need PostgreSQL (PGlite has one connection).
describe.runIf(process.env.DATABASE_URL)("the race itself", () => {
  test("a receipt matched while the sweep deletes its message is deleted by the next sweep", async () => {
    const messageId = await createMessage(database.db, accountId, {
      status: "sent",
      createdAgo: OLD,
      segments: 1,
    });
    // The fixture's own receipt is the sweep's to delete with the message; the part gets an id of its
    // own, sent two days ago (within the match horizon).
    const smscId = "7f3a01";
    await database.db.execute(
      sql`UPDATE message_parts SET smsc_message_id = ${smscId}, smsc_id_key = ${smscIdKey(smscId)},
                                   sent_at = now() - interval '2 days', submitted_at = now() - interval '2 days'
          WHERE message_id = ${messageId}`,
    );
    const writer = new ReceiptWriter(database.db, { get: () => undefined }, () => null, { lingerMs: 0 });

    // The sweep's batch, held open after its deletes until the receipt's transaction waits on it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let deleted = 0;
    const sweep = database.db.transaction(async (tx) => {
      const batch = await deleteSettledMessages(tx, new Date(Date.now() - RETENTION), 100);
      deleted = batch.messages;
      await held;
    });
    try {
      // Wait (bounded) until the sweep's batch holds the message.
      for (let i = 0; i < 200 && deleted === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(deleted).toBe(1);
      // Still visible to the receipt's transaction, which matches the part, stores the receipt and then
      // waits on the part row the sweep deleted.
      const stored = writer.handle("ups_x", receiptPdu(smscId, "DELIVRD"));
      let waiting = false;
      for (let i = 0; i < 500 && !waiting; i++) {
        const [row] = await queryRows<{ n: number }>(
          database.db,
          sql`SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        waiting = (row?.n ?? 0) > 0;
        if (!waiting) await new Promise((r) => setTimeout(r, 10));
      }
      expect(waiting).toBe(true);
      release();
      await sweep;
      expect(await stored).toBe(CommandStatus.ESME_ROK);
    } finally {
      release();
      await sweep.catch(() => {});
      await writer.close();
    }
    // What the race leaves: the receipt committed after the sweep, pointing at nothing.
    expect(await dangling()).toHaveLength(1);

    await sweeper().sweepOnce();
    expect(await dangling()).toEqual([]);
  });
});
