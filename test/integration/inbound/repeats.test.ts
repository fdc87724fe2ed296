/**
 * A whole inbound SMS the SMSC delivers again — our deliver_sm_resp was lost after COMMIT, or came too
 * late for the SMSC — is acknowledged and not stored or announced twice, while a different text, the
 * same text once the SMSC was seen to read our answer (a user's second "YES"), or the same text once
 * the repeat window has passed, is a new message (see processor.ts). Over SMPP from the simulator (one
 * session, so a fault can drop exactly the connection that carries our answer), and by `handle` for
 * data_sm and for copies stored at the same moment.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InboundProcessor } from "../../../src/core/inbound/processor.js";
import { InboundSweeper } from "../../../src/core/inbound/sweeper.js";
import { queryRows } from "../../../src/db/client.js";
import { events } from "../../../src/db/schema.js";
import { buildMo } from "../../../src/simulator/mo.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { type InboundRig, inboundTo, OWNED_NUMBER, settled, startRig, until } from "./setup.js";

let rig: InboundRig;
/** Every answer the runtime got from the inbound handler, by sender (source_addr as sent). */
const answers = new Map<string, number[]>();
/** An answer slower than this is not counted in time by the session (so never proven read). */
const ANSWER_IN_TIME_MS = 4000;
/** Set by a test to hold the next answers this long after the processor gave them. */
let answerDelayMs = 0;

/** Hands the runtime's inbound PDUs to `processor`, noting each answer. */
function answeringWith(processor: InboundProcessor): void {
  rig.processor = processor;
  rig.runtime.setInboundHandler({
    async handle(upstreamId, pdu, sessionId, answer) {
      const status = await processor.handle(upstreamId, pdu, sessionId, answer);
      if (answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answerDelayMs));
      const list = answers.get(pdu.source_addr) ?? [];
      list.push(status);
      answers.set(pdu.source_addr, list);
      return status;
    },
  });
}

/** Waits until the processor has forgotten `n` more whole SMS than `before` (answers proven read). */
function forgottenSince(before: number, n: number): Promise<true> {
  return until(
    async () => (rig.processor.stats.forgotten >= before + n ? true : undefined),
    `${n} SMS forgotten`,
  );
}

beforeAll(async () => {
  rig = await startRig({ sessions: 1, answerInTimeMs: ANSWER_IN_TIME_MS });
  answeringWith(rig.processor);
});
afterAll(async () => {
  await rig?.close();
});

let nextSender = 0;
function sender(): string {
  nextSender++;
  return `+4477009050${String(nextSender).padStart(2, "0")}`;
}

