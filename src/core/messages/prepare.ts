import { newId } from "../ids.js";
import type { AcceptedMessage, MessagePartRow, MessageRow } from "./sink.js";
import type { ValidMessage } from "./types.js";

/** How the rows of an accepted message are claimed for this instance's dispatcher. */
export interface LeaseOptions {
  /** Id of this instance, written to `lease_owner` of immediate messages. */
  instanceId: string;
  /** How long the claim holds before another instance's poller may take the message, in ms. */
  leaseMs: number;
}

/**
 * The message and part rows a valid request becomes, complete (every column as the database will hold
 * it) so the 202 body, the idempotency record and the dispatcher hand-off need no read back.
 *
 * - `send_at` later than `now`: `scheduled`, `next_attempt_at` = send_at, no lease (the poller's work).
 * - otherwise `queued`, leased to `lease.instanceId` when a dispatcher on this instance takes it from
 *   memory, with `next_attempt_at` = the lease's end: the poller's due scan (ordered by
 *   next_attempt_at) then never walks over a backlog this instance holds, however large. Without a
 *   dispatcher (`lease` null): `next_attempt_at` = now, and the poller takes it at once.
 * - `expires_at` = validity period after the later of acceptance and send_at (validity counts from
 *   when sending may start).
 * - `concat_ref` only for multi-part messages.
 */
export function prepareMessage(
  valid: ValidMessage,
  accountId: string,
  now: Date,
  concatRef: number,
  lease: LeaseOptions | null,
): AcceptedMessage {
  const scheduled = valid.sendAt !== null && valid.sendAt.getTime() > now.getTime();
  const leased = !scheduled && lease !== null;
  const start = scheduled && valid.sendAt !== null ? valid.sendAt : now;
  const leaseExpiresAt = leased && lease !== null ? new Date(now.getTime() + lease.leaseMs) : null;
  const id = newId("msg", now.getTime());
  const segments = valid.partTexts.length;
  const message: MessageRow = {
    id,
    accountId,
    status: scheduled ? "scheduled" : "queued",
    to: valid.to,
    from: valid.from,
    text: valid.text,
    encoding: valid.encoding,
    dataCoding: valid.dataCoding,
    segments,
    concatRef: segments > 1 ? concatRef : null,
    clientReference: valid.clientReference,
    validityPeriod: valid.validityPeriod,
    sendAt: valid.sendAt,
    deliveryReport: valid.deliveryReport,
    statusCallbackUrl: valid.statusCallbackUrl,
    upstreamId: null,
    errorCode: null,
    errorMessage: null,
    errorSmppCommandStatus: null,
    errorDlrStat: null,
    errorDlrErr: null,
    attempts: 0,
    nextAttemptAt: leaseExpiresAt ?? start,
    leaseOwner: leased && lease !== null ? lease.instanceId : null,
    leaseExpiresAt,
    createdAt: now,
    updatedAt: now,
    submittedAt: null,
    doneAt: null,
    expiresAt: valid.validityPeriod === null ? null : new Date(start.getTime() + valid.validityPeriod * 1000),
  };
  const parts = valid.partTexts.map((text, i): MessagePartRow => pendingPart(id, i + 1, text));
  return { message, parts };
}

function pendingPart(messageId: string, index: number, text: string): MessagePartRow {
  return {
    messageId,
    index,
    text,
    shortMessage: null,
    esmClass: null,
    dataCoding: null,
    status: "pending",
    upstreamId: null,
    smscMessageId: null,
    smscIdKey: null,
    commandStatus: null,
    attempts: 0,
    submittedAt: null,
    sentAt: null,
    doneAt: null,
    dlrStat: null,
    dlrErr: null,
  };
}

/**
 * Concatenation references, one per multi-part message, stepping through 16 bits from a random start:
 * consecutive long messages to the same handset never share one (an 8-bit UDH uses the low byte, so
 * 256 other long messages must pass before a reference repeats).
 */
export class ConcatRefs {
  private next: number;

  constructor(start: number = Math.floor(Math.random() * 0x10000)) {
    this.next = start & 0xffff;
  }

  take(): number {
    const ref = this.next;
    this.next = (this.next + 1) & 0xffff;
    return ref;
  }
}
