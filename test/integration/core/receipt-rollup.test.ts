/**
 * How receipts roll up to the message: every part DELIVRD → delivered; a final failure → undelivered
 * with DLR_<STAT> and the err; ACCEPTD/ENROUTE leave it sent; a part's first final outcome stands. The
 * receipts here are written by the test (plain Appendix B text, no TLVs) and fed to the ReceiptProcessor
 * as the pool would; the messages go through the real pipeline without asking the SMSC for receipts.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MessageJson } from "../../../src/core/messages/serialize.js";
import { applyPartReceipts } from "../../../src/core/receipts/apply.js";
import { queryRows } from "../../../src/db/client.js";
import { events, messageParts, messages } from "../../../src/db/schema.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";
import { receiptPdu as receipt } from "./receipt-pdu.js";

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.close();
});

async function feed(id: string | null | undefined, stat: string, err?: string): Promise<void> {
  const status = await p.receipts.handle(p.upstreamId, receipt(id ?? "", stat, err), "test");
  expect(status).toBe(CommandStatus.ESME_ROK);
}

/** A message sent without a receipt request, so only the receipts the test writes arrive. */
async function sentMessage(text: string): Promise<MessageJson> {
  const accepted = await p.send({ text, delivery_report: false });
  return p.waitFor(accepted.id, ["sent"], 20_000);
}

async function eventTypes(id: string): Promise<string[]> {
  const rows = await p.database.db
    .select()
    .from(events)
    .where(eq(events.accountId, p.accountId))
    .orderBy(asc(events.id));
  return rows.filter((e) => (e.payload as MessageJson).id === id).map((e) => e.type);
}