async function rowsFrom(from: string) {
  return (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
}

/** Waits until `n` messages from `from` are stored, and returns them. */
function stored(from: string, n: number) {
  return until(async () => {
    const rows = await rowsFrom(from);
    return rows.length >= n ? rows : undefined;
  }, `${n} inbound SMS from ${from}`);
}

async function receivedEvents(from: string) {
  return rig.database.db
    .select()
    .from(events)
    .where(and(eq(events.type, "inbound.received"), sql`${events.payload}->>'from' = ${from}`));
}

/** Waits until the simulator has had `n` more deliver_sm acknowledged than `before`, all settled. */
async function ackedSince(before: number, n: number): Promise<void> {
  await until(async () => (rig.sim.stats().moAcked >= before + n ? true : undefined), `${n} acknowledged`);
  await settled(rig.sim);
}

describe("a whole SMS delivered again", () => {
  test("the connection drops after COMMIT, before our deliver_sm_resp arrives: the redelivery is acknowledged, not stored again", async () => {
    const from = sender();
    await settled(rig.sim);
    const [session, ...others] = rig.sim.sessions().filter((s) => s.state === "bound");
    expect(others).toEqual([]);
    if (session === undefined) throw new Error("no bound session");
    const before = rig.sim.stats();
    const repeatsBefore = rig.processor.stats.repeats;
    const forgottenBefore = rig.processor.stats.forgotten;
    // The next PDU the simulator receives on this session — our deliver_sm_resp — closes it unread.
    rig.sim.setFaults({ dropAfterPdus: session.received + 1 });
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "Pick me up at 6?" });
    await until(
      async () => (rig.sim.stats().dropped > before.dropped ? true : undefined),
      "the connection dropped on our answer",
    );
    rig.sim.clearFaults();
    // The SMSC never saw an answer, so it delivers the SMS again once we are bound again.
    await ackedSince(before.moAcked, 1);

    const after = rig.sim.stats();
    expect(after.moSent - before.moSent).toBeGreaterThanOrEqual(2);
    const sent = answers.get(from.slice(1)) ?? [];
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent)).toEqual(new Set([CommandStatus.ESME_ROK]));
    expect(rig.processor.stats.repeats - repeatsBefore).toBe(sent.length - 1);

    const rows = await rowsFrom(from);
    expect(rows.map((r) => r.text)).toEqual(["Pick me up at 6?"]);
    const evts = await receivedEvents(from);
    expect(evts.map((e) => (e.payload as { id: string }).id)).toEqual([rows[0]?.id]);
    // The answer to the redelivery got through: now the SMSC has it, the SMS is forgotten.
    await forgottenSince(forgottenBefore, 1);
  });

  test("the SMSC sends the same deliver_sm again (our answer came late for it): both ESME_ROK, one message, one event", async () => {
    const from = sender();
    const [body] = buildMo({ from, to: OWNED_NUMBER, text: "Running late, sorry" }, 1);
    if (body === undefined) throw new Error("no body");
    await settled(rig.sim);
    const before = rig.sim.stats().moAcked;
    const forgottenBefore = rig.processor.stats.forgotten;
    answerDelayMs = ANSWER_IN_TIME_MS + 500;
    try {
      rig.sim.injectDeliverSm([body]);
      await ackedSince(before, 1);
    } finally {
      answerDelayMs = 0;
    }
    // A late answer is never proven read, however long the SMSC takes to send the copy.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(rig.processor.stats.forgotten).toBe(forgottenBefore);
    rig.sim.injectDeliverSm([body]);
    await ackedSince(before, 2);
    expect(answers.get(from.slice(1))).toEqual([CommandStatus.ESME_ROK, CommandStatus.ESME_ROK]);
    const rows = await rowsFrom(from);
    expect(rows.map((r) => r.text)).toEqual(["Running late, sorry"]);
    expect(await receivedEvents(from)).toHaveLength(1);
    // The copy's answer left in time and was read: forgotten now.
    await forgottenSince(forgottenBefore, 1);
  });

  test("a different text from the same sender is a new message", async () => {
    const from = sender();
    await settled(rig.sim);
    const forgottenBefore = rig.processor.stats.forgotten;
    const before = rig.sim.stats().moAcked;
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "yes" });
    await ackedSince(before, 1);
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "yes!" });
    await ackedSince(before, 2);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["yes", "yes!"]);
    expect(await receivedEvents(from)).toHaveLength(2);
    await forgottenSince(forgottenBefore, 2); // both answers proven read
  });

  test("the same text again once the SMSC read our answer is a new message: a user's second YES", async () => {
    const from = sender();
    await settled(rig.sim);
    const forgottenBefore = rig.processor.stats.forgotten;
    const before = rig.sim.stats().moAcked;
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "YES" });
    await ackedSince(before, 1);
    await stored(from, 1);
    // The session proves the answer read (an enquire_link's response, the link being idle) and the
    // processor forgets the SMS.
    await forgottenSince(forgottenBefore, 1);
    rig.sim.injectMo({ from, to: OWNED_NUMBER, text: "YES" });
    await ackedSince(before, 2);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["YES", "YES"]);
    expect(await receivedEvents(from)).toHaveLength(2);
    expect(answers.get(from.slice(1))).toEqual([CommandStatus.ESME_ROK, CommandStatus.ESME_ROK]);
    await forgottenSince(forgottenBefore, 2);
  });
});

