/**
 * Two instances on one database: A changes upstreams the way its admin API does, B only re-reads the
 * table (UpstreamSync). B's real SMPP sessions to the simulator must follow: bind an upstream created on
 * A, unbind one A disabled, close one A deleted. The re-read is driven by hand (syncNow), not by a timer.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PoolRuntime } from "../../../src/core/upstream-runtime-pools.js";
import { UpstreamSync } from "../../../src/core/upstream-sync.js";
import {
  createUpstream,
  deleteUpstream,
  setUpstreamPduLog,
  type UpstreamDeps,
  updateUpstream,
} from "../../../src/core/upstreams.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { until } from "./pipeline-harness.js";

let database: TestDatabase;
let sim: Simulator;
let runtimeA: PoolRuntime;
let runtimeB: PoolRuntime;
let a: UpstreamDeps;
let syncB: UpstreamSync;
const secretKey = randomBytes(32);

beforeAll(async () => {
  database = await createTestDatabase();
  sim = await Simulator.start({ accounts: [{ systemId: "bridge", password: "pw1" }] });
  const pool = { session: { reconnect: { initialMs: 20, maxMs: 200 } } };
  runtimeA = new PoolRuntime({ pool });
  runtimeB = new PoolRuntime({ pool });
  a = { db: database.db, secretKey, runtime: runtimeA };
  syncB = new UpstreamSync(database.db, secretKey, runtimeB, { intervalMs: 0 });
  await syncB.start();
});
afterAll(async () => {
  await syncB?.stop();
  await runtimeA?.close();
  await runtimeB?.close();
  await sim?.close();
  await database?.close();
});

const input = {
  name: "shared-smsc",
  host: "127.0.0.1",
  systemId: "bridge",
  password: "pw1",
};

describe("upstream changes made on another instance", () => {
  let id = "";

  test("an upstream created on A binds on B at B's next re-read", async () => {
    id = (await createUpstream(a, { ...input, port: sim.port })).id;
    await until(() => runtimeA.isBound(id), "bound on A");
    expect(runtimeB.sessions(id)).toEqual([]);
    await syncB.syncNow();
    await until(() => runtimeB.isBound(id), "bound on B");
    await until(() => sim.stats().bound === 2, "both instances bound at the simulator");
  });

  test("disabled on A: B unbinds too", async () => {
    await updateUpstream(a, id, { enabled: false });
    await syncB.syncNow();
    await until(() => sim.stats().bound === 0, "no bind left at the simulator");
    expect(runtimeB.isBound(id)).toBe(false);
  });

  test("enabled again on A: B binds again", async () => {
    await updateUpstream(a, id, { enabled: true });
    await syncB.syncNow();
    await until(() => runtimeB.isBound(id) && runtimeA.isBound(id), "bound on both");
  });

  test("deleted on A: B closes and forgets its sessions", async () => {
    await deleteUpstream(a, id);
    await syncB.syncNow();
    expect(runtimeB.sessions(id)).toEqual([]);
    await until(() => sim.stats().bound === 0, "no bind left at the simulator");
  });

  test("the PDU log switched on at A records on B too (B's GET shows what B's sessions sent)", async () => {
    // enquire_link every second: traffic for the log without anything else going on.
    const traced = await createUpstream(a, {
      ...input,
      name: "traced",
      port: sim.port,
      enquireLinkInterval: 1,
    });
    await syncB.syncNow();
    await until(() => runtimeB.isBound(traced.id), "bound on B");
    await setUpstreamPduLog(a, traced.id, true);
    await syncB.syncNow();
    await until(
      () => runtimeB.pduLog(traced.id, 10).some((entry) => entry.command === "enquire_link"),
      "B's PDU log records its enquire_link",
    );
    await deleteUpstream(a, traced.id);
    await syncB.syncNow();
  });

  test("a row B cannot open (sealed under another SECRET_KEY) is skipped, and the rows after it applied", async () => {
    // Created first, so the re-read (in id order) meets it before the good one.
    const sealedElsewhere = await createUpstream(
      { ...a, secretKey: randomBytes(32) },
      { ...input, name: "sealed-elsewhere", port: sim.port },
    );
    const good = await createUpstream(a, { ...input, name: "after-it", port: sim.port });
    await syncB.syncNow();
    await until(() => runtimeB.isBound(good.id), "the row after the unreadable one bound on B");
    expect(runtimeB.sessions(sealedElsewhere.id)).toEqual([]);
    await deleteUpstream(a, sealedElsewhere.id);
    await deleteUpstream(a, good.id);
    await syncB.syncNow();
  });
});