describe("receipt roll-up", () => {
  test("a 3-part message is delivered only when every part is; ENROUTE changes nothing", async () => {
    const m = await sentMessage("c".repeat(400));
    expect(m.parts).toHaveLength(3);
    const [a, b, c] = m.parts.map((x) => x.smsc_message_id);
    await feed(a, "DELIVRD");
    await feed(b, "DELIVRD");
    await feed(c, "ENROUTE");
    let now = await p.get(m.id);
    expect(now.status).toBe("sent");
    expect(now.parts.map((x) => x.status)).toEqual(["delivered", "delivered", "sent"]);
    await feed(c, "DELIVRD");
    now = await p.get(m.id);
    expect(now.status).toBe("delivered");
    expect(now.done_at).not.toBeNull();
    expect(await eventTypes(m.id)).toEqual(["message.sent", "message.delivered"]);
  });

  test("ACCEPTD leaves it sent; UNDELIV makes it undelivered with DLR_UNDELIV and the err; the first final stands", async () => {
    const m = await sentMessage("one part");
    const id = m.parts[0]?.smsc_message_id;
    await feed(id, "ACCEPTD");
    expect((await p.get(m.id)).status).toBe("sent");
    await feed(id, "UNDELIV", "034");
    const now = await p.get(m.id);
    expect(now.status).toBe("undelivered");
    expect(now.error).toMatchObject({ code: "DLR_UNDELIV", dlr_stat: "UNDELIV", dlr_err: "034" });
    expect(now.parts[0]).toMatchObject({ status: "undelivered", dlr_stat: "UNDELIV", dlr_err: "034" });
    await feed(id, "DELIVRD");
    const later = await p.get(m.id);
    expect(later.status).toBe("undelivered");
    expect(later.parts[0]).toMatchObject({ status: "undelivered", dlr_stat: "UNDELIV", dlr_err: "034" });
    expect(await eventTypes(m.id)).toEqual(["message.sent", "message.undelivered"]);
  });

  test("one part EXPIRED fails the message at once (DLR_EXPIRED), whatever the others will say", async () => {
    const m = await sentMessage("d".repeat(200));
    expect(m.parts).toHaveLength(2);
    await feed(m.parts[1]?.smsc_message_id, "EXPIRED", "027");
    const now = await p.get(m.id);
    expect(now.status).toBe("undelivered");
    expect(now.error?.code).toBe("DLR_EXPIRED");
    expect(now.parts.map((x) => x.status)).toEqual(["sent", "undelivered"]);
  });

  test("a part receipted UNDELIV while the message waits for a retry makes it undelivered once the rest is sent", async () => {
    const m = await sentMessage("f".repeat(200));
    expect(m.parts).toHaveLength(2);
    const db = p.database.db;
    // As an attempt leaves it when part 2 failed transiently: queued for a retry, part 2 pending.
    await db
      .update(messageParts)
      .set({ status: "pending", smscMessageId: null, smscIdKey: null, submittedAt: null })
      .where(and(eq(messageParts.messageId, m.id), eq(messageParts.index, 2)));
    await db
      .update(messages)
      .set({
        status: "queued",
        nextAttemptAt: new Date(Date.now() + 3_600_000),
        leaseOwner: null,
        leaseExpiresAt: null,
      })
      .where(eq(messages.id, m.id));
    await feed(m.parts[0]?.smsc_message_id, "UNDELIV", "034");
    expect((await p.get(m.id)).status).toBe("queued");
    await db
      .update(messages)
      .set({ nextAttemptAt: new Date(Date.now() - 1000) })
      .where(eq(messages.id, m.id));
    await p.dispatcher.poll();
    const done = await p.waitFor(m.id, ["undelivered"], 20_000);
    expect(done.error).toMatchObject({ code: "DLR_UNDELIV", dlr_err: "034" });
    expect(done.parts.map((x) => x.status)).toEqual(["undelivered", "sent"]);
    expect((await eventTypes(m.id)).at(-1)).toBe("message.undelivered");
  });

  test("a receipt naming the id in decimal matches a part whose id the SMSC gave in hex", async () => {
    const m = await sentMessage("decimal please");
    const hex = m.parts[0]?.smsc_message_id ?? "";
    expect(hex).toMatch(/[a-f]/);
    await feed(BigInt(`0x${hex}`).toString(10), "DELIVRD");
    expect((await p.get(m.id)).status).toBe("delivered");
  });

  test("a receipt for an id nobody sent is stored unmatched and acknowledged", async () => {
    await feed("ffffffffff", "DELIVRD");
    expect(p.receipts.stats.stored).toBeGreaterThan(p.receipts.stats.matched);
  });

  test("receipts for different parts committed at the same moment still roll the message up", async () => {
    // Transaction A receipts part 1 and holds its lock on the message; B receipts part 2 and must wait
    // for that lock. Under READ COMMITTED, B's roll-up must read the parts AFTER A committed: reading
    // them with a snapshot from before the wait left the message `sent` for good (seen in CI).
    const m = await sentMessage("e".repeat(200));
    expect(m.parts).toHaveLength(2);
    const part = (partIndex: number) => ({
      messageId: m.id,
      partIndex,
      stat: "DELIVRD",
      err: "000",
      final: true,
    });
    const names = () => "sim";
    const db = p.database.db;
    const concurrent = p.database.url !== undefined; // PGlite has one connection: A then B
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let aHoldsLock = false;
    const a = db.transaction(async (tx) => {
      await applyPartReceipts(tx, [part(1)], names);
      aHoldsLock = true;
      if (concurrent) await held;
    });
    let b: Promise<unknown>;
    if (concurrent) {
      await until(async () => aHoldsLock, "A to hold the message lock");
      b = db.transaction((tx) => applyPartReceipts(tx, [part(2)], names));
      await until(async () => {
        const waiting = await queryRows<{ n: number }>(
          db,
          sql`SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return (waiting[0]?.n ?? 0) > 0;
      }, "B to wait for A's lock");
      release();
      await a;
    } else {
      await a;
      b = db.transaction((tx) => applyPartReceipts(tx, [part(2)], names));
    }
    await b;
    const now = await p.get(m.id);
    expect(now.parts.map((x) => x.status)).toEqual(["delivered", "delivered"]);
    expect(now.status).toBe("delivered");
    expect(await eventTypes(m.id)).toEqual(["message.sent", "message.delivered"]);
  });
});

/** Polls `check` every 20 ms for at most 10 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
