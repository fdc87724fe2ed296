/**
 * The app with the real SMPP pool (PoolRuntime) against the simulator: an upstream created through the
 * admin API binds, a PATCH rebinds it, a message sent through /v1 is delivered, a DELETE unbinds.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import { Dispatcher } from "../../../src/core/dispatch/dispatcher.js";
import type { MessageJson } from "../../../src/core/messages/serialize.js";
import { MessageService } from "../../../src/core/messages/service.js";
import { ReceiptProcessor } from "../../../src/core/receipts/processor.js";
import type { SessionInfo } from "../../../src/core/upstream-runtime.js";
import { PoolRuntime } from "../../../src/core/upstream-runtime-pools.js";
import { Simulator } from "../../../src/simulator/simulator.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.js";
import { until } from "./pipeline-harness.js";

let database: TestDatabase;
let sim: Simulator;
let runtime: PoolRuntime;
let dispatcher: Dispatcher;
let receipts: ReceiptProcessor;
let service: MessageService;
let app: App;
const adminToken = `adm_${randomBytes(16).toString("hex")}`;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = await Simulator.start({ accounts: [{ systemId: "bridge", password: "pw1" }], dlrDelayMs: 20 });
  runtime = new PoolRuntime({ pool: { session: { reconnect: { initialMs: 20, maxMs: 200 } } } });
  dispatcher = new Dispatcher({ db: database.db, runtime, instanceId: "app-test", pollIntervalMs: 200 });
  receipts = new ReceiptProcessor({ db: database.db, upstreams: runtime });
  runtime.setReceiptHandler(receipts);
  receipts.start();
  await dispatcher.start();
  service = new MessageService({ db: database.db, sink: dispatcher, instanceId: "app-test" });
  app = createApp({
    db: database.db,
    config: { adminToken, secretKey: randomBytes(32) },
    upstreamRuntime: runtime,
    messages: service,
    routesChanged: () => dispatcher.routes.invalidate(),
  });
});
afterAll(async () => {
  await service?.close();
  await dispatcher?.stop();
  await runtime?.close();
  await receipts?.stop();
  await sim?.close();
  await database?.close();
});

async function call(method: string, path: string, json?: unknown, token = adminToken): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  return app.request(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
}

async function sessions(id: string): Promise<SessionInfo[]> {
  const response = await call("GET", `/admin/upstreams/${id}/sessions`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: SessionInfo[] }).data;
}

describe("admin API with the real pool", () => {
  let upstreamId = "";

  test("POST /admin/upstreams starts a session that reaches bound", async () => {
    const response = await call("POST", "/admin/upstreams", {
      name: "simulator",
      host: "127.0.0.1",
      port: sim.port,
      system_id: "bridge",
      password: "pw1",
    });
    expect(response.status).toBe(201);
    upstreamId = ((await response.json()) as { id: string }).id;
    let last: SessionInfo[] = [];
    await until(async () => {
      last = await sessions(upstreamId);
      return last.some((s) => s.state === "bound");
    }, "a bound session");
    expect(last).toHaveLength(1);
    expect(last[0]?.bound_at).not.toBeNull();
    expect(sim.stats().bound).toBe(1);
  });

  test("PATCH rebinds with the new settings (new sessions replace the old ones)", async () => {
    const before = (await sessions(upstreamId)).map((s) => s.id);
    const response = await call("PATCH", `/admin/upstreams/${upstreamId}`, { sessions: 2, window: 5 });
    expect(response.status).toBe(200);
    let now: SessionInfo[] = [];
    await until(async () => {
      now = await sessions(upstreamId);
      return now.length === 2 && now.every((s) => s.state === "bound");
    }, "two bound sessions of the new settings");
    for (const s of now) expect(before).not.toContain(s.id);
    await until(() => sim.stats().bound === 2, "the simulator sees two binds");
  });

  test("a message sent through /v1 is delivered through the live upstream", async () => {
    const account = await call("POST", "/admin/accounts", { name: "Acme", default_from: "ACME" });
    const { id: accountId } = (await account.json()) as { id: string };
    const keyResponse = await call("POST", `/admin/accounts/${accountId}/api-keys`, {});
    const { key } = (await keyResponse.json()) as { key: string };
    const route = await call("POST", "/admin/routes", { prefix: "44", upstream_ids: [upstreamId] });
    expect(route.status).toBe(201);

    const sent = await call("POST", "/v1/messages", { to: "+44 7700 900123", text: "via the API" }, key);
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as MessageJson;
    let message: MessageJson | undefined;
    await until(
      async () => {
        const response = await call("GET", `/v1/messages/${id}`, undefined, key);
        message = (await response.json()) as MessageJson;
        return message.status === "delivered";
      },
      "delivered",
      20_000,
    );
    // Read again: the message and its parts are read in two queries that can straddle a commit.
    message = (await (await call("GET", `/v1/messages/${id}`, undefined, key)).json()) as MessageJson;
    expect(message?.upstream).toBe("simulator");
    expect(message?.parts[0]?.dlr_stat, JSON.stringify(message)).toBe("DELIVRD");
    const routeId = ((await route.json()) as { id: string }).id;
    expect((await call("DELETE", `/admin/routes/${routeId}`)).status).toBe(204);
  });

  test("a route created or deleted through the admin API routes the very next message; a deleted upstream stays in history", async () => {
    const other = await call("POST", "/admin/upstreams", {
      name: "simulator-b",
      host: "127.0.0.1",
      port: sim.port,
      system_id: "bridge",
      password: "pw1",
    });
    const { id: otherId } = (await other.json()) as { id: string };
    await until(() => runtime.isBound(otherId), "the second upstream bound");
    const account = await call("POST", "/admin/accounts", { name: "Routed", default_from: "ACME" });
    const { id: accountId } = (await account.json()) as { id: string };
    const { key } = (await (await call("POST", `/admin/accounts/${accountId}/api-keys`, {})).json()) as {
      key: string;
    };
    const read = async (id: string) =>
      (await (await call("GET", `/v1/messages/${id}`, undefined, key)).json()) as MessageJson;
    const sentIds: string[] = [];
    const upstreamOf = async (text: string): Promise<string | null> => {
      const sent = await call("POST", "/v1/messages", { to: "+447700900777", text }, key);
      expect(sent.status).toBe(202);
      const { id } = (await sent.json()) as MessageJson;
      sentIds.push(id);
      let message: MessageJson | undefined;
      await until(async () => {
        message = await read(id);
        return message.upstream !== null;
      }, "routed");
      return message?.upstream ?? null;
    };
    const shared = await call("POST", "/admin/routes", { prefix: "", upstream_ids: [upstreamId] });
    expect(await upstreamOf("by the catch-all")).toBe("simulator");
    // The dispatcher re-reads its table every 5 s on its own; these must not wait for that.
    const specific = await call("POST", "/admin/routes", { prefix: "4477", upstream_ids: [otherId] });
    expect(await upstreamOf("by the new longer prefix")).toBe("simulator-b");
    const specificId = ((await specific.json()) as { id: string }).id;
    expect((await call("DELETE", `/admin/routes/${specificId}`)).status).toBe(204);
    expect(await upstreamOf("by the catch-all again")).toBe("simulator");

    const sharedId = ((await shared.json()) as { id: string }).id;
    expect((await call("DELETE", `/admin/routes/${sharedId}`)).status).toBe(204);
    expect((await call("DELETE", `/admin/upstreams/${otherId}`)).status).toBe(204);

    // History keeps the deleted upstream's name, and the name is free for a new upstream.
    expect((await read(sentIds[1] ?? "")).upstream).toBe("simulator-b");
    expect((await call("GET", `/admin/upstreams/${otherId}`)).status).toBe(404);
    const listed = (await (await call("GET", "/admin/upstreams")).json()) as { data: { id: string }[] };
    expect(listed.data.map((u) => u.id)).not.toContain(otherId);
    const again = await call("POST", "/admin/upstreams", {
      name: "simulator-b",
      host: "127.0.0.1",
      port: sim.port,
      system_id: "bridge",
      password: "pw1",
      enabled: false,
    });
    expect(again.status).toBe(201);
    const refused = await call("POST", "/admin/routes", { prefix: "4478", upstream_ids: [otherId] });
    expect(refused.status).toBe(422);
    expect(
      (await call("DELETE", `/admin/upstreams/${((await again.json()) as { id: string }).id}`)).status,
    ).toBe(204);
  });

  test("DELETE unbinds and forgets the sessions", async () => {
    const response = await call("DELETE", `/admin/upstreams/${upstreamId}`);
    expect(response.status).toBe(204);
    expect(runtime.sessions(upstreamId)).toEqual([]);
    expect((await call("GET", `/admin/upstreams/${upstreamId}/sessions`)).status).toBe(404);
    await until(() => sim.stats().bound === 0, "no bind left at the simulator");
    expect(runtime.isBound(upstreamId)).toBe(false);
  });
});
