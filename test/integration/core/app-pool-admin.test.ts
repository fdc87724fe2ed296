/**
 * The admin API's upstream controls with the real SMPP pool against the simulator: the PDU log shows a
 * bind with its password masked, a PATCH that changes no connection setting keeps the bound sessions,
 * a password change rebinds, and `enabled: false` unbinds (true binds again).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import type { PduLogEntry, SessionInfo } from "../../../src/core/upstream-runtime.js";
import { PoolRuntime } from "../../../src/core/upstream-runtime-pools.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { until } from "./pipeline-harness.js";

let database: TestDatabase;
let sim: Simulator;
let runtime: PoolRuntime;
let app: App;
const adminToken = `adm_${randomBytes(16).toString("hex")}`;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = await Simulator.start({
    accounts: [
      { systemId: "bridge", password: "Pw1sEcr" },
      { systemId: "bridge2", password: "Zq9xW7v" },
    ],
  });
  runtime = new PoolRuntime({
    pool: { reconfigureGraceMs: 200, session: { reconnect: { initialMs: 20, maxMs: 200 } } },
  });
  app = createApp({
    db: database.db,
    config: { adminToken, secretKey: randomBytes(32) },
    upstreamRuntime: runtime,
  });
});
afterAll(async () => {
  await runtime?.close();
  await sim?.close();
  await database?.close();
});

async function call(method: string, path: string, json?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${adminToken}` };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  return app.request(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
}

async function sessions(id: string): Promise<SessionInfo[]> {
  return ((await (await call("GET", `/admin/upstreams/${id}/sessions`)).json()) as { data: SessionInfo[] })
    .data;
}

const bound = async (id: string) => (await sessions(id)).filter((s) => s.state === "bound");
const hex = (text: string) => Buffer.from(text, "latin1").toString("hex");

describe("upstream controls with the real pool", () => {
  let id = "";

  test("a PATCH of a setting the sessions do not bind with keeps them bound", async () => {
    const created = await call("POST", "/admin/upstreams", {
      name: "sim",
      host: "127.0.0.1",
      port: sim.port,
      system_id: "bridge",
      password: "Pw1sEcr",
    });
    expect(created.status).toBe(201);
    id = ((await created.json()) as { id: string }).id;
    await until(async () => (await bound(id)).length === 1, "a bound session");
    const before = (await bound(id)).map((s) => s.id);
    expect((await call("PATCH", `/admin/upstreams/${id}`, { name: "sim-renamed", dest_ton: 1 })).status).toBe(
      200,
    );
    expect((await call("PATCH", `/admin/upstreams/${id}`, {})).status).toBe(200);
    expect((await sessions(id)).map((s) => s.id)).toEqual(before);
    expect(sim.stats().bound).toBe(1);
  });

  test("the PDU log shows the rebind a password change causes, with the password masked", async () => {
    expect((await call("PUT", `/admin/upstreams/${id}/pdu-log`, { enabled: true })).status).toBe(200);
    const patched = await call("PATCH", `/admin/upstreams/${id}`, {
      system_id: "bridge2",
      password: "Zq9xW7v",
    });
    expect(patched.status).toBe(200);
    let entries: PduLogEntry[] = [];
    await until(async () => {
      const log = (await (await call("GET", `/admin/upstreams/${id}/pdu-log?limit=100`)).json()) as {
        data: PduLogEntry[];
      };
      entries = log.data;
      return entries.some((e) => e.command === "bind_transceiver_resp" && e.command_status === 0);
    }, "a traced bind_transceiver_resp");
    const bind = entries.find((e) => e.command === "bind_transceiver");
    expect(bind?.direction).toBe("tx");
    expect(bind?.hex).toContain(`${hex("bridge2")}00${"2a".repeat(7)}00`);
    expect(JSON.stringify(entries)).not.toContain(hex("Zq9xW7v"));
    expect(JSON.stringify(entries)).not.toContain("Zq9xW7v");
  });

  test("enabled: false unbinds every session; enabled: true binds again", async () => {
    expect((await call("PATCH", `/admin/upstreams/${id}`, { enabled: false })).status).toBe(200);
    await until(() => sim.stats().bound === 0, "no bind left at the simulator");
    await until(async () => (await bound(id)).length === 0, "no bound session listed");
    expect((await call("PATCH", `/admin/upstreams/${id}`, { enabled: true })).status).toBe(200);
    await until(async () => (await bound(id)).length === 1, "bound again");
  });
});
