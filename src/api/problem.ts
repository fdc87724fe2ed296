import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodError } from "zod";
import {
  type ApiError,
  ERROR_CODES,
  type ErrorCode,
  type FieldError,
  statusOf,
  titleOf,
  typeOf,
} from "./errors.js";

/** RFC 9457 problem details, with the request id so a client can quote it to an operator. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:smpp-bridge:problem:validation-failed" }),
    title: z.string().openapi({ example: "Validation Failed" }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: "The request body is invalid." }),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ description: "Dot-joined path of the field", example: "messages.7.to" }),
          message: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "Field-level failures (422 only)" }),
    request_id: z.string().openapi({ description: "Also sent as the X-Request-Id header" }),
  })
  .openapi("Problem");

export type Problem = z.infer<typeof ProblemSchema>;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * OpenAPI `responses` entries for the failures a route can give, each with the problem schema.
 * Every route lists its own; `INTERNAL` is added to all of them.
 */
export function problemResponses<const C extends readonly ErrorCode[]>(...codes: C) {
  const responses: Record<
    string,
    { description: string; content: Record<string, { schema: typeof ProblemSchema }> }
  > = {};
  const all: ErrorCode[] = [...codes, "INTERNAL"];
  for (const code of ERROR_CODES) {
    if (!all.includes(code)) continue;
    responses[String(statusOf(code))] = {
      description: describe(code),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return responses;
}

function describe(code: ErrorCode): string {
  switch (code) {
    case "MALFORMED_JSON":
      return "The body is not valid JSON";
    case "UNAUTHORIZED":
      return "Missing, unknown or revoked credentials";
    case "NOT_FOUND":
      return "No such resource (or it belongs to another account)";
    case "METHOD_NOT_ALLOWED":
      return "The resource does not accept this method";
    case "CONFLICT":
      return "The request conflicts with the current state";
    case "PAYLOAD_TOO_LARGE":
      return "The body exceeds 2 MiB (16 MiB for a batch of messages)";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "The body is not application/json";
    case "VALIDATION_FAILED":
      return "A field is missing or invalid; see errors[]";
    case "RATE_LIMITED":
      return "Too many requests; see Retry-After";
    case "INTERNAL":
      return "Unexpected failure; quote the request_id";
    case "SERVICE_UNAVAILABLE":
      return "A dependency (the database) is down";
  }
}

export function problemBody(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): Problem {
  return {
    type: typeOf(code),
    title: titleOf(code),
    status: statusOf(code),
    detail,
    ...(errors !== undefined && { errors }),
    request_id: requestId,
  };
}

/** The problem+json response of an {@link ApiError}, with its Retry-After and extra headers. */
export function problemResponse(c: Context, error: ApiError): Response {
  const requestId = String(c.get("requestId") ?? "");
  const headers: Record<string, string> = { ...error.headers, "Content-Type": PROBLEM_CONTENT_TYPE };
  if (error.retryAfter !== undefined)
    headers["Retry-After"] = String(Math.max(0, Math.ceil(error.retryAfter)));
  const body = problemBody(error.code, error.detail, requestId, error.errors);
  return c.body(JSON.stringify(body), error.status, headers);
}

/** Zod issues as `{ path, message }` with dot-joined paths; one entry per unknown key. */
export function fieldErrors(error: ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  // Zod 4 keeps checking a value of the wrong type (a string's length against an array's max): once a
  // path has the wrong type, its other issues only confuse.
  const wrongType = new Set<string>();
  for (const issue of error.issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: joinPath([...base, key]), message: "Unknown field" });
      continue;
    }
    const path = joinPath(base);
    if (wrongType.has(path)) continue;
    if (issue.code === "invalid_type") wrongType.add(path);
    out.push({ path, message: issue.message });
  }
  return out;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join(".");
}
