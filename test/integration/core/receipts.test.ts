/**
 * Receipts however they come: in hex for ids the SMSC gave in decimal, before the submit_sm_resp was
 * stored, on another connection than the submit, and while the database refuses them (ESME_RX_T_APPN,
 * then the SMSC delivers again).
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { messageParts, receipts } from "../../../src/db/schema.js";
import { buildMo } from "../../../src/simulator/mo.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  // Decimal ids in submit_sm_resp, hex in receipts; receipts sent the moment a submit is accepted.
  p = await startPipeline({
    simulator: {
      messageIdFormat: "decimal",
      receiptIdFormat: "other",
      dlrDelayMs: 0,
      deliveryRetryDelayMs: 200,
    },
  });
});
afterAll(async () => {
  await p?.close();
});

async function receiptRows(messageId: string) {
  return p.database.db.select().from(receipts).where(eq(receipts.messageId, messageId));
}

describe("receipts PostgreSQL could not store as written", () => {
  test("NUL in the id or err of a receipt text is stored as U+FFFD, the receipt kept (unmatched)", async () => {
    const [mo] = buildMo({ from: "+447700900123", to: "ACME", text: "x" }, 1);
    if (mo === undefined) throw new Error("no body");
    const text =
      "id:nul\u0000id sub:001 dlvrd:001 submit date:2611300000 done date:2611300001 stat:DELIVRD err:0\u00000 text:x";
    p.sim.injectDeliverSm([
      { ...mo, esm_class: 0x04, data_coding: 3, short_message: Buffer.from(text, "latin1") },
    ]);
    await until(
      async () => {
        const rows = await p.database.db
          .select()
          .from(receipts)
          .where(eq(receipts.smscMessageId, "nul\ufffdid"));
        return rows.length === 1 && rows[0]?.err === "0\ufffd0";
      },
      "the receipt stored with U+FFFD for NUL",
      20_000,
    );
  }, 40_000);
});

describe("receipt matching", () => {
  test("a receipt in hex completes a part whose submit_sm_resp id was decimal", async () => {
    const accepted = await p.send({ text: "hex receipt" });
    const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
    const id = done.parts[0]?.smsc_message_id ?? "";
    expect(id).toMatch(/^[0-9]+$/);
    const [row] = await receiptRows(accepted.id);
    expect(row?.smscMessageId.toLowerCase()).toBe(BigInt(id).toString(16));
    expect(row?.stat).toBe("DELIVRD");
  });

  test("a receipt that arrives before the submit_sm_resp is kept and matched when the id is stored", async () => {
    p.sim.setFaults({ responseDelayMs: 500 });
    try {
      const accepted = await p.send({ text: "receipt first" });
      const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
      const [row] = await receiptRows(accepted.id);
      const [part] = await p.database.db
        .select()
        .from(messageParts)
        .where(eq(messageParts.messageId, accepted.id));
      // Stored before the part had its id, matched afterwards.
      expect(row?.receivedAt.getTime()).toBeLessThan(part?.submittedAt?.getTime() ?? 0);
      expect(row?.matchedAt?.getTime()).toBeGreaterThanOrEqual(part?.submittedAt?.getTime() ?? Infinity);
      expect(done.parts[0]?.status).toBe("delivered");
    } finally {
      p.sim.clearFaults();
    }
  });

  test("a receipt the database cannot store is answered ESME_RX_T_APPN and delivered again", async () => {
    const answers: number[] = [];
    p.runtime.setReceiptHandler({
      handle: async (upstreamId: string, pdu: InboundPdu, sessionId: string) => {
        const status = await p.receipts.handle(upstreamId, pdu, sessionId);
        answers.push(status);
        return status;
      },
    });
    await p.database.db.execute(sql`ALTER TABLE receipts RENAME TO receipts_away`);
    let renamed = true;
    try {
      const accepted = await p.send({ text: "database away" });
      await until(() => answers.includes(CommandStatus.ESME_RX_T_APPN), "a refused receipt", 20_000);
      // Not delivered while the receipt cannot be stored (the result writer, which also reads
      // receipts, keeps its batch and tries again: the message may still show `sending`).
      expect(["sending", "sent"]).toContain((await p.get(accepted.id)).status);
      await p.database.db.execute(sql`ALTER TABLE receipts_away RENAME TO receipts`);
      renamed = false;
      const done = await p.waitFor(accepted.id, ["delivered"], 20_000);
      expect(done.parts[0]?.dlr_stat).toBe("DELIVRD");
      expect(answers.at(-1)).toBe(CommandStatus.ESME_ROK);
      expect(p.receipts.stats.refused).toBeGreaterThan(0);
    } finally {
      if (renamed) await p.database.db.execute(sql`ALTER TABLE receipts_away RENAME TO receipts`);
      p.runtime.setReceiptHandler(p.receipts);
    }
  });
});

describe("receipts on another connection", () => {
  let q: Pipeline;
  beforeAll(async () => {
    q = await startPipeline({ simulator: { dlrDelayMs: 1500 }, upstream: { sessions: 2 } });
  });
  afterAll(async () => {
    await q?.close();
  });

  test("a receipt arriving on a new connection after the submit's one dropped still completes the message", async () => {
    const seen: Array<{ sessionId: string; local: string | null }> = [];
    q.runtime.setReceiptHandler({
      handle: (upstreamId: string, pdu: InboundPdu, sessionId: string) => {
        const local = q.runtime.sessions(upstreamId).find((s) => s.id === sessionId)?.local_address ?? null;
        seen.push({ sessionId, local });
        return q.receipts.handle(upstreamId, pdu, sessionId);
      },
    });
    const accepted = await q.send({ text: "another session" });
    const sent = await q.waitFor(accepted.id, ["sent", "delivered"], 20_000);
    expect(sent.status).toBe("sent");
    const record = q.sim.submits.list().find((s) => s.messageId === sent.parts[0]?.smsc_message_id);
    const submitConnection = q.sim.sessions().find((s) => s.id === record?.sessionId)?.remoteAddress;
    expect(submitConnection).toBeDefined();
    q.sim.disconnectAll();

    const done = await q.waitFor(accepted.id, ["delivered"], 20_000);
    expect(done.parts[0]?.status).toBe("delivered");
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s.local).not.toBe(submitConnection);
  });
});
