/**
 * Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`,
 * keyed with the base64-decoded part of the secret after `whsec_`. Several secrets (the new one and,
 * for a day after a rotation, the previous one) give several signatures separated by spaces; a
 * receiver accepts the message when any of them verifies.
 */
import { createHmac } from "node:crypto";
import { decryptSecret, encryptSecret, generateWebhookSecret } from "../crypto.js";

const SECRET_PREFIX = "whsec_";
/** Associated data binding a sealed value to this column's purpose (see crypto.ts). */
const SEAL_CONTEXT = "webhook.secret";

/** A new endpoint secret, `whsec_` + base64 of 32 random bytes: shown once, then stored sealed. */
export function newWebhookSecret(): string {
  return generateWebhookSecret();
}

/** Seals a secret for `webhook_endpoints.secret_enc` under SECRET_KEY. */
export function sealWebhookSecret(secret: string, secretKey: Uint8Array): string {
  return encryptSecret(secret, secretKey, SEAL_CONTEXT);
}

/** Opens what {@link sealWebhookSecret} sealed. */
export function openWebhookSecret(sealed: string, secretKey: Uint8Array): string {
  return decryptSecret(sealed, secretKey, SEAL_CONTEXT);
}

/** The HMAC key of a secret: the bytes after `whsec_` decoded from base64. */
export function signingKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, "base64");
}

/** The `webhook-signature` value for one message: one `v1,` signature per key, space-separated. */
export function signatureHeader(
  messageId: string,
  timestampSeconds: number,
  body: string,
  keys: readonly Uint8Array[],
): string {
  const signed = `${messageId}.${timestampSeconds}.${body}`;
  return keys
    .map((key) => `v1,${createHmac("sha256", key).update(signed, "utf8").digest("base64")}`)
    .join(" ");
}
