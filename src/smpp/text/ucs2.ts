/**
 * UCS-2 as SMSCs really use it: UTF-16BE, so characters outside the BMP travel as surrogate pairs
 * (2 units). Lone surrogates are carried as they are, so any JavaScript string round-trips.
 */

/** Text → UTF-16BE octets (2 per UTF-16 unit). */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

/** UTF-16BE octets → text. A dangling odd final octet shows U+FFFD. */
export function decodeUcs2(bytes: Uint8Array): string {
  const even = bytes.length & ~1;
  const swapped = Buffer.from(bytes.subarray(0, even)).swap16();
  const text = swapped.toString("utf16le");
  return even === bytes.length ? text : `${text}\ufffd`;
}
