/** The registry of SMSC ids not committed yet: what a receipt waits for, for how long, and that nothing stays. */
import { afterEach, describe, expect, test, vi } from "vitest";
import { matchKeys } from "../../../../src/core/receipts/match-keys.js";
import { PendingIds } from "../../../../src/core/results/pending-ids.js";

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("PendingIds", () => {
  test("a receipt waits for a pending id until its message is settled, then the entry is gone", async () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "abc");
    const wait = ids.whenSettled("ups_1", matchKeys("abc", "auto"));
    expect(wait).toBeDefined();
    expect(await settled(wait)).toBe(false);
    ids.settle("msg_1");
    expect(await settled(wait)).toBe(true);
    expect(ids.stats).toEqual({ pending: 0, waited: 1, timedOut: 0, dropped: 0 });
    expect(ids.whenSettled("ups_1", ["abc"])).toBeUndefined();
  });

  test("nothing pending, another upstream, or another id: no wait at all", () => {
    const ids = new PendingIds();
    expect(ids.whenSettled("ups_1", ["abc"])).toBeUndefined();
    ids.add("msg_1", "ups_1", "abc");
    expect(ids.whenSettled("ups_2", ["abc"])).toBeUndefined();
    expect(ids.whenSettled("ups_1", matchKeys("abd", "auto"))).toBeUndefined();
    expect(ids.whenSettled("ups_1", [])).toBeUndefined();
    expect(ids.stats.waited).toBe(0);
  });

  test("the receipt's id is found in the forms matching finds it: case, leading zeros, the other base", () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "000ABC");
    ids.add("msg_2", "ups_1", "255");
    expect(ids.whenSettled("ups_1", matchKeys("abc", "hex"))).toBeDefined();
    expect(ids.whenSettled("ups_1", matchKeys("0abc", "auto"))).toBeDefined();
    // A decimal submit_sm_resp id, a hex receipt id: found under "auto" only, as in the database.
    expect(ids.whenSettled("ups_1", matchKeys("ff", "auto"))).toBeDefined();
    expect(ids.whenSettled("ups_1", matchKeys("ff", "hex"))).toBeUndefined();
  });

  test("a wait is capped at maxWaitMs; the entry still leaves when its message settles", async () => {
    vi.useFakeTimers();
    const ids = new PendingIds({ maxWaitMs: 2000 });
    ids.add("msg_1", "ups_1", "abc");
    let done = false;
    void ids.whenSettled("ups_1", ["abc"])?.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(ids.stats).toMatchObject({ pending: 1, waited: 1, timedOut: 1 });
    ids.settle("msg_1");
    expect(ids.stats.pending).toBe(0);
  });

  test("an id two messages got is pending until both are settled", async () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "abc");
    ids.add("msg_2", "ups_1", "abc");
    const wait = ids.whenSettled("ups_1", ["abc"]);
    ids.settle("msg_1");
    expect(await settled(wait)).toBe(false);
    ids.settle("msg_1"); // settling twice releases nothing more
    expect(await settled(wait)).toBe(false);
    ids.settle("msg_2");
    expect(await settled(wait)).toBe(true);
    expect(ids.stats.pending).toBe(0);
  });

  test("a receipt naming two pending ids (its id and its text id) waits for both", async () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "abc");
    ids.add("msg_2", "ups_1", "def");
    const wait = ids.whenSettled("ups_1", ["abc", "def"]);
    ids.settle("msg_2");
    expect(await settled(wait)).toBe(false);
    ids.settle("msg_1");
    expect(await settled(wait)).toBe(true);
  });

  test("all of a message's ids leave with it", () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "a1");
    ids.add("msg_1", "ups_1", "a2");
    ids.add("msg_2", "ups_1", "b1");
    ids.settle("msg_1");
    expect(ids.whenSettled("ups_1", ["a1"])).toBeUndefined();
    expect(ids.whenSettled("ups_1", ["a2"])).toBeUndefined();
    expect(ids.whenSettled("ups_1", ["b1"])).toBeDefined();
    expect(ids.stats.pending).toBe(1);
  });

  test("past maxEntries new ids are not tracked (their receipts go the unmatched way)", () => {
    const ids = new PendingIds({ maxEntries: 2 });
    ids.add("msg_1", "ups_1", "a");
    ids.add("msg_2", "ups_1", "b");
    ids.add("msg_3", "ups_1", "c");
    ids.add("msg_4", "ups_1", "a"); // an id already tracked takes no room
    expect(ids.stats).toMatchObject({ pending: 2, dropped: 1 });
    expect(ids.whenSettled("ups_1", ["c"])).toBeUndefined();
    ids.settle("msg_3");
    ids.settle("msg_1");
    expect(ids.whenSettled("ups_1", ["a"])).toBeDefined();
    ids.settle("msg_4");
    ids.settle("msg_2");
    expect(ids.stats.pending).toBe(0);
  });

  test("an empty id is not tracked: no receipt can name it", () => {
    const ids = new PendingIds();
    ids.add("msg_1", "ups_1", "  ");
    expect(ids.stats.pending).toBe(0);
  });
});
