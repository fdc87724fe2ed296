/**
 * The API's one error model: a closed set of codes, each with exactly one HTTP status and title.
 * Handlers and middleware throw {@link ApiError}; `onError` renders it as problem+json (problem.ts).
 */

export const ERROR_CODES = [
  "MALFORMED_JSON",
  "UNAUTHORIZED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "VALIDATION_FAILED",
  "RATE_LIMITED",
  "INTERNAL",
  "SERVICE_UNAVAILABLE",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorStatus = 400 | 401 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** One failed field of a 422: `path` is dot-joined (`messages.7.to`), empty for the whole body. */
export interface FieldError {
  path: string;
  message: string;
}

export function statusOf(code: ErrorCode): ErrorStatus {
  switch (code) {
    case "MALFORMED_JSON":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "NOT_FOUND":
      return 404;
    case "METHOD_NOT_ALLOWED":
      return 405;
    case "CONFLICT":
      return 409;
    case "PAYLOAD_TOO_LARGE":
      return 413;
    case "UNSUPPORTED_MEDIA_TYPE":
      return 415;
    case "VALIDATION_FAILED":
      return 422;
    case "RATE_LIMITED":
      return 429;
    case "INTERNAL":
      return 500;
    case "SERVICE_UNAVAILABLE":
      return 503;
    default:
      return unreachable(code);
  }
}

export function titleOf(code: ErrorCode): string {
  switch (code) {
    case "MALFORMED_JSON":
      return "Malformed JSON";
    case "UNAUTHORIZED":
      return "Unauthorized";
    case "NOT_FOUND":
      return "Not Found";
    case "METHOD_NOT_ALLOWED":
      return "Method Not Allowed";
    case "CONFLICT":
      return "Conflict";
    case "PAYLOAD_TOO_LARGE":
      return "Payload Too Large";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "Unsupported Media Type";
    case "VALIDATION_FAILED":
      return "Validation Failed";
    case "RATE_LIMITED":
      return "Too Many Requests";
    case "INTERNAL":
      return "Internal Server Error";
    case "SERVICE_UNAVAILABLE":
      return "Service Unavailable";
    default:
      return unreachable(code);
  }
}

/** The problem `type` URI of a code: stable, so clients may switch on it. */
export function typeOf(code: ErrorCode): string {
  return `urn:smpp-bridge:problem:${code.toLowerCase().replaceAll("_", "-")}`;
}

export interface ApiErrorOptions {
  /** Field-level failures of a 422. */
  errors?: FieldError[];
  /** Seconds the client should wait, sent as `Retry-After` (429 and 503). */
  retryAfter?: number;
  /** Extra response headers, e.g. `Allow` (405) or `WWW-Authenticate` (401). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The only error handlers throw: a code from the closed set and a human-readable detail. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly retryAfter: number | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail: string, options: ApiErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
  }

  get status(): ErrorStatus {
    return statusOf(this.code);
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled error code ${String(value)}`);
}
