/**
 * The request-body middleware on a real Node HTTP server (@hono/node-server), where it reads the body
 * from Node's IncomingMessage itself: JSON arrives parsed, and a body over the limit is refused with
 * the caller's error whether its size is declared (Content-Length) or only seen while streaming
 * (chunked).
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestBody } from "../../../src/api/request-body.js";

const LIMIT = 1024;

describe("requestBody on @hono/node-server", () => {
  let server: ReturnType<typeof serve>;
  let port: number;

  beforeAll(async () => {
    const app = new Hono();
    app.use(
      requestBody(LIMIT, () => {
        throw new HTTPException(413, { message: "too large" });
      }),
    );
    app.post("/echo", async (c) => {
      // Read from IncomingMessage by the middleware, not through a WHATWG Request built later.
      const prefilled = "text" in c.req.bodyCache;
      return c.json({ prefilled, got: await c.req.json(), text: await c.req.text() });
    });
    app.delete("/nothing", async (c) => c.json({ text: await c.req.text() }));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Sends a POST; `chunks` are written one by one without Content-Length when `chunked`. */
  function send(
    path: string,
    chunks: string[],
    chunked: boolean,
    method = "POST",
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const total = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path,
          method,
          headers: {
            "content-type": "application/json",
            ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(total) }),
          },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      // The server may answer and close before a refused body is fully written.
      req.on("error", (error: NodeJS.ErrnoException) =>
        error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
      );
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  it("hands JSON to c.req.json() and the same text to c.req.text()", async () => {
    const payload = JSON.stringify({ to: "+447700900123", text: "héllo 👋" });
    const answer = await send("/echo", [payload], false);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ prefilled: true, got: JSON.parse(payload), text: payload });
  });

  it("reassembles a chunked body", async () => {
    const answer = await send("/echo", ['{"a":', '"b', '"}'], true);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).got).toEqual({ a: "b" });
  });

  it("reads an empty body as empty text", async () => {
    const answer = await send("/nothing", [], false, "DELETE");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ text: "" });
  });

  it("refuses a declared length over the limit before reading it", async () => {
    const answer = await send("/echo", ["x".repeat(LIMIT + 1)], false);
    expect(answer.status).toBe(413);
  });

  it("refuses a chunked body once it passes the limit", async () => {
    const answer = await send("/echo", ["x".repeat(600), "y".repeat(600)], true);
    expect(answer.status).toBe(413);
  });

  it("accepts a body of exactly the limit", async () => {
    const payload = JSON.stringify({ pad: "z".repeat(LIMIT - 10) });
    expect(Buffer.byteLength(payload)).toBe(LIMIT);
    const answer = await send("/echo", [payload], false);
    expect(answer.status).toBe(200);
  });
});
