import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postWebhook, type SendRequest } from "../../../src/core/webhooks/worker/send.js";

// postWebhook against a real node:http server on 127.0.0.1, one behaviour per path.
let server: Server;
let base: string;
const agent = new Agent({ connections: 4, pipelining: 1 });
const held = new Set<ServerResponse>();
const seen: { path: string; body: string; signature: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      seen.push({
        path,
        body: Buffer.concat(chunks).toString(),
        signature: req.headers["webhook-signature"] as string,
      });
      if (path === "/ok") res.writeHead(204).end();
      else if (path === "/big") res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(100_000));
      else if (path === "/utf8")
        // 63 ASCII bytes, then "é" (2 bytes) across the 64-byte limit, then more.
        res
          .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
          .end(`${"x".repeat(63)}é and more`);
      else if (path === "/busy") res.writeHead(503, { "retry-after": "7" }).end("busy, come back later");
      else if (path === "/moved") res.writeHead(302, { location: `${base}/ok` }).end();
      else if (path === "/hang") held.add(res);
      else if (path === "/slow-body") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial");
        held.add(res);
      } else res.writeHead(404).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const res of held) res.destroy();
  held.clear();
});

afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  server.close();
});

function attempt(path: string, overrides: Partial<SendRequest> = {}): ReturnType<typeof postWebhook> {
  return postWebhook(agent, {
    url: new URL(`${base}${path}`),
    body: JSON.stringify({ type: "message.delivered", path }),
    headers: { "content-type": "application/json", "webhook-signature": "v1,abc=" },
    timeoutMs: 2_000,
    responseBodyLimit: 64,
    ...overrides,
  });
}

describe("postWebhook", () => {
  it("posts the body and headers and reports a 2xx as success", async () => {
    const outcome = await attempt("/ok");
    expect(outcome).toMatchObject({ statusCode: 204, responseBody: "", error: null, retryAfterMs: null });
    expect(seen.find((r) => r.path === "/ok")).toEqual({
      path: "/ok",
      body: JSON.stringify({ type: "message.delivered", path: "/ok" }),
      signature: "v1,abc=",
    });
  });

  it("keeps only the first bytes of a long answer, and the connection stays usable", async () => {
    const outcome = await attempt("/big");
    expect(outcome.statusCode).toBe(200);
    expect(outcome.responseBody).toBe("x".repeat(64));
    expect((await attempt("/ok")).statusCode).toBe(204);
  });

  it("cuts the kept answer at a character boundary, never inside a UTF-8 sequence", async () => {
    const outcome = await attempt("/utf8");
    expect(outcome.statusCode).toBe(500);
    expect(outcome.responseBody).toBe("x".repeat(63));
  });

  it("reports a non-2xx with its body and Retry-After", async () => {
    const outcome = await attempt("/busy");
    expect(outcome).toMatchObject({
      statusCode: 503,
      responseBody: "busy, come back later",
      error: "HTTP 503",
      retryAfterMs: 7_000,
    });
  });

  it("does not follow redirects", async () => {
    const before = seen.filter((r) => r.path === "/ok").length;
    const outcome = await attempt("/moved");
    expect(outcome).toMatchObject({ statusCode: 302, error: "HTTP 302" });
    expect(seen.filter((r) => r.path === "/ok")).toHaveLength(before);
  });

  it("bounds the whole attempt: no answer at all", async () => {
    const outcome = await attempt("/hang", { timeoutMs: 300 });
    expect(outcome).toMatchObject({ statusCode: null, responseBody: null, error: "timeout after 300 ms" });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
  });

  it("bounds the whole attempt: headers come, the body stalls", async () => {
    const outcome = await attempt("/slow-body", { timeoutMs: 300 });
    expect(outcome).toMatchObject({ statusCode: null, error: "timeout after 300 ms" });
  });

  it("bounds the time spent waiting for a free connection", async () => {
    const single = new Agent({ connections: 1, pipelining: 1 });
    try {
      const send = (path: string, timeoutMs: number) =>
        postWebhook(single, {
          url: new URL(`${base}${path}`),
          body: "{}",
          headers: {},
          timeoutMs,
          responseBodyLimit: 64,
        });
      const okBefore = seen.filter((r) => r.path === "/ok").length;
      const hanging = send("/hang", 1_000);
      // Queued behind the hanging request on the only connection: times out without being sent.
      const queued = await send("/ok", 200);
      expect(queued).toMatchObject({ statusCode: null, error: "timeout after 200 ms" });
      expect((await hanging).error).toBe("timeout after 1000 ms");
      // Once the connection was free, undici started the queued request; it was dropped unsent.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.filter((r) => r.path === "/ok")).toHaveLength(okBefore);
    } finally {
      await single.destroy();
    }
  });

  it("names a refused connection in words", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const outcome = await postWebhook(agent, {
      url: new URL(`http://127.0.0.1:${port}/x`),
      body: "{}",
      headers: {},
      timeoutMs: 2_000,
      responseBodyLimit: 64,
    });
    expect(outcome).toMatchObject({ statusCode: null, responseBody: null, error: "connection refused" });
  });
});
