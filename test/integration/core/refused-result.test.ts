/**
 * A result the database refuses for what it holds (SQLSTATE class 22/23) must not stall its upstream:
 * retried whole, its batch failed for good and held the upstream's unsettled permits. Nor may the one
 * refused be submitted again every lease period, for ever. A trigger plays the part of data
 * PostgreSQL cannot take (as NUL or an int4 overflow once were).
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { events } from "../../../src/db/schema.js";
import { refuseRows } from "../../helpers/refuse-rows.js";
import { type Pipeline, startPipeline } from "./pipeline-harness.js";

const POISON = "refused result";

let p: Pipeline;
beforeAll(async () => {
  // One session × window 4: the gate holds 4 permits, so a stuck batch would stop everything.
  p = await startPipeline({ upstream: { window: 4 }, leaseSeconds: 3600 });
  await refuseRows(p.database.db, {
    name: "refuse_poison",
    table: "message_parts",
    on: "INSERT OR UPDATE",
    condition: `NEW.text = '${POISON}' AND NEW.status <> 'pending'`,
  });
});
afterAll(async () => {
  await p?.close();
});

describe("a result the database refuses", () => {
  test("fails alone (RESULT_NOT_STORED); the rest of its batch is stored and the upstream keeps sending", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => (i === 5 ? POISON : `fine ${i}`));
    const accepted = await Promise.all(texts.map((text) => p.send({ text })));
    const poison = accepted[5];
    if (poison === undefined) throw new Error("no poison message");
    for (const m of accepted) {
      if (m.id === poison.id) continue;
      expect((await p.waitFor(m.id, ["delivered"], 20_000)).status).toBe("delivered");
    }
    // Later messages still pass through the same permits.
    const after = await p.send({ text: "after the refusal" });
    expect((await p.waitFor(after.id, ["delivered"], 20_000)).status).toBe("delivered");
    // The refused one was submitted once, and failed rather than left to be submitted again for ever.
    const refused = await p.waitFor(poison.id, ["failed"], 20_000);
    expect(refused.error?.code).toBe("RESULT_NOT_STORED");
    expect(p.sim.submits.list().filter((s) => s.text === POISON)).toHaveLength(1);
    const failedEvents = await p.database.db
      .select()
      .from(events)
      .where(and(eq(events.type, "message.failed"), sql`${events.payload}->>'id' = ${poison.id}`));
    expect(failedEvents).toHaveLength(1);
  }, 60_000);
});
