/**
 * Upstream passwords stored under one SECRET_KEY and read under another (a key rotated by mistake, an
 * instance started with the wrong one): the failure names the upstream and the cause, and a PATCH that
 * cannot reach the live sessions is not stored either.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/api/app.js";
import type { App } from "../../../src/api/app-env.js";
import { UpstreamSync } from "../../../src/core/upstream-sync.js";
import { FakeUpstreamRuntime } from "../../helpers/fake-upstream-runtime.js";
import { type ApiHarness, problemOf, startApi, type UpstreamJson, upstreamBody } from "./harness.js";

let api: ApiHarness;
/** The same database and admin token, another SECRET_KEY. */
let otherKeyApp: App;
let otherRuntime: FakeUpstreamRuntime;

beforeAll(async () => {
  api = await startApi();
  otherRuntime = new FakeUpstreamRuntime();
  otherKeyApp = createApp({
    db: api.database.db,
    config: { adminToken: api.adminToken, secretKey: randomBytes(32) },
    upstreamRuntime: otherRuntime,
  });
});
afterAll(async () => {
  await api.close();
});

function patchWithOtherKey(id: string, json: unknown): Promise<Response> {
  return Promise.resolve(
    otherKeyApp.request(`/admin/upstreams/${id}`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${api.adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify(json),
    }),
  );
}

describe("an upstream password sealed under another SECRET_KEY", () => {
  it("start-up fails naming the upstream and SECRET_KEY", async () => {
    const made = await (
      await api.call("POST", "/admin/upstreams", { json: upstreamBody({ name: "sealed-elsewhere" }) })
    ).json<UpstreamJson>();
    const failure = new UpstreamSync(api.database.db, randomBytes(32), new FakeUpstreamRuntime(), {
      intervalMs: 0,
    }).start();
    await expect(failure).rejects.toThrow(made.id);
    await expect(failure).rejects.toThrow(/"sealed-elsewhere".*SECRET_KEY/);
  });

  it("a PATCH without a password is refused (409) and changes nothing", async () => {
    const made = await (
      await api.call("POST", "/admin/upstreams", { json: upstreamBody({ port: 2775 }) })
    ).json<UpstreamJson>();
    const response = await patchWithOtherKey(made.id, { port: 2999 });
    expect(response.status).toBe(409);
    const problem = await problemOf(response);
    expect(problem.detail).toContain(made.id);
    expect(problem.detail).toContain("SECRET_KEY");
    expect(problem.detail).toContain("password");
    const after = await (await api.call("GET", `/admin/upstreams/${made.id}`)).json<UpstreamJson>();
    expect(after.port).toBe(2775);
    expect(after.updated_at).toBe(made.updated_at);
    expect(otherRuntime.configs.has(made.id)).toBe(false);
  });

  it("a PATCH with a new password stores it under the current key and rebinds", async () => {
    const made = await (
      await api.call("POST", "/admin/upstreams", { json: upstreamBody() })
    ).json<UpstreamJson>();
    const response = await patchWithOtherKey(made.id, { password: "fresh1", port: 2999 });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain("fresh1");
    expect(otherRuntime.configs.get(made.id)).toMatchObject({ password: "fresh1", port: 2999 });
  });
});
