/**
 * Errors of the session layer (sockets, window, pool). Every one of them is retryable: the request can be
 * sent again later or on another session. `outcomeUnknown` tells the caller whether the request may
 * already have reached the SMSC (it was written and no response came back), in which case a retry can
 * produce a duplicate (NOTES §2: "no response within the timeout is unknown outcome").
 */
export abstract class SmppNetError extends Error {
  /** Always true: the request may succeed if tried again. */
  readonly retryable = true as const;
  /** True when the request was written to the socket and its fate is unknown. */
  readonly outcomeUnknown: boolean;

  constructor(message: string, outcomeUnknown: boolean) {
    super(message);
    this.outcomeUnknown = outcomeUnknown;
  }
}

/** No response PDU arrived within the response timeout. The SMSC may have accepted the request. */
export class ResponseTimeoutError extends SmppNetError {
  override readonly name = "ResponseTimeoutError";
  /** The request that went unanswered, e.g. `submit_sm`. */
  readonly command: string;
  readonly sequenceNumber: number;

  constructor(command: string, sequenceNumber: number, timeoutMs: number) {
    super(`no ${command}_resp for sequence ${sequenceNumber} within ${timeoutMs} ms`, true);
    this.command = command;
    this.sequenceNumber = sequenceNumber;
  }
}

/** The window stayed full for as long as the caller was willing to wait. Nothing was sent. */
export class WindowWaitTimeoutError extends SmppNetError {
  override readonly name = "WindowWaitTimeoutError";

  constructor(waitMs: number) {
    super(`no room in the session window within ${waitMs} ms`, false);
  }
}

/**
 * The session (or its connection) closed, was lost, or is not bound. `outcomeUnknown` is true for
 * requests that were already written when it happened.
 */
export class SessionClosedError extends SmppNetError {
  override readonly name = "SessionClosedError";

  constructor(message: string, outcomeUnknown: boolean) {
    super(message, outcomeUnknown);
  }
}

/** The caller gave the request up (its AbortSignal fired) before it was written. Nothing was sent. */
export class RequestAbortedError extends SmppNetError {
  override readonly name = "RequestAbortedError";

  constructor(message: string) {
    super(message, false);
  }
}

/** The pool had no bound session (or no token of its rate limit) for as long as the caller could wait. */
export class NoSessionError extends SmppNetError {
  override readonly name = "NoSessionError";

  constructor(message: string) {
    super(message, false);
  }
}

/** An error value from anything a request can fail with, for callers that only ask "try again?". */
export function isRetryable(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { retryable?: unknown }).retryable === true;
}
