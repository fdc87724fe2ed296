/**
 * What a dispatch attempt did to a message, from the results of its parts. A message is `sent` only
 * when the SMSC accepted every part; one permanent rejection fails it; otherwise any part that may
 * succeed later makes the whole message retry (the parts already accepted keep their ids and are not
 * sent again).
 */
import type { PartFailure } from "../dispatch/retry.js";

/** One submitted part's result. */
export type PartResult =
  | {
      index: number;
      ok: true;
      smscMessageId: string;
      /** When the attempt began sending the part (the sending instance's clock). */
      sentAt: Date;
    }
  | { index: number; ok: false; failure: PartFailure };

export type MessageDecision =
  | { kind: "sent" }
  | { kind: "failed"; code: string; message: string; smppStatus: number | null }
  | {
      kind: "retry";
      /** False when no failed part can have reached the SMSC: the attempt is given back. */
      counted: boolean;
      message: string;
      smppStatus: number | null;
    };

export function decideOutcome(results: readonly PartResult[]): MessageDecision {
  let retry: (PartFailure & { kind: "retry" }) | undefined;
  let counted = false;
  for (const result of results) {
    if (result.ok) continue;
    const failure = result.failure;
    if (failure.kind === "permanent") {
      const message = `Part ${result.index}: ${failure.message}`;
      return { kind: "failed", code: failure.code, message, smppStatus: failure.status };
    }
    retry ??= failure;
    counted ||= failure.counted;
  }
  if (retry === undefined) return { kind: "sent" };
  return { kind: "retry", counted, message: retry.message, smppStatus: retry.status };
}
