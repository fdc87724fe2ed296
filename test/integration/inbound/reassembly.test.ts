/**
 * Reassembly from stored segments under concurrency and reference reuse, driving InboundProcessor.handle
 * directly (the SMPP side is covered in processor.test.ts) on a real database.
 */
import { eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InboundProcessor } from "../../../src/core/inbound/processor.js";
import { InboundSweeper } from "../../../src/core/inbound/sweeper.js";
import { inboundMessages, inboundParts } from "../../../src/db/schema.js";
import { buildMo } from "../../../src/simulator/mo.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { shuffled } from "./setup.js";

const UPSTREAM = "ups_reassembly";
const TO = "+447700900123";
const gsm7 = { get: () => ({ config: { dcs0_charset: "gsm7" as const } }) };

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

function segment(from: string, ref: number, total: number, seq: number, text: string): InboundPdu {
  const [body] = buildMo({ from, to: TO, text: "x" }, 0);
  if (body === undefined) throw new Error("no body");
  const udh = [0x05, 0x00, 0x03, ref, total, seq];
  return {
    ...body,
    sequence_number: 1,
    esm_class: 0x40,
    short_message: Buffer.from([...udh, ...Buffer.from(text)]),
  };
}

async function messagesFrom(from: string) {
  return database.db
    .select()
    .from(inboundMessages)
    .where(eq(inboundMessages.from, from))
    .orderBy(inboundMessages.id);
}

describe("reassembly from stored segments", () => {
  test("two instances taking the segments of the same sets at the same moment make each set once", async () => {
    // One PDU per transaction, several at once: the most chances for two transactions to each hold a
    // different missing segment of one set (without the set locks, both would leave it incomplete).
    const options = { maxBatch: 1, maxConcurrent: 4 };
    const one = new InboundProcessor(database.db, gsm7, options);
    const two = new InboundProcessor(database.db, gsm7, options);
    const texts = new Map<string, string>();
    const work: Promise<number>[] = [];
    for (let set = 0; set < 12; set++) {
      const from = `+4477009020${String(set).padStart(2, "0")}`;
      const text = `Set ${set}: ${"lorem ipsum dolor sit amet ".repeat(20)}`;
      texts.set(from, text);
      const parts = buildMo({ from, to: TO, text, concat: set % 2 === 0 ? "udh8" : "sar" }, 300 + set);
      const deliveries = shuffled(parts, set + 1);
      deliveries.forEach((body, i) => {
        const handler = i % 2 === 0 ? one : two;
        work.push(handler.handle(UPSTREAM, { ...body, sequence_number: i + 1 }));
      });
    }
    expect(new Set(await Promise.all(work))).toEqual(new Set([0]));
    for (const [from, text] of texts) {
      const rows = await messagesFrom(from);
      expect(rows.map((r) => r.text)).toEqual([text]);
    }
    expect(await database.db.select().from(inboundParts).where(isNull(inboundParts.inboundId))).toEqual([]);
    await Promise.all([one.close(), two.close()]);
  });

  test("a repeat of a joined segment is ignored; a new SMS reusing the reference is a new message", async () => {
    const processor = new InboundProcessor(database.db, gsm7);
    const from = "+447700903001";
    for (const pdu of [segment(from, 7, 2, 2, "world"), segment(from, 7, 2, 1, "hello ")]) {
      expect(await processor.handle(UPSTREAM, pdu)).toBe(0);
    }
    // The SMSC sends segment 1 again (say its deliver_sm_resp was lost): nothing new.
    expect(await processor.handle(UPSTREAM, segment(from, 7, 2, 1, "hello "))).toBe(0);
    expect((await messagesFrom(from)).map((r) => r.text)).toEqual(["hello world"]);
    // The sender's reference wrapped round to 7 again with another text.
    expect(await processor.handle(UPSTREAM, segment(from, 7, 2, 1, "second "))).toBe(0);
    expect((await messagesFrom(from)).map((r) => r.text)).toEqual(["hello world"]);
    expect(await processor.handle(UPSTREAM, segment(from, 7, 2, 2, "text"))).toBe(0);
    expect((await messagesFrom(from)).map((r) => r.text)).toEqual(["hello world", "second text"]);
    await processor.close();
  });

  test("after the repeat window even an identical segment starts a new set", async () => {
    const processor = new InboundProcessor(database.db, gsm7, { repeatWindowMs: 0 });
    const from = "+447700903002";
    for (const seq of [1, 2, 1, 2]) {
      expect(await processor.handle(UPSTREAM, segment(from, 9, 2, seq, `p${seq}`))).toBe(0);
    }
    expect((await messagesFrom(from)).map((r) => r.text)).toEqual(["p1p2", "p1p2"]);
    await processor.close();
  });

  test("the sweeper deletes joined segments past their retention and keeps waiting ones", async () => {
    const processor = new InboundProcessor(database.db, gsm7);
    const joined = "+447700903004";
    const waiting = "+447700903005";
    for (const pdu of [
      segment(joined, 11, 2, 1, "a"),
      segment(joined, 11, 2, 2, "b"),
      segment(waiting, 12, 2, 1, "c"),
    ]) {
      expect(await processor.handle(UPSTREAM, pdu)).toBe(0);
    }
    await processor.close();
    const partsOf = (from: string) =>
      database.db.select().from(inboundParts).where(eq(inboundParts.source, from));
    expect(await partsOf(joined)).toHaveLength(2);

    expect(await new InboundSweeper(database.db).sweepOnce()).toBe(0);
    expect(await partsOf(joined)).toHaveLength(2);
    expect(await new InboundSweeper(database.db, { repeatRetentionMs: 0 }).sweepOnce()).toBe(0);
    expect(await partsOf(joined)).toEqual([]);
    expect(await partsOf(waiting)).toHaveLength(1);
    expect((await messagesFrom(joined)).map((r) => r.text)).toEqual(["ab"]);
  });

  test("a closed processor answers ESME_RX_T_APPN without storing", async () => {
    const processor = new InboundProcessor(database.db, gsm7);
    await processor.close();
    const from = "+447700903003";
    expect(await processor.handle(UPSTREAM, segment(from, 1, 1, 1, "late"))).toBe(0x64);
    expect(await messagesFrom(from)).toEqual([]);
  });
});
