import type { messageParts, messages } from "../../db/schema.js";

export type MessageRow = typeof messages.$inferSelect;
export type MessagePartRow = typeof messageParts.$inferSelect;

/** A committed message with its parts, exactly as the rows now stand in the database. */
export interface AcceptedMessage {
  message: MessageRow;
  /** Ordered by `index` (1-based), status `pending`. */
  parts: MessagePartRow[];
}

/**
 * Where the accept pipeline hands just-committed messages to the dispatcher of this instance (the
 * dispatcher implements it). Contract:
 * - `enqueue` is called once per group commit, AFTER the COMMIT, with only the immediate messages:
 *   status `queued`, `lease_owner` = this instance's id, `lease_expires_at` = acceptance + the lease and
 *   `next_attempt_at` = the same (not due before the lease ends); scheduled messages (`send_at` in the future) are not
 *   handed over: they wait unleased for the poller.
 * - It must not block or throw; it is called on the request path. Whatever it drops is not lost: the
 *   lease runs out and the poller reclaims the message.
 * - A message may be canceled (`DELETE /v1/messages/{id}`) at any time while `queued`: claim it with a
 *   conditional UPDATE (`… WHERE status = 'queued'`) before submitting, never by assuming.
 */
export interface MessageSink {
  enqueue(items: AcceptedMessage[]): void;
}
