/**
 * ISO-8859-1 (SMPP data_coding 3), and 7-bit ASCII / IA5 (data_coding 1, or DCS 0 on SMSCs set to ASCII).
 */

import { UnencodableCharacterError } from "./errors.js";

/** The first character above `max` (0xFF for Latin-1, 0x7F for ASCII) with its code-point index, or null. */
export function findAbove(text: string, max: number): { character: string; index: number } | null {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > max) {
      // Everything before is at most U+00FF, so the code-unit index is the code-point index.
      return { character: String.fromCodePoint(text.codePointAt(i) ?? 0), index: i };
    }
  }
  return null;
}

/** Text → Latin-1 octets. Throws `UnencodableCharacterError` for characters above U+00FF. */
export function encodeLatin1(text: string): Buffer {
  return encodeSingleByte(text, 0xff, "latin1");
}

/** Text → ASCII octets. Throws `UnencodableCharacterError` for characters above U+007F. */
export function encodeAscii(text: string): Buffer {
  return encodeSingleByte(text, 0x7f, "ascii");
}

/** Latin-1 octets → text (every octet maps to the code point of the same value). */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

function encodeSingleByte(text: string, max: number, name: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > max) {
      const bad = findAbove(text, max);
      throw new UnencodableCharacterError(name, bad?.character ?? "", bad?.index ?? 0);
    }
    out[i] = c;
  }
  return out;
}
