import {
  chooseEncoding,
  MAX_SEGMENTS,
  previewSegments,
  type SegmentPreview,
  TooManySegmentsError,
  UnencodableCharacterError,
} from "../../../smpp/text/index.js";
import type { FieldIssue } from "../errors.js";
import type { RequestedEncoding } from "../types.js";

/** Most characters (code points: an emoji counts one) a message text may have. */
export const MAX_TEXT_CHARACTERS = 1600;

/**
 * Segments are counted with the 8-bit-reference UDH split (153 GSM septets, 134 Latin-1 octets or 67
 * UTF-16 units a segment), the default long-message mode. An upstream set to udh16 or SAR carries one
 * unit less per segment; its dispatcher re-splits from the message text.
 */
const ACCEPT_MODE = "udh8";

export type TextResult = { ok: true; preview: SegmentPreview } | { ok: false; issue: FieldIssue };

/**
 * Checks a text against the length limits and the requested encoding, and splits it: the same figures
 * the preview endpoint shows and the parts the message is stored with.
 */
export function checkText(text: string, requested: RequestedEncoding = "auto"): TextResult {
  const characters = countCodePoints(text);
  if (characters === 0) return fail("Must not be empty");
  if (characters > MAX_TEXT_CHARACTERS) {
    return fail(`Must be at most ${MAX_TEXT_CHARACTERS} characters, has ${characters}`);
  }
  try {
    const encoding = chooseEncoding(text, requested);
    return { ok: true, preview: previewSegments(text, { encoding, mode: ACCEPT_MODE }) };
  } catch (error) {
    if (error instanceof UnencodableCharacterError) {
      const cp = (error.character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
      return fail(
        `Character ${JSON.stringify(error.character)} (U+${cp}) at position ${error.index} cannot be ` +
          `encoded as ${error.encoding}; use encoding "auto" or "ucs2"`,
      );
    }
    if (error instanceof TooManySegmentsError) {
      return fail(`Needs ${error.segments} segments; at most ${MAX_SEGMENTS} can be concatenated`);
    }
    throw error;
  }
}

function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function fail(message: string): TextResult {
  return { ok: false, issue: { path: "text", message } };
}
