/**
 * The backlog counts on a real database: they count what they should (unmatched receipts per upstream,
 * messages the dispatcher still has to act on, by status), and they stop at their cap, so a scrape reads
 * a bounded number of rows however large the backlog is.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMessageBacklog, readUnmatchedReceipts } from "../../../src/ops/backlog-queries.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  await db.execute(sql`INSERT INTO accounts (id, name) VALUES ('acc_backlog', 'backlog')`);
  // Three unmatched receipts on ups_a, one on ups_b, and a matched one on ups_b.
  await db.execute(
    sql`INSERT INTO receipts (id, upstream_id, smsc_message_id, smsc_id_key, message_id, part_index) VALUES
          ('dlr_1', 'ups_a', '1', '1', NULL, NULL), ('dlr_2', 'ups_a', '2', '2', NULL, NULL),
          ('dlr_3', 'ups_a', '3', '3', NULL, NULL), ('dlr_4', 'ups_b', '4', '4', NULL, NULL),
          ('dlr_5', 'ups_b', '5', '5', 'msg_done', 1)`,
  );
  // Two queued (due now), one sending (leased), two scheduled (later), and finished ones.
  const row = (id: string, status: string, next: string | null) =>
    sql`(${id}, 'acc_backlog', ${status}, '+447700900000', 'X', 'x', 'gsm7', 0, 1, ${next}::timestamptz)`;
  const soon = new Date(Date.now() - 60_000).toISOString();
  const leased = new Date(Date.now() + 30_000).toISOString();
  const later = new Date(Date.now() + 86_400_000).toISOString();
  await db.execute(
    sql`INSERT INTO messages (id, account_id, status, to_number, from_address, text, encoding, data_coding,
                              segments, next_attempt_at)
        VALUES ${sql.join(
          [
            row("msg_q1", "queued", soon),
            row("msg_q2", "queued", soon),
            row("msg_s1", "sending", leased),
            row("msg_c1", "scheduled", later),
            row("msg_c2", "scheduled", later),
            row("msg_d1", "delivered", null),
            row("msg_f1", "failed", null),
          ],
          sql`, `,
        )}`,
  );
}, 120_000);
afterAll(async () => {
  await database?.close();
});

describe("readUnmatchedReceipts", () => {
  it("counts the unmatched receipts of each upstream asked for, 0 for one with none", async () => {
    const counts = await readUnmatchedReceipts(database.db, ["ups_a", "ups_b", "ups_c"]);
    expect(Object.fromEntries(counts)).toEqual({ ups_a: 3, ups_b: 1, ups_c: 0 });
  });

  it("stops at the cap for each upstream, so one upstream's pile-up hides no other", async () => {
    const counts = await readUnmatchedReceipts(database.db, ["ups_a", "ups_b"], 2);
    expect(Object.fromEntries(counts)).toEqual({ ups_a: 2, ups_b: 1 });
  });
});

describe("readMessageBacklog", () => {
  it("counts messages still to send by status, never the finished ones", async () => {
    expect(await readMessageBacklog(database.db)).toEqual({ queued: 2, sending: 1, scheduled: 2 });
  });

  it("stops at the cap, reading what is due soonest first", async () => {
    expect(await readMessageBacklog(database.db, 3)).toEqual({ queued: 2, sending: 1, scheduled: 0 });
    expect(await readMessageBacklog(database.db, 1)).toEqual({ queued: 1, sending: 0, scheduled: 0 });
  });
});
