import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, MAX_BODY_BYTES } from "../../../src/api/app.js";
import { buildOpenApiDocument } from "../../../src/api/openapi.js";
import { openDatabase } from "../../../src/db/client.js";
import { FakeUpstreamRuntime } from "../../helpers/fake-upstream-runtime.js";
import { type ApiHarness, problemOf, startApi, upstreamBody } from "./harness.js";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

describe("problem+json for everything that fails", () => {
  it("an unknown route is a 404 problem with the request id", async () => {
    const response = await api.call("GET", "/nope", { token: null });
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    expect(problem).toEqual({
      type: "urn:smpp-bridge:problem:not-found",
      title: "Not Found",
      status: 404,
      detail: expect.stringContaining("/nope"),
      request_id: response.headers.get("x-request-id"),
    });
    expect(problem.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("an unknown method on a known path is a 405 problem with Allow", async () => {
    const response = await api.call("PUT", "/admin/accounts");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "POST"]);
    expect((await problemOf(response)).status).toBe(405);
  });

  it("malformed JSON is a 400 problem", async () => {
    const response = await api.call("POST", "/admin/accounts", {
      body: '{"name": "x",',
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).type).toBe("urn:smpp-bridge:problem:malformed-json");
  });

  it("a body that is not JSON is a 415 problem, with or without a content type", async () => {
    const texts = await api.call("POST", "/admin/accounts", {
      body: "name=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(texts.status).toBe(415);
    expect((await problemOf(texts)).status).toBe(415);
    const bare = await api.call("POST", "/admin/accounts", { body: '{"name":"x"}' });
    expect(bare.status).toBe(415);
  });

  it("a body over 2 MiB is a 413 problem, whether it declares its length or not", async () => {
    const big = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) });
    const declared = await api.call("POST", "/admin/accounts", {
      json: undefined,
      body: big,
      headers: { "Content-Type": "application/json", "Content-Length": String(big.length) },
    });
    expect(declared.status).toBe(413);
    expect((await problemOf(declared)).status).toBe(413);

    const chunks = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunks.length; i += 65536) controller.enqueue(chunks.subarray(i, i + 65536));
        controller.close();
      },
    });
    const streamed = await api.app.request("/admin/accounts", {
      method: "POST",
      headers: { Authorization: `Bearer ${api.adminToken}`, "Content-Type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("a validation failure is a 422 problem listing each field", async () => {
    const response = await api.call("POST", "/admin/accounts", {
      json: { name: "", max_tps: "fast", extra: 1 },
    });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.title).toBe("Validation Failed");
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["extra", "max_tps", "name"]);
    for (const error of problem.errors ?? []) expect(error.message.length).toBeGreaterThan(0);
  });

  it("an unexpected exception is a 500 problem that leaks nothing and is logged with the request id", async () => {
    const runtime = new FakeUpstreamRuntime();
    runtime.apply = async () => {
      throw new Error("pool exploded at 0xdeadbeef");
    };
    const lines: string[] = [];
    const app = createApp({
      db: api.database.db,
      config: { adminToken: "admin-token-for-500", secretKey: api.secretKey },
      upstreamRuntime: runtime,
      logger: pino({ level: "info" }, { write: (line: string) => lines.push(line) }),
    });
    const response = await app.request("/admin/upstreams", {
      method: "POST",
      headers: {
        Authorization: "Bearer admin-token-for-500",
        "Content-Type": "application/json",
        "X-Request-Id": "req-500-test",
      },
      body: JSON.stringify(upstreamBody()),
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("exploded");
    expect(text).not.toContain("deadbeef");
    expect(JSON.parse(text)).toMatchObject({ status: 500, request_id: "req-500-test" });
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.request_id === "req-500-test");
    expect(logged?.err?.message).toContain("exploded");
  });
});

describe("request id", () => {
  it("echoes a sane X-Request-Id and replaces an unsafe one", async () => {
    const kept = await api.call("GET", "/healthz", { headers: { "X-Request-Id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const replaced = await api.call("GET", "/nope", { headers: { "X-Request-Id": "bad id\u0001" } });
    const id = replaced.headers.get("x-request-id");
    expect(id).not.toBe("bad id\u0001");
    expect((await problemOf(replaced)).request_id).toBe(id);
  });
});

describe("operations", () => {
  it("GET /healthz answers ok without credentials", async () => {
    const response = await api.call("GET", "/healthz", { token: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz is 200 while the database answers and a 503 problem when it does not", async () => {
    expect((await api.call("GET", "/readyz", { token: null })).status).toBe(200);

    // A real driver aimed at a port nothing listens on: every query fails to connect.
    const down = await openDatabase({ databaseUrl: "postgres://nobody@127.0.0.1:1/none" });
    const app = createApp({
      db: down.db,
      config: { adminToken: "t", secretKey: api.secretKey },
      upstreamRuntime: new FakeUpstreamRuntime(),
      logger: pino({ level: "silent" }),
    });
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await problemOf(response)).type).toBe("urn:smpp-bridge:problem:service-unavailable");

    // Any route that needs the database says the same, not a 500.
    const list = await app.request("/admin/accounts", { headers: { Authorization: "Bearer t" } });
    expect(list.status).toBe(503);
    expect(list.headers.get("retry-after")).toBe("5");
    await down.close();
  });

  it("GET /openapi.json serves the generated 3.1 document", async () => {
    const response = await api.call("GET", "/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const served = await response.json<{ openapi: string }>();
    expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(served.openapi).toBe("3.1.0");
  });

  it("GET /docs is an interactive reference served from the installed package, no CDN", async () => {
    const page = await api.call("GET", "/docs", { token: null });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui">');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source.startsWith("/docs/assets/"), source).toBe(true);
      const asset = await api.call("GET", source, { token: null });
      expect(asset.status, source).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, source).toBeGreaterThan(0);
    }
    const init = await (await api.call("GET", "/docs/assets/init.js", { token: null })).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).not.toMatch(/https?:\/\//);
    expect((await api.call("GET", "/docs/assets/..%2Fpackage.json", { token: null })).status).toBe(404);
  });
});
