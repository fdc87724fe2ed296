/**
 * A sender reusing a concatenation reference while an earlier set with that reference still waits for a
 * lost segment (8-bit references wrap after 256 long SMS): the new SMS's segment that takes a place the
 * waiting set already holds, with other octets, shows the two are different messages. They must not be
 * merged, and no segment of either may be acknowledged and then dropped.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InboundProcessor } from "../../../src/core/inbound/processor.js";
import type { DeliverSmBody } from "../../../src/simulator/delivery-queue.js";
import { buildMo } from "../../../src/simulator/mo.js";
import type { InboundPdu } from "../../../src/smpp/net/types.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { type InboundRig, inboundTo, OWNED_NUMBER, settled, startRig, until } from "./setup.js";

/** Segment `seq` of `total` with 8-bit reference `ref`, its text in GSM 03.38 (ASCII letters only). */
function segment(from: string, ref: number, total: number, seq: number, text: string): DeliverSmBody {
  const [body] = buildMo({ from, to: OWNED_NUMBER, text: "x" }, 0);
  if (body === undefined) throw new Error("no body");
  return {
    ...body,
    esm_class: 0x40,
    short_message: Buffer.from([0x05, 0x00, 0x03, ref, total, seq, ...Buffer.from(text, "latin1")]),
  };
}

describe("over SMPP", () => {
  let rig: InboundRig;
  beforeAll(async () => {
    rig = await startRig({ sessions: 1 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  test("a new SMS reusing the reference of a set still waiting is not merged into it", async () => {
    const from = "+447700907001";
    // SMS A: segment 2 of 3 never arrives.
    rig.sim.injectDeliverSm([segment(from, 7, 3, 1, "A-one "), segment(from, 7, 3, 3, "A-three")]);
    await settled(rig.sim);
    // SMS B, later, with the same reference and total: all three segments.
    rig.sim.injectDeliverSm([
      segment(from, 7, 3, 1, "B-one "),
      segment(from, 7, 3, 2, "B-two "),
      segment(from, 7, 3, 3, "B-three"),
    ]);
    const rows = await until(async () => {
      const found = (await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from);
      return found.length >= 2 ? found : undefined;
    }, "two inbound SMS");
    await settled(rig.sim);
    expect(rows.map((r) => [r.text, r.segments, r.incomplete])).toEqual([
      ["A-one A-three", 2, true],
      ["B-one B-two B-three", 3, false],
    ]);
    expect((await inboundTo(rig.database.db, OWNED_NUMBER)).filter((r) => r.from === from)).toHaveLength(2);
  });
});

describe("in one batch", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  test("segments of both SMS stored in one transaction, in arrival order, are kept apart", async () => {
    const from = "+447700907002";
    const processor = new InboundProcessor(database.db, {
      get: () => ({ config: { dcs0_charset: "gsm7" } }),
    });
    // A backlog the SMSC delivers at once after an outage: A (its segment 2 lost), then B.
    const backlog = [
      segment(from, 9, 3, 1, "A-one "),
      segment(from, 9, 3, 3, "A-three"),
      segment(from, 9, 3, 1, "B-one "),
      segment(from, 9, 3, 2, "B-two "),
      segment(from, 9, 3, 3, "B-three"),
    ].map((body, i): InboundPdu => ({ ...body, sequence_number: i + 1 }));
    const answers = await Promise.all(backlog.map((pdu) => processor.handle("ups_reuse", pdu)));
    expect(answers).toEqual(backlog.map(() => CommandStatus.ESME_ROK));
    expect(processor.stats.batches).toBe(1);
    await processor.close();
    const rows = (await inboundTo(database.db, OWNED_NUMBER)).filter((r) => r.from === from);
    expect(rows.map((r) => [r.text, r.segments, r.incomplete])).toEqual([
      ["A-one A-three", 2, true],
      ["B-one B-two B-three", 3, false],
    ]);
  });
});
