/**
 * From the charsets the SMPP text layer decodes to the four encodings we store and show (`gsm7`,
 * `latin1`, `ucs2`, `binary`). National charsets (JIS, Cyrillic, …) are next to unused in GSM and have
 * no place in that set, so they are kept as hex like binary data: nothing is lost, and `encoding` always
 * says how to read `text`.
 */

import type { Encoding } from "../../db/schema.js";
import { storableText } from "../../db/storable-text.js";
import { type DecodedText, toHex } from "../../smpp/text/index.js";

/** Decoded text in the stored form; `raw` are the octets it came from (for the hex fallback). */
export function storedText(decoded: DecodedText, raw: Uint8Array): { text: string; encoding: Encoding } {
  switch (decoded.encoding) {
    case "gsm7":
    case "ucs2":
    case "binary":
      return { text: storableText(decoded.text), encoding: decoded.encoding };
    case "latin1":
    case "ascii":
      // ASCII is Latin-1's first half; the octets were read as Latin-1 either way.
      return { text: storableText(decoded.text), encoding: "latin1" };
    default:
      return { text: toHex(raw), encoding: "binary" };
  }
}
