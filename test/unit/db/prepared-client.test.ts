/**
 * The prepared-statement wrapper around postgres-js, on a stand-in client that records what it is
 * asked (the wrapper's whole job is the options it passes on): drizzle's `prepare: false` becomes
 * `prepare: true`, inside transactions and savepoints too, and only a bounded number of distinct
 * statement texts is ever prepared.
 */
import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import { MAX_PREPARED_TEXTS, preparingClient } from "../../../src/db/prepared-client.js";

interface Call {
  text: string;
  prepare: boolean | undefined;
}

function recordingClient(calls: Call[]): Sql {
  const client = {
    unsafe: (text: string, _parameters?: unknown[], options?: { prepare?: boolean }) => {
      calls.push({ text, prepare: options?.prepare });
      return Promise.resolve([]);
    },
    begin: (...args: unknown[]) => (args[args.length - 1] as (tx: Sql) => unknown)(client as unknown as Sql),
    savepoint: (...args: unknown[]) =>
      (args[args.length - 1] as (tx: Sql) => unknown)(client as unknown as Sql),
    options: { parsers: {} },
  };
  return client as unknown as Sql;
}

describe("preparingClient", () => {
  it("prepares what drizzle sends unprepared, keeping its other options", async () => {
    const calls: Call[] = [];
    const client = preparingClient(recordingClient(calls));
    await client.unsafe("select $1", [1], { prepare: false });
    expect(calls).toEqual([{ text: "select $1", prepare: true }]);
    // Everything else passes through untouched.
    expect(client.options).toEqual({ parsers: {} });
  });

  it("wraps the client a transaction or savepoint hands its callback", async () => {
    const calls: Call[] = [];
    const client = preparingClient(recordingClient(calls));
    await client.begin(async (tx) => {
      await tx.unsafe("update t set a = $1", [1], { prepare: false });
      await tx.savepoint(async (sp) => {
        await sp.unsafe("update t set b = $1", [2], { prepare: false });
      });
    });
    expect(calls.map((c) => c.prepare)).toEqual([true, true]);
  });

  it(`prepares at most ${MAX_PREPARED_TEXTS} distinct texts; known ones stay prepared`, async () => {
    const calls: Call[] = [];
    const client = preparingClient(recordingClient(calls));
    for (let i = 0; i < MAX_PREPARED_TEXTS + 10; i++)
      await client.unsafe(`select ${i}`, [], { prepare: false });
    await client.unsafe("select 0", [], { prepare: false });
    await client.begin(async (tx) => {
      await tx.unsafe("select 'new in a transaction'", [], { prepare: false });
    });
    const prepared = calls.filter((c) => c.prepare).length;
    expect(prepared).toBe(MAX_PREPARED_TEXTS + 1);
    expect(calls.at(-2)).toEqual({ text: "select 0", prepare: true });
    expect(calls.at(-1)?.prepare).toBe(false);
  });
});
