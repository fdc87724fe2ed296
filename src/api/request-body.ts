import type { IncomingMessage } from "node:http";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * Reads request bodies up to `maxBytes`, calling `tooLarge` (which throws) beyond that.
 *
 * On @hono/node-server the body is read straight from Node's IncomingMessage into Hono's body cache
 * as text, so `c.req.json()` parses it without ever building a WHATWG Request: undici's Request, a
 * web stream over the socket and an AbortController per request were a tenth of the accept path's
 * CPU. Hono's `bodyLimit` reads `c.req.raw.body`, which builds exactly that, so it is kept only for
 * other runtimes (tests calling `app.request`).
 */
export function requestBody(maxBytes: number, tooLarge: () => never): MiddlewareHandler {
  const portable = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (incoming === undefined) return portable(c, next);
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const declared = incoming.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBytes) tooLarge();
    const text = await readText(incoming, maxBytes);
    if (text === null) tooLarge();
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
    await next();
  };
}

/** The body as UTF-8 text, or null once it passes `maxBytes` (the rest is drained, not kept). */
function readText(incoming: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      incoming.off("data", onData);
      incoming.resume();
      resolve(null);
    };
    incoming.on("data", onData);
    incoming.once("end", () =>
      resolve(chunks.length === 1 ? String(chunks[0]) : Buffer.concat(chunks).toString("utf8")),
    );
    incoming.once("error", reject);
  });
}