describe("handed to the processor directly", () => {
  const gsm7 = { get: () => ({ config: { dcs0_charset: "gsm7" as const } }) };

  function dataSm(from: string, text: string): InboundPdu {
    return {
      command: "data_sm",
      command_status: 0,
      sequence_number: 7,
      service_type: "",
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: from.slice(1),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: OWNED_NUMBER.slice(1),
      esm_class: 0,
      registered_delivery: 0,
      data_coding: 3, // Latin-1
      tlvs: { message_payload: Buffer.from(text, "latin1") },
    } as InboundPdu;
  }

  test("a data_sm delivered again is acknowledged, not stored again", async () => {
    const processor = new InboundProcessor(rig.database.db, gsm7);
    const from = sender();
    expect(await processor.handle(rig.upstreamId, dataSm(from, "via data_sm"))).toBe(CommandStatus.ESME_ROK);
    expect(await processor.handle(rig.upstreamId, dataSm(from, "via data_sm"))).toBe(CommandStatus.ESME_ROK);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["via data_sm"]);
    expect(processor.stats).toMatchObject({ stored: 2, messages: 1, repeats: 1 });
    await processor.close();
  });

  test("copies stored at the same moment by two instances, or in one batch, make one message each", async () => {
    // One PDU per transaction, several at once, on two processors: on PostgreSQL (PGlite runs them one
    // by one) the second copy's transaction waits on the first's repeat key, then collides with it.
    const options = { maxBatch: 1, maxConcurrent: 4 };
    const one = new InboundProcessor(rig.database.db, gsm7, options);
    const two = new InboundProcessor(rig.database.db, gsm7, options);
    const batched = new InboundProcessor(rig.database.db, gsm7);
    const senders = Array.from({ length: 8 }, () => sender());
    const work = senders.flatMap((from, i) => [
      one.handle(rig.upstreamId, dataSm(from, `copy ${i}`)),
      two.handle(rig.upstreamId, dataSm(from, `copy ${i}`)),
      batched.handle(rig.upstreamId, dataSm(from, `copy ${i}`)),
      batched.handle(rig.upstreamId, dataSm(from, `copy ${i}`)),
    ]);
    expect(new Set(await Promise.all(work))).toEqual(new Set([CommandStatus.ESME_ROK]));
    for (const [i, from] of senders.entries()) {
      expect((await rowsFrom(from)).map((r) => r.text)).toEqual([`copy ${i}`]);
      expect(await receivedEvents(from)).toHaveLength(1);
    }
    await Promise.all([one.close(), two.close(), batched.close()]);
  });

  test("the same text once the repeat window has passed is a new message", async () => {
    const windowMs = 300;
    const processor = new InboundProcessor(rig.database.db, gsm7, { repeatWindowMs: windowMs });
    const from = sender();
    expect(await processor.handle(rig.upstreamId, dataSm(from, "yes"))).toBe(CommandStatus.ESME_ROK);
    expect(await processor.handle(rig.upstreamId, dataSm(from, "yes"))).toBe(CommandStatus.ESME_ROK);
    const [first, ...none] = await rowsFrom(from);
    expect(none).toEqual([]);
    // The window is measured on the database's clock: wait until it says the window has passed.
    await until(async () => {
      const [row] = await queryRows<{ passed: boolean }>(
        rig.database.db,
        sql`SELECT now() - ${first?.receivedAt.toISOString()}::timestamptz
                   > make_interval(secs => ${windowMs / 1000}::float8) AS passed`,
      );
      return row?.passed === true ? true : undefined;
    }, "the repeat window passed");
    expect(await processor.handle(rig.upstreamId, dataSm(from, "yes"))).toBe(CommandStatus.ESME_ROK);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["yes", "yes"]);
    expect(await receivedEvents(from)).toHaveLength(2);
    await processor.close();
  });

  test("told that the SMSC read its answer, the processor forgets the SMS; until then a copy is a repeat", async () => {
    const processor = new InboundProcessor(rig.database.db, gsm7);
    const from = sender();
    const reads: Array<() => void> = [];
    const watch = { onRead: (read: () => void) => reads.push(read) };
    expect(await processor.handle(rig.upstreamId, dataSm(from, "YES"), "s1", watch)).toBe(
      CommandStatus.ESME_ROK,
    );
    expect(reads).toHaveLength(1);
    expect(await processor.handle(rig.upstreamId, dataSm(from, "YES"))).toBe(CommandStatus.ESME_ROK);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["YES"]);
    for (const read of reads) read();
    await processor.close(); // waits for the forgetting too
    const next = new InboundProcessor(rig.database.db, gsm7);
    expect(await next.handle(rig.upstreamId, dataSm(from, "YES"))).toBe(CommandStatus.ESME_ROK);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["YES", "YES"]);
    expect(await receivedEvents(from)).toHaveLength(2);
    await next.close();
  });

  test("the sweeper forgets repeat keys past their retention (so it must not undercut the window)", async () => {
    const processor = new InboundProcessor(rig.database.db, gsm7);
    const from = sender();
    expect(await processor.handle(rig.upstreamId, dataSm(from, "kept a while"))).toBe(CommandStatus.ESME_ROK);
    const keys = () =>
      queryRows<{ n: number }>(rig.database.db, sql`SELECT count(*)::int AS n FROM inbound_repeat_keys`);
    const [before] = await keys();
    expect(before?.n).toBeGreaterThan(0);
    await new InboundSweeper(rig.database.db).sweepOnce();
    expect(await keys()).toEqual([before]);
    await new InboundSweeper(rig.database.db, { repeatRetentionMs: 0 }).sweepOnce();
    expect(await keys()).toEqual([{ n: 0 }]);
    // Forgotten: the same SMS again is stored as a new message even within the processor's window.
    expect(await processor.handle(rig.upstreamId, dataSm(from, "kept a while"))).toBe(CommandStatus.ESME_ROK);
    expect((await rowsFrom(from)).map((r) => r.text)).toEqual(["kept a while", "kept a while"]);
    await processor.close();
  });
});
