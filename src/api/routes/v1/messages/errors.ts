import {
  AcceptUnavailableError,
  MessageValidationError,
  RateLimitedError,
} from "../../../../core/messages/errors.js";
import { ApiError } from "../../../errors.js";
import { problemResponses } from "../../../problem.js";

/** The messages service's own failures in the API's error model; anything else is passed on. */
export function toMessageApiError(error: unknown): unknown {
  if (error instanceof MessageValidationError) {
    return new ApiError("VALIDATION_FAILED", "The request body is invalid.", { errors: error.issues });
  }
  if (error instanceof RateLimitedError) {
    return new ApiError("RATE_LIMITED", `${error.message}; retry after the Retry-After seconds.`, {
      retryAfter: error.retryAfterSeconds,
    });
  }
  if (error instanceof AcceptUnavailableError) {
    return new ApiError("SERVICE_UNAVAILABLE", error.message, {
      retryAfter: error.retryAfterSeconds,
      cause: error,
    });
  }
  return error;
}

/**
 * Marks a response answered from an earlier request with the same Idempotency-Key (the body and status
 * are the first response's), so a client can tell a repeat from a fresh acceptance.
 */
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** The failures of sending, one message or a batch (the same pipeline behind both routes). */
export const SEND_PROBLEMS = problemResponses(
  "MALFORMED_JSON",
  "UNAUTHORIZED",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "VALIDATION_FAILED",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
);
