/**
 * How a failed submit is handled, decided in one place from the error value. The SMPP status table
 * (src/smpp/status.ts) classifies command_status; this adds what the session layer reports (timeouts,
 * lost or missing sessions) and what the dispatcher does with each class:
 *
 * | failure | handling |
 * |---|---|
 * | ESME_RTHROTTLED, ESME_RMSGQFUL | sent again at once from memory (the session paused itself); still refused after the resends or the part timeout: retry with back-off. Never counted: an SMSC that throttles for hours delays messages, it does not fail them (their validity period still ends them) |
 * | other `transient` / `session` / `unknown` statuses | retry with back-off, counted |
 * | response timeout, session lost with the submit written | retry with back-off, counted (the SMSC may have it) |
 * | no bound session, no window room: nothing was written | retry with back-off, NOT counted |
 * | `permanent` status | the message fails: SMSC_REJECTED with the command_status |
 * | the PDU cannot be encoded (an address too long, …) | the message fails: INVALID_MESSAGE |
 *
 * The back-off itself is computed in SQL when the retry is written (results/sql.ts), so it uses the
 * database clock like the poller that picks the message up again.
 */
import { SmppEncodeError } from "../../smpp/errors.js";
import { SmppNetError } from "../../smpp/net/errors.js";
import { CommandStatus, SmppStatusError } from "../../smpp/status.js";

/** Why one part could not be submitted, and what to do about it. */
export type PartFailure =
  | {
      kind: "permanent";
      /** Stable error code for the message: SMSC_REJECTED or INVALID_MESSAGE. */
      code: string;
      /** command_status when the SMSC answered with one. */
      status: number | null;
      message: string;
    }
  | {
      kind: "retry";
      /** Whether the attempt counts against the message's budget (it may have reached the SMSC). */
      counted: boolean;
      status: number | null;
      message: string;
    };

const THROTTLE_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RTHROTTLED,
  CommandStatus.ESME_RMSGQFUL,
]);

/** True for the statuses a session answers by pausing: the submit is simply tried again from memory. */
export function isThrottle(error: unknown): boolean {
  return error instanceof SmppStatusError && THROTTLE_STATUSES.has(error.status);
}

/** Classifies whatever a pool submit rejected with. */
export function classifySubmitError(error: unknown): PartFailure {
  if (error instanceof SmppStatusError) {
    if (error.retry === "permanent") {
      return { kind: "permanent", code: "SMSC_REJECTED", status: error.status, message: error.message };
    }
    // A throttled submit was refused, not lost: the SMSC surely does not have it.
    return { kind: "retry", counted: !isThrottle(error), status: error.status, message: error.message };
  }
  if (error instanceof SmppNetError) {
    return { kind: "retry", counted: error.outcomeUnknown, status: null, message: error.message };
  }
  if (error instanceof SmppEncodeError) {
    return { kind: "permanent", code: "INVALID_MESSAGE", status: null, message: error.message };
  }
  // Anything else is a fault of ours; bounded by the attempt budget rather than failing the message.
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "retry", counted: true, status: null, message };
}
