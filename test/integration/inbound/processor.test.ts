/** Inbound SMS from the SMSC simulator through a real PoolRuntime into the database (see setup.ts). */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InboundSweeper } from "../../../src/core/inbound/sweeper.js";
import { events, inboundParts, numbers } from "../../../src/db/schema.js";
import type { DeliverSmBody } from "../../../src/simulator/delivery-queue.js";
import { buildMo } from "../../../src/simulator/mo.js";
import { createTestDatabase } from "../../helpers/db.js";
import { refuseRows } from "../../helpers/refuse-rows.js";
import { type InboundRig, inboundTo, OWNED_NUMBER, settled, shuffled, startRig, until } from "./setup.js";

let rig: InboundRig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

/** A number of our own per test, so tests do not see each other's messages. */
let nextSender = 0;
function sender(): string {
  nextSender++;
  return `+4477009010${String(nextSender).padStart(2, "0")}`;
}

/** The one inbound message from `from`, once it is there. */
async function messageFrom(from: string) {
  return until(async () => {
    const rows = (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
    return rows.length > 0 ? rows : undefined;
  }, `an inbound SMS from ${from}`);
}

const LONG_GSM = "The quick brown fox jumps over the lazy dog; {braces} and €uro signs count double. ".repeat(
  5,
);
/** No extension characters: every segment of 16-bit UDH carries exactly 152 characters. */
const LONG_PLAIN = "Nothing but plain letters and digits 0123456789 here. ".repeat(8);
const LONG_UCS2 = "Grüße 😀 from 東京 — ".repeat(12);

describe("single inbound SMS", () => {
  test("to a short code (the simulator sends it TON 3): stored for the account that registered it", async () => {
    await rig.database.db.insert(numbers).values({ number: "88222", accountId: rig.accountId });
    const from = sender();
    rig.sim.injectMo({ from, to: "88222", text: "JOIN" });
    const [row] = await until(async () => {
      const rows = (await inboundTo(rig.database.db, "88222")).filter((r) => r.from === from);
      return rows.length > 0 ? rows : undefined;
    }, "the SMS to 88222");
    expect(row).toMatchObject({ accountId: rig.accountId, to: "88222", text: "JOIN" });
  });

  test("GSM 03.38, stored for the number's account with its inbound.received event", async () => {
    const from = sender();
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "Hello @ £5 {ok} €", encoding: "gsm7" });
    const [row, ...others] = await messageFrom(from);
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      accountId: rig.accountId,
      upstreamId: rig.upstreamId,
      from,
      to: OWNED_NUMBER,
      text: "Hello @ £5 {ok} €",
      encoding: "gsm7",
      dataCoding: 0,
      segments: 1,
      incomplete: false,
    });
    const [event, ...more] = await rig.database.db
      .select()
      .from(events)
      .where(and(eq(events.type, "inbound.received"), sql`${events.payload}->>'id' = ${row?.id}`));
    expect(more).toEqual([]);
    expect(event?.accountId).toBe(rig.accountId);
    expect(event?.payload).toEqual({
      id: row?.id,
      from,
      to: OWNED_NUMBER,
      text: "Hello @ £5 {ok} €",
      encoding: "gsm7",
      segments: 1,
      received_at: row?.receivedAt.toISOString(),
      upstream: rig.upstreamName,
      incomplete: false,
    });
  });

  test("UCS-2 with emoji (surrogate pairs)", async () => {
    const from = sender();
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "Ciao 😀👍🏽 東京", encoding: "ucs2" });
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: "Ciao 😀👍🏽 東京", encoding: "ucs2", dataCoding: 8, segments: 1 });
  });

  test("UCS-2 with a lone surrogate: stored with U+FFFD in its place, event and all", async () => {
    const from = sender();
    const [body] = buildMo({ from, to: OWNED_NUMBER, text: "x" }, 1);
    if (body === undefined) throw new Error("no body");
    // "A", a high surrogate with no low one after it, "B": no valid Unicode, which PostgreSQL's jsonb
    // refuses; it must not fail the transaction (the SMSC would redeliver it forever).
    rig.sim.injectDeliverSm([
      { ...body, data_coding: 8, short_message: Buffer.from([0x00, 0x41, 0xd8, 0x3d, 0x00, 0x42]) },
    ]);
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: "A\ufffdB", encoding: "ucs2" });
    const [event] = await rig.database.db
      .select()
      .from(events)
      .where(and(eq(events.type, "inbound.received"), sql`${events.payload}->>'from' = ${from}`));
    expect((event?.payload as { text?: string } | undefined)?.text).toBe("A\ufffdB");
  });

  test("a NUL character (Latin-1 0x00) is stored as U+FFFD: PostgreSQL text cannot hold it", async () => {
    const from = sender();
    const [body] = buildMo({ from, to: OWNED_NUMBER, text: "x" }, 1);
    if (body === undefined) throw new Error("no body");
    rig.sim.injectDeliverSm([{ ...body, data_coding: 3, short_message: Buffer.from([0x41, 0x00, 0x42]) }]);
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: "A\ufffdB", encoding: "latin1" });
  });

  test("Latin-1", async () => {
    const from = sender();
    rig.sim.injectMo({
      from,
      to: OWNED_NUMBER,
      text: "Café crème, ½ Preis, ausgeschlossen: ÿ",
      encoding: "latin1",
    });
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({
      text: "Café crème, ½ Preis, ausgeschlossen: ÿ",
      encoding: "latin1",
      dataCoding: 3,
    });
  });

  test("binary data kept as hex", async () => {
    const from = sender();
    const [body] = buildMo({ from, to: OWNED_NUMBER, text: "x" }, 1);
    if (body === undefined) throw new Error("no body");
    rig.sim.injectDeliverSm([
      { ...body, data_coding: 0xf6, short_message: Buffer.from([0x00, 0x7f, 0x80, 0xff]) },
    ]);
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: "007F80FF", encoding: "binary", dataCoding: 0xf6 });
  });

  test("a long text in one message_payload is one message", async () => {
    const from = sender();
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: LONG_GSM, concat: "payload" });
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: LONG_GSM, segments: 1 });
  });
});

