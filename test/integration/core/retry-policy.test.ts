/**
 * The retry policy as the result writer applies it in SQL (results/statements.ts writeMessages):
 * back-off doubling from the base up to the cap, the attempt budget, never a retry past validity, the
 * refund of an attempt that reached no SMSC, and rows no longer `sending` left alone.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAccount } from "../../../src/core/accounts.js";
import { newId } from "../../../src/core/ids.js";
import { type MessageWrite, type RetryPolicy, writeMessages } from "../../../src/core/results/statements.js";
import { type MessageStatus, messages } from "../../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";

const POLICY: RetryPolicy = {
  maxAttempts: 5,
  backoffBaseMs: 1000,
  backoffMaxMs: 10_000,
  jitter: 0,
  waitingBackoffFraction: 0.1,
};

let database: TestDatabase;
let accountId = "";

beforeAll(async () => {
  database = await createTestDatabase();
  accountId = (await createAccount(database.db, { name: "Acme" })).id;
});
afterAll(async () => {
  await database?.close();
});

/** A message as the claim leaves it: `sending`, leased, `attempts` counted. */
async function claimed(
  attempts: number,
  options: { expiresInMs?: number; status?: MessageStatus; dueForMs?: number } = {},
) {
  const id = newId("msg");
  const now = Date.now();
  await database.db.insert(messages).values({
    id,
    accountId,
    status: options.status ?? "sending",
    to: "+447700900123",
    from: "ACME",
    text: "hello",
    encoding: "gsm7",
    dataCoding: 0,
    segments: 1,
    attempts,
    leaseOwner: "instance-a",
    leaseExpiresAt: new Date(now + 30_000),
    nextAttemptAt: new Date(now + 30_000),
    expiresAt: options.expiresInMs === undefined ? null : new Date(now + options.expiresInMs),
    ...(options.dueForMs !== undefined && { createdAt: new Date(now - options.dueForMs) }),
  });
  return id;
}

function retry(id: string, refund = false): MessageWrite {
  return {
    id,
    kind: "retry",
    errorCode: null,
    errorMessage: "ESME_RSYSERR: System error",
    smppStatus: 0x08,
    upstreamId: "ups_1",
    refund,
  };
}

async function write(w: MessageWrite, policy: RetryPolicy = POLICY) {
  const rows = await database.db.transaction((tx) => writeMessages(tx, [w], policy));
  return rows[0];
}

/** The back-off the row was given: next_attempt_at minus the statement's now() (its updated_at). */
function backoffMs(row: { nextAttemptAt: Date | null; updatedAt: Date } | undefined): number {
  if (row?.nextAttemptAt == null) throw new Error("no next_attempt_at");
  return row.nextAttemptAt.getTime() - row.updatedAt.getTime();
}

describe("retry policy", () => {
  test("back-off doubles with each counted attempt from the base, up to the cap; the lease is released", async () => {
    const seen: number[] = [];
    for (const attempts of [1, 2, 3, 4]) {
      const row = await write(retry(await claimed(attempts)), { ...POLICY, maxAttempts: 10 });
      expect(row).toMatchObject({ status: "queued", attempts, leaseOwner: null, leaseExpiresAt: null });
      expect(row?.errorCode).toBeNull();
      seen.push(backoffMs(row));
    }
    expect(seen).toEqual([1000, 2000, 4000, 8000]);
    const capped = await write(retry(await claimed(6)), { ...POLICY, maxAttempts: 10 });
    expect(backoffMs(capped)).toBe(10_000);
  });

  test("the last counted attempt fails the message RETRIES_EXHAUSTED with the last command_status", async () => {
    const before = await write(retry(await claimed(POLICY.maxAttempts - 1)));
    expect(before?.status).toBe("queued");
    const row = await write(retry(await claimed(POLICY.maxAttempts)));
    expect(row).toMatchObject({
      status: "failed",
      errorCode: "RETRIES_EXHAUSTED",
      errorSmppCommandStatus: 0x08,
      nextAttemptAt: null,
      leaseOwner: null,
    });
    expect(row?.errorMessage).toContain("ESME_RSYSERR");
    expect(row?.doneAt).not.toBeNull();
  });

  test("no retry is planned past the end of the validity period", async () => {
    // Attempt 3: the next try would be 4 s away, after a validity ending in 2 s.
    const tooLate = await write(retry(await claimed(3, { expiresInMs: 2000 })));
    expect(tooLate).toMatchObject({ status: "failed", errorCode: "RETRIES_EXHAUSTED", nextAttemptAt: null });
    expect(tooLate?.errorMessage).toContain("validity");
    const inTime = await write(retry(await claimed(3, { expiresInMs: 60_000 })));
    expect(inTime?.status).toBe("queued");
    expect(inTime?.nextAttemptAt?.getTime()).toBeLessThanOrEqual(inTime?.expiresAt?.getTime() ?? 0);
  });

  test("an attempt that reached no SMSC is given back: not counted, and no nearer the budget's end", async () => {
    const id = await claimed(POLICY.maxAttempts);
    const row = await write(retry(id, true));
    expect(row).toMatchObject({ status: "queued", attempts: POLICY.maxAttempts - 1 });
    expect(backoffMs(row)).toBe(POLICY.backoffBaseMs * 2 ** (POLICY.maxAttempts - 2));
  });

  test("an attempt given back to a message long due waits a tenth of that, up to the cap, not the base", async () => {
    // Throttled or no bound session for a while: no attempt counted, yet it must not come back every second.
    const waited = await write(retry(await claimed(1, { dueForMs: 60_000 }), true));
    expect(waited).toMatchObject({ status: "queued", attempts: 0 });
    expect(backoffMs(waited)).toBeGreaterThanOrEqual(6000);
    expect(backoffMs(waited)).toBeLessThan(6500);
    const long = await write(retry(await claimed(1, { dueForMs: 3_600_000 }), true));
    expect(backoffMs(long)).toBe(POLICY.backoffMaxMs);
    // Counted attempts keep their doubling, however long the message has been due.
    const counted = await write(retry(await claimed(1, { dueForMs: 60_000 })));
    expect(backoffMs(counted)).toBe(POLICY.backoffBaseMs);
  });

  test("a message no longer `sending` (canceled, finished elsewhere) is not rewritten", async () => {
    const id = await claimed(1, { status: "canceled" });
    expect(await write(retry(id))).toBeUndefined();
    const [row] = await database.db.select().from(messages).where(eq(messages.id, id));
    expect(row?.status).toBe("canceled");
  });
});
