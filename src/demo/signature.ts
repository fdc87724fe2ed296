import { createHmac, timingSafeEqual } from "node:crypto";

/** Signatures older or newer than this many seconds are refused (replay window). Default 5 minutes. */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

/** The three Standard Webhooks headers of one delivery, as received. */
export interface SignedDelivery {
  /** `webhook-id`: the event id. */
  id: string | undefined;
  /** `webhook-timestamp`: unix seconds. */
  timestamp: string | undefined;
  /** `webhook-signature`: space-separated `v1,<base64>` entries (several while a secret rotates). */
  signature: string | undefined;
  /** The raw body, exactly as received: the signature covers bytes, not parsed JSON. */
  body: string;
}

/** Why a delivery was refused; null when it is authentic. */
export type SignatureProblem = "missing headers" | "stale timestamp" | "bad signature";

/**
 * Checks a delivery the way DESIGN.md §4 signs it: HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed
 * with the base64-decoded part of `whsec_…`, compared in constant time. Written with node:crypto (not
 * the `standardwebhooks` package, a dev dependency) so the demo runs from a production install; the
 * unit test checks it against that package.
 */
export function checkWebhookSignature(
  secret: string,
  delivery: SignedDelivery,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_S,
): SignatureProblem | null {
  const { id, timestamp, signature, body } = delivery;
  if (!id || !timestamp || !signature) return "missing headers";
  const sentAt = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - sentAt) > toleranceSeconds) return "stale timestamp";

  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  for (const entry of signature.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return "bad signature";
}