describe("concatenated inbound SMS", () => {
  for (const [concat, text, encoding] of [
    ["udh8", LONG_GSM, "gsm7"],
    ["udh16", LONG_UCS2, "ucs2"],
    ["sar", LONG_GSM, "gsm7"],
  ] as const) {
    test(`${concat}: shuffled, with repeats, reassembled once`, async () => {
      const from = sender();
      const parts = buildMo({ from, to: OWNED_NUMBER, text, concat }, 0x1234);
      expect(parts.length).toBeGreaterThan(2);
      const repeated = [...parts, parts[0], parts[parts.length - 1], parts[1]].filter(
        (p): p is DeliverSmBody => p !== undefined,
      );
      rig.sim.injectDeliverSm(shuffled(repeated, parts.length * 7919));
      const [row] = await messageFrom(from);
      await settled(rig.sim);
      const rows = (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
      expect(rows).toHaveLength(1);
      expect(row).toMatchObject({ text, encoding, segments: parts.length, incomplete: false });
      const stored = await rig.database.db.select().from(inboundParts).where(eq(inboundParts.source, from));
      expect(stored).toHaveLength(parts.length);
      expect(stored.every((p) => p.inboundId === row?.id)).toBe(true);
    });
  }

  test("a restart between segments loses nothing (a new processor on the same database)", async () => {
    const from = sender();
    const parts = shuffled(buildMo({ from, to: OWNED_NUMBER, text: LONG_GSM, concat: "udh8" }, 77), 42);
    const half = Math.floor(parts.length / 2);
    rig.sim.injectDeliverSm(parts.slice(0, half));
    await until(async () => {
      const stored = await rig.database.db.select().from(inboundParts).where(eq(inboundParts.source, from));
      return stored.length === half ? stored : undefined;
    }, "the first half stored");
    await settled(rig.sim);
    // The old instance goes away with nothing in memory; a new one takes over.
    await rig.processor.close();
    await rig.swapProcessor();
    rig.sim.injectDeliverSm(
      [...parts.slice(half), parts[0]].filter((p): p is DeliverSmBody => p !== undefined),
    );
    const [row] = await messageFrom(from);
    await settled(rig.sim);
    expect((await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from)).toHaveLength(1);
    expect(row).toMatchObject({ text: LONG_GSM, segments: parts.length });
  });

  test("a set that never completes is surfaced after the wait with what arrived, flagged", async () => {
    const from = sender();
    const parts = buildMo({ from, to: OWNED_NUMBER, text: LONG_PLAIN, concat: "udh16" }, 9);
    const [first, , third] = parts;
    if (first === undefined || third === undefined) throw new Error("need three parts");
    rig.sim.injectDeliverSm([third, first]);
    const stored = await until(async () => {
      const stored = await rig.database.db.select().from(inboundParts).where(eq(inboundParts.source, from));
      return stored.length === 2 ? stored : undefined;
    }, "two segments stored");
    expect((await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from)).toEqual([]);

    // A long wait leaves it alone; a tiny one surfaces it (start/stop drive the same sweep on a timer).
    expect(await new InboundSweeper(rig.database.db).sweepOnce()).toBe(0);
    const sweeper = new InboundSweeper(rig.database.db, { incompleteAfterMs: 1, intervalMs: 10 });
    sweeper.start();
    const [row] = await messageFrom(from);
    await sweeper.stop();
    const segment = (n: number) => LONG_PLAIN.slice((n - 1) * 152, n * 152);
    expect(row).toMatchObject({
      text: segment(1) + segment(3),
      segments: 2,
      incomplete: true,
      accountId: rig.accountId,
      // When its last segment came, not when the sweep found it.
      receivedAt: new Date(Math.max(...stored.map((p) => p.receivedAt.getTime()))),
    });
    const [event] = await rig.database.db
      .select()
      .from(events)
      .where(sql`${events.payload}->>'id' = ${row?.id}`);
    expect(event?.payload).toMatchObject({ id: row?.id, incomplete: true, segments: 2 });
    // Once surfaced, a second sweep has nothing to do.
    expect(await sweeper.sweepOnce()).toBe(0);
  });
});

describe("destination numbers and storage failures", () => {
  test("an SMS to no known number is kept unassigned, logged, without an event", async () => {
    const from = sender();
    rig.sim.injectMo({ from, to: "15550001111", text: "who is this" });
    const [row] = await until(async () => {
      const rows = await inboundTo(rig.database.db, "+15550001111");
      return rows.length > 0 ? rows : undefined;
    }, "the unassigned SMS");
    expect(row).toMatchObject({ accountId: null, from, text: "who is this" });
    expect(rig.logs.some((l) => l.inbound_id === row?.id && l.level === 40)).toBe(true);
    const evts = await rig.database.db
      .select()
      .from(events)
      .where(sql`${events.payload}->>'id' = ${row?.id}`);
    expect(evts).toEqual([]);
  });

  test("acknowledged only after COMMIT: a closed database answers ESME_RX_T_APPN and the SMSC redelivers", async () => {
    const from = sender();
    // Earlier acknowledgements may still be on their way to the simulator: count from a quiet start.
    await settled(rig.sim);
    const broken = await createTestDatabase();
    await broken.close();
    const old = rig.processor;
    const failing = await rig.swapProcessor(broken.db);
    await old.close();
    const before = rig.sim.stats();
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "kept by the SMSC" });
    await until(async () => (failing.stats.refused >= 2 ? true : undefined), "two refusals");
    const during = rig.sim.stats();
    expect(during.moAcked).toBe(before.moAcked);
    expect(during.moSent - before.moSent).toBeGreaterThanOrEqual(2);
    expect(failing.stats.stored).toBe(0);

    // The database is back (here: the rig's own): the next redelivery is stored and acknowledged.
    await rig.swapProcessor();
    await failing.close();
    const [row] = await messageFrom(from);
    expect(row).toMatchObject({ text: "kept by the SMSC" });
    await settled(rig.sim);
    expect(rig.sim.stats().moAcked).toBe(before.moAcked + 1);
  });

  test("an SMS the database refuses for its data is refused for good (ESME_RX_P_APPN), alone", async () => {
    const from = sender();
    await refuseRows(rig.database.db, {
      name: "refuse_inbound",
      table: "inbound_messages",
      on: "INSERT",
      condition: "NEW.text = 'refused inbound'",
    });
    await settled(rig.sim);
    const before = rig.sim.stats();
    const bodies = ["fine a", "refused inbound", "fine b"].flatMap((text, i) =>
      buildMo({ from, to: OWNED_NUMBER, text }, i),
    );
    rig.sim.injectDeliverSm(bodies);
    await until(async () => {
      const rows = (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
      return rows.length === 2 ? rows : undefined;
    }, "the two others stored");
    await until(async () => (rig.sim.stats().moFailed > before.moFailed ? true : undefined), "the refusal");
    await settled(rig.sim);
    const after = rig.sim.stats();
    // Refused once, not redelivered: the SMSC gave it up.
    expect(after.moFailed - before.moFailed).toBe(1);
    expect(after.moSent - before.moSent).toBe(3);
    expect(after.moAcked - before.moAcked).toBe(2);
  });

  test("PDUs arriving together are stored in shared transactions", async () => {
    const from = sender();
    const bodies = Array.from({ length: 60 }, (_, i) =>
      buildMo({ from, to: OWNED_NUMBER, text: `n${i}` }, i),
    ).flat();
    const before = rig.processor.stats;
    rig.sim.injectDeliverSm(bodies);
    await until(async () => {
      const rows = (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
      return rows.length === 60 ? rows : undefined;
    }, "60 messages");
    const after = rig.processor.stats;
    expect(after.stored - before.stored).toBe(60);
    expect(after.batches - before.batches).toBeLessThan(60);
  });
});
