/**
 * Picks the encoding of an outbound text (DESIGN.md §4 `encoding`): `auto` is GSM 03.38 when every
 * character fits, else UCS-2; an explicit choice is checked and refused with the first character that
 * does not fit.
 */

import type { Dcs0Charset } from "./data-coding.js";
import { type TextEncoding, UnencodableCharacterError } from "./errors.js";
import { findNonGsm7 } from "./gsm7.js";
import { findAbove } from "./latin1.js";

/** What a client may ask for. */
export type RequestedEncoding = "auto" | TextEncoding;

/**
 * The first character `encoding` cannot carry (code-point index), or null. For `gsm7` on an upstream whose
 * DCS 0 means Latin-1 or ASCII, the character must also exist in that charset, since those are the octets
 * that go on the wire.
 */
export function findUnencodable(
  text: string,
  encoding: TextEncoding,
  dcs0Charset: Dcs0Charset = "gsm7",
): { character: string; index: number } | null {
  switch (encoding) {
    case "ucs2":
      return null;
    case "latin1":
      return findAbove(text, 0xff);
    case "gsm7": {
      const bad = findNonGsm7(text);
      if (bad !== null || dcs0Charset === "gsm7" || dcs0Charset === "gsm7-packed") return bad;
      return findAbove(text, dcs0Charset === "latin1" ? 0xff : 0x7f);
    }
  }
}

/**
 * The encoding to send `text` with. `dcs0Charset` (default `gsm7`) narrows what `gsm7` can carry on
 * upstreams that read DCS 0 as Latin-1 or ASCII; `auto` then falls back to UCS-2 for the rest.
 * Throws `UnencodableCharacterError` naming the first offending character for an explicit encoding.
 */
export function chooseEncoding(
  text: string,
  requested: RequestedEncoding,
  dcs0Charset: Dcs0Charset = "gsm7",
): TextEncoding {
  if (requested === "auto") return findUnencodable(text, "gsm7", dcs0Charset) === null ? "gsm7" : "ucs2";
  assertEncodable(text, requested, dcs0Charset);
  return requested;
}

/** Throws `UnencodableCharacterError` for the first character `encoding` cannot carry (see `findUnencodable`). */
export function assertEncodable(
  text: string,
  encoding: TextEncoding,
  dcs0Charset: Dcs0Charset = "gsm7",
): void {
  const bad = findUnencodable(text, encoding, dcs0Charset);
  if (bad === null) return;
  const byUpstream = encoding === "gsm7" && findNonGsm7(bad.character) === null;
  const why = byUpstream ? `the upstream reads DCS 0 as ${dcs0Charset}` : undefined;
  throw new UnencodableCharacterError(encoding, bad.character, bad.index, why);
}
