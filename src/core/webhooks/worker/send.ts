/**
 * One HTTP attempt: POST the body, read the first bytes of the answer, and say what happened in words a
 * customer can act on. Never throws. Redirects are not followed (undici's `request` does not), and the
 * whole attempt — connect, headers, body — is bounded by one timeout.
 */
import type { Dispatcher } from "undici";
import { parseRetryAfter } from "./schedule.js";

export interface SendRequest {
  /** Already parsed (and checked) by the caller. */
  url: URL;
  body: string;
  headers: Record<string, string>;
  /** Whole-attempt limit in milliseconds. */
  timeoutMs: number;
  /** Bytes of the response body kept for the attempt log. */
  responseBodyLimit: number;
}

export interface SendOutcome {
  /** Null when no HTTP answer came (timeout, refused, blocked, DNS…). */
  statusCode: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  /** The receiver's `Retry-After`, in milliseconds; null when absent or unusable. */
  retryAfterMs: number | null;
}

export async function postWebhook(dispatcher: Dispatcher, request: SendRequest): Promise<SendOutcome> {
  const started = performance.now();
  const signal = AbortSignal.timeout(request.timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const url = request.url;
    const response = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: "POST",
      headers: request.headers,
      body: request.body,
      signal,
    });
    const responseBody = await readPrefix(response.body, request.responseBodyLimit);
    const retryAfter = response.headers["retry-after"];
    const statusCode = response.statusCode;
    const ok = statusCode >= 200 && statusCode < 300;
    return {
      statusCode,
      responseBody,
      durationMs: elapsed(),
      error: ok ? null : `HTTP ${statusCode}`,
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
    };
  } catch (error) {
    return {
      statusCode: null,
      responseBody: null,
      durationMs: elapsed(),
      error: signal.aborted ? `timeout after ${request.timeoutMs} ms` : describeError(error),
      retryAfterMs: null,
    };
  }
}

/** Up to `limit` bytes of the body as text; the rest is discarded (the connection closed if need be). */
async function readPrefix(body: Dispatcher.ResponseData["body"], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

const ERROR_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed by the receiver",
  UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout waiting for response headers",
  UND_ERR_BODY_TIMEOUT: "timeout reading the response body",
};

function describeError(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code: unknown = Reflect.get(e, "code");
    if (code === "EWEBHOOKBLOCKED") return e.message;
    if (typeof code === "string") return ERROR_WORDS[code] ?? `${code}: ${e.message}`;
    e = e.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
