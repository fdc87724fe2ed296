/**
 * Issue 5's bound, shown directly: with the result writer unable to commit (a trigger the test switches
 * on refuses every write of message_parts, so each batch fails and is tried again), the SMSC never gets
 * more than sessions × window parts whose outcome is not stored, although the window itself is free
 * again as soon as the submit_sm_resp arrived. A PATCH that widens the window widens the gate; once the
 * database takes the results again everything is sent, each part exactly once.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { updateUpstream } from "../../../src/core/upstreams.js";
import { queryRows } from "../../../src/db/client.js";
import { type Pipeline, startPipeline, until } from "./pipeline-harness.js";

const MESSAGES = 12;
const SESSIONS = 2;

describe("parts submitted but not committed stay within sessions × window", () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline({
      upstream: { sessions: SESSIONS, window: 1 },
      start: false, // the messages are accepted first, then claimed together by the first poll
    });
  }, 60_000);

  afterAll(async () => {
    await p?.close();
  });

  const gate = () => p.dispatcher.stats.unsettled.get(p.upstreamId);
  const accepted = () => p.sim.stats().submitsAccepted;
  const answered = () => p.runtime.sessions(p.upstreamId).every((s) => s.in_flight === 0);
  /** Parts whose SMSC id is stored. */
  const stored = async () => {
    const [row] = await queryRows<{ n: number }>(
      p.database.db,
      sql`SELECT count(*)::int AS n FROM message_parts WHERE smsc_message_id IS NOT NULL`,
    );
    return row?.n;
  };

  test("the SMSC gets no more than the gate while results cannot be stored", {
    timeout: 120_000,
  }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const m = await p.send({ text: `gate test ${i}`, delivery_report: false });
      ids.push(m.id);
    }
    const db = p.database.db;
    await db.execute(sql`CREATE TABLE test_hold (held boolean)`);
    await db.execute(sql`INSERT INTO test_hold VALUES (true)`);
    await db.execute(
      sql.raw(`CREATE FUNCTION test_refuse_parts() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF EXISTS (SELECT 1 FROM test_hold) THEN RAISE EXCEPTION 'results held by the test'; END IF;
                 RETURN NEW;
               END $$`),
    );
    await db.execute(
      sql`CREATE TRIGGER test_refuse_parts BEFORE INSERT OR UPDATE ON message_parts
          FOR EACH ROW EXECUTE FUNCTION test_refuse_parts()`,
    );

    await p.dispatcher.start();
    // Stable once every message is either holding a permit or queued at the gate, and the SMSC has
    // answered what was sent: the window is free, only the uncommitted results hold the gate.
    await until(
      () =>
        accepted() > SESSIONS ||
        (gate()?.waiting === MESSAGES - SESSIONS && answered() && accepted() === SESSIONS),
      "two parts out, the rest waiting at the gate",
    );
    expect(accepted()).toBe(SESSIONS);
    expect(gate()).toMatchObject({ unsettled: SESSIONS, peak: SESSIONS });
    expect(await stored()).toBe(0);

    // A wider window widens the gate at once, with the results still held.
    await updateUpstream({ db, secretKey: p.secretKey, runtime: p.runtime }, p.upstreamId, { window: 2 });
    await until(
      () =>
        accepted() > 2 * SESSIONS ||
        (gate()?.waiting === MESSAGES - 2 * SESSIONS && answered() && accepted() === 2 * SESSIONS),
      "four parts out after the PATCH",
    );
    expect(accepted()).toBe(2 * SESSIONS);
    expect(gate()).toMatchObject({ unsettled: 2 * SESSIONS, peak: 2 * SESSIONS });
    expect(await stored()).toBe(0);

    await db.execute(sql`DELETE FROM test_hold`);
    for (const id of ids) await p.waitFor(id, ["sent"], 60_000);
    expect(accepted()).toBe(MESSAGES);
    expect(gate()).toMatchObject({ unsettled: 0, waiting: 0, peak: 2 * SESSIONS });
  });
});
