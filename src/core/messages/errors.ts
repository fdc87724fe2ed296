/**
 * Failures of the messages service that the API turns into specific responses. Not-found and
 * conflicts use the shared NotFoundError / ConflictError (service-errors.ts).
 */

/** One invalid field: `path` is dot-joined (`messages.7.to`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The request is well-formed JSON of the right shape but its content is not acceptable (422). */
export class MessageValidationError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
    this.name = "MessageValidationError";
  }
}

/** The account's max_tps is used up (429). */
export class RateLimitedError extends Error {
  constructor(
    /** Whole seconds until the request would be admitted. */
    readonly retryAfterSeconds: number,
    readonly maxTps: number,
  ) {
    super(`Over the account's limit of ${maxTps} messages per second`);
    this.name = "RateLimitedError";
  }
}

/**
 * Nothing was stored: the database failed the group commit, or too much is already waiting for it
 * (503). The client may retry the same request (with the same Idempotency-Key) safely.
 */
export class AcceptUnavailableError extends Error {
  constructor(
    detail: string,
    /** Seconds the client should wait before retrying. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = "AcceptUnavailableError";
  }
}
