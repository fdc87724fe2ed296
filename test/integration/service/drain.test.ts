/**
 * Graceful stop at the HTTP edge: while the service drains, a request already in progress finishes
 * and is answered normally, a new one gets 503 problem+json (with Retry-After and its request id), and
 * once stopped nothing listens any more.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestService, type TestService, waitFor } from "./harness.js";

describe("draining", () => {
  let t: TestService;

  beforeAll(async () => {
    t = await startTestService();
  });

  afterAll(async () => {
    await t?.close();
  });

  it("finishes the request in progress, refuses new ones with 503, then stops listening", async () => {
    const url = new URL(t.service.url);
    const body = JSON.stringify({ name: "drained" });
    // Headers now, body later: the request is in progress (its handler awaits the body) until we finish it.
    const socket: Socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    let raw = "";
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    socket.write(
      `POST /admin/accounts HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${t.config.adminToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 3)}`,
    );
    await waitFor(() => t.service.http.inFlight === 1, "the request to be in progress");

    const stopping = t.service.stop("drain test");
    expect(t.service.http.draining).toBe(true);

    const refused = await call(t.service.url, "GET", "/healthz", null, undefined, {
      "X-Request-Id": "late-1",
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.body).toMatchObject({ status: 503, title: "Service Unavailable", request_id: "late-1" });

    socket.write(body.slice(3));
    await waitFor(() => raw.includes("\r\n\r\n") && raw.includes('"drained"'), "the in-progress response");
    expect(raw.startsWith("HTTP/1.1 201")).toBe(true);

    await stopping;
    socket.destroy();
    await expect(fetch(`${t.service.url}/healthz`)).rejects.toThrow();
    expect(t.logs().some((l) => l.msg === "request" && l.status === 503 && l.request_id === "late-1")).toBe(
      true,
    );
  });
});
