/**
 * Addresses of inbound SMS as the API shows them: numbers in E.164 with a leading `+` (DESIGN.md §4),
 * alphanumeric senders as they came. The numbers table stores `+digits`, so a destination normalised
 * here is looked up as is.
 */

/** `447700900123` and `+447700900123` → `+447700900123`; anything not all digits is kept, trimmed. */
export function normalizeInboundAddress(address: string): string {
  const trimmed = address.trim();
  const digits = trimmed.startsWith("+") ? trimmed.slice(1) : trimmed;
  return /^[0-9]+$/.test(digits) ? `+${digits}` : trimmed;
}
