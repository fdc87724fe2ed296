/** Complete message and part rows for the pure dispatch tests, as the accept side stores them. */
import type { MessagePartRow, MessageRow } from "../../../../src/core/messages/sink.js";
import type { UpstreamConfig } from "../../../../src/core/upstream-runtime.js";

export const NOW = new Date("2026-01-01T00:00:00Z");

export function messageRow(overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    id: "msg_1",
    accountId: "acc_1",
    status: "sending",
    to: "+447700900123",
    from: "ACME",
    text: "hello",
    encoding: "gsm7",
    dataCoding: 0,
    segments: 1,
    concatRef: null,
    clientReference: null,
    validityPeriod: null,
    sendAt: null,
    deliveryReport: true,
    statusCallbackUrl: null,
    upstreamId: null,
    errorCode: null,
    errorMessage: null,
    errorSmppCommandStatus: null,
    errorDlrStat: null,
    errorDlrErr: null,
    attempts: 1,
    nextAttemptAt: null,
    leaseOwner: "i",
    leaseExpiresAt: NOW,
    createdAt: NOW,
    updatedAt: NOW,
    submittedAt: null,
    doneAt: null,
    expiresAt: null,
    ...overrides,
  };
}

/** A stored part: `pending`, or `sent` with `smscMessageId` when that is given. */
export function partRow(
  messageId: string,
  index: number,
  text: string,
  smscMessageId: string | null = null,
): MessagePartRow {
  return {
    messageId,
    index,
    text,
    shortMessage: null,
    esmClass: null,
    dataCoding: null,
    status: smscMessageId === null ? "pending" : "sent",
    upstreamId: null,
    smscMessageId,
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

/** The submit settings of an upstream at their defaults, as the attempt reads them from its config. */
export function upstreamConfig(name: string): UpstreamConfig {
  const settings = {
    id: "ups_1",
    name,
    source_ton: null,
    source_npi: null,
    dest_ton: null,
    dest_npi: null,
    dcs0_charset: "gsm7",
    long_message_mode: "udh8",
  };
  return settings as unknown as UpstreamConfig;
}
