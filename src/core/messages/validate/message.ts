import { literalTargetReason } from "../../webhooks/url-policy.js";
import type { FieldIssue } from "../errors.js";
import type { SendRequest, ValidMessage } from "../types.js";
import { normalizeNumber, normalizeSender } from "./addresses.js";
import { checkText } from "./text.js";

/** Shortest and longest validity period, in seconds (1 minute to 7 days). */
export const MIN_VALIDITY_SECONDS = 60;
export const MAX_VALIDITY_SECONDS = 604_800;
/** Default for {@link ValidationContext.sendAtToleranceMs}: 30 s of clock skew between client and us. */
export const DEFAULT_SEND_AT_TOLERANCE_MS = 30_000;

const DATA_CODING = { gsm7: 0x00, latin1: 0x03, ucs2: 0x08 } as const;
/**
 * The last instant a message's times may reach: the end of year 9999, the last a four-digit ISO 8601
 * year can write (a later expiry, send_at plus validity, would not even reach the database).
 */
const LAST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface ValidationContext {
  /** The account's sender when the request names none; null: `from` is required. */
  defaultFrom: string | null;
  /** Acceptance time, ms since the epoch. */
  now: number;
  /**
   * How far in the past `send_at` may lie and still be taken as "now" (the client's clock may run
   * behind ours), in ms. Default {@link DEFAULT_SEND_AT_TOLERANCE_MS}.
   */
  sendAtToleranceMs?: number;
  /**
   * Take a `status_callback_url` on a loopback, private or link-local address (WEBHOOK_ALLOW_PRIVATE).
   * Default false: such a callback is refused here, where the customer learns of it, rather than at
   * every delivery, where they would not.
   */
  allowPrivateCallbacks?: boolean;
}

export type ValidationResult = { ok: true; value: ValidMessage } | { ok: false; issues: FieldIssue[] };

/**
 * The content checks of a send request, every failing field reported at once with its path (prefixed
 * with `pathPrefix`, e.g. `messages.7.`). Shape checks (types, lengths, enums) are the API schema's.
 */
export function validateSend(
  request: SendRequest,
  context: ValidationContext,
  pathPrefix = "",
): ValidationResult {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path: pathPrefix + path, message });

  const to = normalizeNumber(request.to);
  if (!to.ok) issue("to", to.message);

  let from: string | undefined;
  if (request.from !== undefined) {
    const sender = normalizeSender(request.from);
    if (sender.ok) from = sender.value;
    else issue("from", sender.message);
  } else if (context.defaultFrom !== null) {
    const sender = normalizeSender(context.defaultFrom);
    if (sender.ok) from = sender.value;
    else issue("from", `The account's default sender is not usable (${sender.message}); send a from`);
  } else {
    issue("from", "Required: this account has no default sender");
  }

  const text = checkText(request.text, request.encoding);
  if (!text.ok) issue("text", text.issue.message);

  const validity = request.validity_period;
  const validityOk =
    validity === undefined ||
    (Number.isInteger(validity) && validity >= MIN_VALIDITY_SECONDS && validity <= MAX_VALIDITY_SECONDS);
  if (!validityOk) issue("validity_period", `Must be a whole number of seconds from 60 to 604800`);

  const callback = request.status_callback_url;
  if (callback !== undefined && context.allowPrivateCallbacks !== true) {
    const reason = literalTargetReason(new URL(callback));
    if (reason !== null)
      issue("status_callback_url", `The host is a ${reason}: webhooks go to public addresses only`);
  }

  let sendAt: Date | null = null;
  if (request.send_at !== undefined) {
    const time = Date.parse(request.send_at);
    const tolerance = context.sendAtToleranceMs ?? DEFAULT_SEND_AT_TOLERANCE_MS;
    if (Number.isNaN(time)) issue("send_at", "Must be an ISO 8601 date-time with a zone");
    else if (time < context.now - tolerance) issue("send_at", "Must not be in the past");
    else if (validityOk && time + (validity ?? 0) * 1000 > LAST_INSTANT_MS) {
      issue("send_at", "Must leave room for validity_period before the end of year 9999");
    } else sendAt = new Date(time);
  }

  if (issues.length > 0 || !to.ok || from === undefined || !text.ok) return { ok: false, issues };
  const { preview } = text;
  return {
    ok: true,
    value: {
      to: to.value,
      from,
      text: request.text,
      encoding: preview.encoding,
      dataCoding: DATA_CODING[preview.encoding],
      partTexts: preview.parts.map((part) => part.text),
      clientReference: request.client_reference ?? null,
      validityPeriod: validity ?? null,
      sendAt,
      deliveryReport: request.delivery_report ?? true,
      statusCallbackUrl: request.status_callback_url ?? null,
    },
  };
}
