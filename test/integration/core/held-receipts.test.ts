/**
 * Receipts held unmatched until their part's SMSC id is stored, and the two paths that match them, each
 * on its own: the result writer (in the transaction that stores the id) and the sweeper (for the race in
 * which the receipt and the id were committed at the same moment and neither saw the other). The
 * sweeper's timer is off here, so each path has to do its job alone. Neither may match a receipt to a
 * part sent after it came (SMSC ids are reused), and unmatched receipts are deleted past their retention.
 */
import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { newId } from "../../../src/core/ids.js";
import { RECEIPT_CLOCK_SLACK_MS } from "../../../src/core/receipts/horizon.js";
import { UnmatchedSweeper } from "../../../src/core/receipts/unmatched.js";
import { messageParts, receipts } from "../../../src/db/schema.js";
import { smscIdKey } from "../../../src/db/smsc-id.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** How far the dispatching instance's clock is behind the database's (see the outage tests). */
let clockLagMs = 0;

let p: Pipeline;
beforeAll(async () => {
  // Receipts sent the moment a submit is accepted, ids in hex.
  p = await startPipeline({
    simulator: { dlrDelayMs: 0, deliveryRetryDelayMs: 200 },
    sweeper: { intervalMs: 3_600_000 },
    dispatcher: { now: () => new Date(Date.now() - clockLagMs) },
  });
});

/** Stores an unmatched receipt for `smscId` as the receipt writer does, received at `receivedAt`. */
async function waitingReceipt(smscId: string, receivedAt?: Date, messageId?: string): Promise<string> {
  const id = newId("dlr");
  await p.database.db.insert(receipts).values({
    id,
    upstreamId: p.upstreamId,
    smscMessageId: smscId,
    smscIdKey: smscIdKey(smscId),
    stat: "DELIVRD",
    err: "000",
    state: 2,
    ...(receivedAt !== undefined && { receivedAt }),
    ...(messageId !== undefined && { messageId, partIndex: 1 }),
  });
  return id;
}

async function receiptRow(id: string) {
  const [row] = await p.database.db.select().from(receipts).where(eq(receipts.id, id));
  return row;
}

async function partRow(messageId: string) {
  const [row] = await p.database.db.select().from(messageParts).where(eq(messageParts.messageId, messageId));
  if (row?.sentAt == null || row.submittedAt == null) throw new Error(`no sent part for ${messageId}`);
  return { ...row, sentAt: row.sentAt, submittedAt: row.submittedAt };
}

/**
 * Sends `text` (no receipt from the simulator) with its submit_sm_resp held back, and meanwhile stores
 * a waiting receipt for the id the SMSC gave it, received at `receivedAt`: the result writer finds it
 * in the transaction that stores the id. Returns once the result is stored.
 */
async function sendWithWaitingReceipt(text: string, receivedAt: Date) {
  p.sim.setFaults({ responseDelayMs: 2000 });
  try {
    const accepted = await p.send({ text, delivery_report: false });
    let smscId = "";
    await until(() => {
      smscId = p.sim.submits.list().find((s) => s.text === text)?.messageId ?? "";
      return smscId !== "";
    }, "the submit at the simulator");
    const receiptId = await waitingReceipt(smscId, receivedAt);
    // Stored before the result: the result writer, not the sweeper, is the path under test.
    expect((await p.get(accepted.id)).status).toBe("sending");
    const message = await p.waitFor(accepted.id, ["sent", "delivered"], 20_000);
    return { message, receiptId };
  } finally {
    p.sim.clearFaults();
  }
}

/** Sends `text` (no receipt from the simulator) and returns it once `sent`. */
async function sendUntilSent(text: string) {
  const accepted = await p.send({ text, delivery_report: false });
  return p.waitFor(accepted.id, ["sent"], 20_000);
}
afterAll(async () => {
  await p?.close();
});

describe("held receipts", () => {
  test("one that came before the submit_sm_resp is matched when the result writer stores the id", async () => {
    // The SMSC answers the submit late; its receipt, sent at acceptance, is in before the id.
    p.sim.setFaults({ responseDelayMs: 500 });
    try {
      const accepted = await p.send({ text: "receipt before its id" });
      const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
      expect(done.parts[0]?.status).toBe("delivered");
      const [row] = await p.database.db.select().from(receipts).where(eq(receipts.messageId, accepted.id));
      expect(row?.receivedAt.getTime()).toBeLessThan(new Date(done.parts[0]?.submitted_at ?? 0).getTime());
    } finally {
      p.sim.clearFaults();
    }
  });

  test("one committed beside its id, unseen by it, is matched by a sweep, in the other base too", async () => {
    const accepted = await p.send({ text: "raced", delivery_report: false });
    const sent = await p.waitFor(accepted.id, ["sent"], 20_000);
    const hex = sent.parts[0]?.smsc_message_id ?? "";
    expect(hex).toMatch(/^[0-9a-f]+$/);
    // The receipt as the receipt writer stored it while the result was not committed yet: unmatched.
    const decimal = BigInt(`0x${hex}`).toString(10);
    const id = newId("dlr");
    await p.database.db.insert(receipts).values({
      id,
      upstreamId: p.upstreamId,
      smscMessageId: decimal,
      smscIdKey: smscIdKey(decimal),
      stat: "DELIVRD",
      err: "000",
      state: 2,
    });
    expect((await p.get(accepted.id)).status).toBe("sent");
    expect(await p.receipts.sweep()).toBe(1);
    const done = await p.get(accepted.id);
    expect(done.status).toBe("delivered");
    expect(done.parts[0]).toMatchObject({ status: "delivered", dlr_stat: "DELIVRD" });
    const [row] = await p.database.db.select().from(receipts).where(eq(receipts.id, id));
    expect(row).toMatchObject({ messageId: accepted.id, partIndex: 1 });
    expect(await p.receipts.sweep()).toBe(0);
  });
});

