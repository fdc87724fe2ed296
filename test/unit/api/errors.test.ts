import { describe, expect, it } from "vitest";
import { ApiError, ERROR_CODES, statusOf, titleOf, typeOf } from "../../../src/api/errors.js";

describe("error codes", () => {
  it("map to the statuses of the contract", () => {
    const statuses = Object.fromEntries(ERROR_CODES.map((code) => [code, statusOf(code)]));
    expect(statuses).toEqual({
      MALFORMED_JSON: 400,
      UNAUTHORIZED: 401,
      NOT_FOUND: 404,
      METHOD_NOT_ALLOWED: 405,
      CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
      VALIDATION_FAILED: 422,
      RATE_LIMITED: 429,
      INTERNAL: 500,
      SERVICE_UNAVAILABLE: 503,
    });
  });

  it("each have their own status, title and type", () => {
    expect(new Set(ERROR_CODES.map(statusOf)).size).toBe(ERROR_CODES.length);
    expect(new Set(ERROR_CODES.map(titleOf)).size).toBe(ERROR_CODES.length);
    expect(typeOf("VALIDATION_FAILED")).toBe("urn:smpp-bridge:problem:validation-failed");
  });

  it("carry detail, field errors and Retry-After on the thrown value", () => {
    const error = new ApiError("RATE_LIMITED", "slow down", { retryAfter: 3 });
    expect(error.status).toBe(429);
    expect(error.detail).toBe("slow down");
    expect(error.retryAfter).toBe(3);
    expect(error).toBeInstanceOf(Error);
  });
});
