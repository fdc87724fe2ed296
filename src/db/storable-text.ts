/**
 * PostgreSQL text and jsonb cannot hold U+0000, and one such string fails its whole statement: a batch
 * of receipts, inbound SMS or webhook outcomes, retried with the same string for good. Text that comes
 * from outside (SMSCs, webhook receivers) is made storable before it is written. Some SMSCs pad with
 * NULs, so trailing ones are padding and dropped; one inside the text becomes U+FFFD, visible rather
 * than silently removed.
 */
export function storableText(text: string): string {
  if (!text.includes("\u0000")) return text;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end).replaceAll("\u0000", "\uFFFD");
}