describe("a waiting receipt matches only a part its submit could have caused", () => {
  test("result writer: a receipt from weeks before the submit leaves the new part with its id `sent`", async () => {
    const { message, receiptId } = await sendWithWaitingReceipt(
      "stale, writer",
      new Date(Date.now() - 30 * DAY),
    );
    expect(message.status).toBe("sent");
    expect(message.parts[0]).toMatchObject({ status: "sent", dlr_stat: null });
    expect((await receiptRow(receiptId))?.messageId).toBeNull();
  });

  test("result writer: a receipt that came while the result waited out an outage still matches", async () => {
    // The instance's clock an hour behind stands for an hour between the submit and the storing of
    // its result: sent_at is an hour before submitted_at, and the receipt came half-way between.
    clockLagMs = 60 * MINUTE;
    try {
      const { message, receiptId } = await sendWithWaitingReceipt(
        "outage, writer",
        new Date(Date.now() - 30 * MINUTE),
      );
      expect(message.status).toBe("delivered");
      const part = await partRow(message.id);
      const row = await receiptRow(receiptId);
      expect(row?.messageId).toBe(message.id);
      // Long before the result was stored, after the submit.
      expect(row?.receivedAt.getTime()).toBeLessThan(part.submittedAt.getTime() - RECEIPT_CLOCK_SLACK_MS);
      expect(row?.receivedAt.getTime()).toBeGreaterThan(part.sentAt.getTime());
    } finally {
      clockLagMs = 0;
    }
  });

  test("sweeper: a receipt from before the submit, less the clock slack, leaves the part `sent`", async () => {
    const sent = await sendUntilSent("stale, sweeper");
    const part = await partRow(sent.id);
    // Young enough for the sweeper to retry (10 minutes), older than the submit by more than the slack.
    const receiptId = await waitingReceipt(
      sent.parts[0]?.smsc_message_id ?? "",
      new Date(part.sentAt.getTime() - RECEIPT_CLOCK_SLACK_MS - 2 * MINUTE),
    );
    expect(await p.receipts.sweep()).toBe(0);
    expect((await p.get(sent.id)).status).toBe("sent");
    expect((await receiptRow(receiptId))?.messageId).toBeNull();
  });

  test("sweeper: a receipt that came before the result was stored, after the submit, matches", async () => {
    clockLagMs = 60 * MINUTE;
    try {
      const sent = await sendUntilSent("outage, sweeper");
      const part = await partRow(sent.id);
      const receiptId = await waitingReceipt(
        sent.parts[0]?.smsc_message_id ?? "",
        new Date(part.submittedAt.getTime() - RECEIPT_CLOCK_SLACK_MS - 2 * MINUTE),
      );
      expect(await p.receipts.sweep()).toBe(1);
      expect((await p.get(sent.id)).status).toBe("delivered");
      expect((await receiptRow(receiptId))?.messageId).toBe(sent.id);
    } finally {
      clockLagMs = 0;
    }
  });
});

describe("retention of unmatched receipts", () => {
  test("the sweeper deletes unmatched receipts past the retention, in batches, and logs how many once", async () => {
    const sent = await sendUntilSent("retention");
    const old = new Date(Date.now() - 8 * DAY);
    const expired = [];
    for (let i = 0; i < 5; i++) expired.push(await waitingReceipt(`gone${i}`, old));
    const young = await waitingReceipt("young", new Date(Date.now() - DAY));
    const matched = await waitingReceipt(sent.parts[0]?.smsc_message_id ?? "", old, sent.id);
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const sweeper = new UnmatchedSweeper(p.database.db, p.runtime, () => null, {
      retentionMs: 7 * DAY,
      batch: 2,
      logger,
    });
    await sweeper.sweep();
    for (const id of expired) expect(await receiptRow(id)).toBeUndefined();
    expect(await receiptRow(young)).toBeDefined();
    expect((await receiptRow(matched))?.messageId).toBe(sent.id);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 30, receipts: 5 });
    expect(lines[0]).not.toContain("gone");
    await sweeper.sweep();
    expect(lines).toHaveLength(1);
  });
});
