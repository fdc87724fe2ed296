/**
 * A receipt the database refuses for what it holds (SQLSTATE class 22/23) is refused alone: the
 * receipts that arrived in its batch are stored and acknowledged, not answered ESME_RX_T_APPN with
 * it. A trigger plays the part of data PostgreSQL cannot take (as NUL in a receipt id once was).
 */
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { receipts } from "../../../src/db/schema.js";
import { buildMo } from "../../../src/simulator/mo.js";
import { refuseRows } from "../../helpers/refuse-rows.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

let p: Pipeline;
beforeAll(async () => {
  // The SMSC waits a minute before delivering a refused receipt again: within the test, once.
  p = await startPipeline({ simulator: { deliveryRetryDelayMs: 60_000 } });
  await refuseRows(p.database.db, {
    name: "refuse_poison_receipt",
    table: "receipts",
    on: "INSERT",
    condition: "NEW.smsc_message_id = 'poison-receipt'",
  });
});
afterAll(async () => {
  await p?.close();
});

describe("a receipt the database refuses", () => {
  test("is refused alone and for good; the receipts of its batch are stored", async () => {
    const [mo] = buildMo({ from: "+447700900123", to: "ACME", text: "x" }, 1);
    if (mo === undefined) throw new Error("no body");
    const ids = ["fine-1", "fine-2", "poison-receipt", "fine-3", "fine-4", "fine-5"];
    const before = p.receipts.stats;
    const simBefore = p.sim.stats();
    p.sim.injectDeliverSm(
      ids.map((id) => ({
        ...mo,
        esm_class: 0x04,
        short_message: Buffer.from(
          `id:${id} sub:001 dlvrd:001 submit date:2611300000 done date:2611300001 stat:DELIVRD err:000 text:x`,
        ),
      })),
    );
    const fine = ids.filter((id) => id !== "poison-receipt");
    await until(
      async () => {
        const rows = await p.database.db.select().from(receipts).where(inArray(receipts.smscMessageId, fine));
        return rows.length === fine.length;
      },
      "the five other receipts stored",
      20_000,
    );
    await until(() => p.receipts.stats.refused > before.refused, "the poison refused", 20_000);
    expect(p.receipts.stats.refused - before.refused).toBe(1);
    // Refused for good (ESME_RX_P_APPN): the SMSC gives it up rather than holding it for redelivery.
    // (Injected deliver_sm count as the simulator's MO, whatever they carry.)
    await until(() => p.sim.stats().moFailed > simBefore.moFailed, "the SMSC giving it up", 20_000);
    expect(p.sim.stats().moFailed - simBefore.moFailed).toBe(1);
    expect(p.sim.stats().retrying).toBe(0);
  }, 60_000);
});
