/** Text encodings we can put into a short_message. */
export type TextEncoding = "gsm7" | "latin1" | "ucs2";

/** A character that the requested encoding (or the upstream's DCS 0 charset) cannot carry. */
export class UnencodableCharacterError extends Error {
  override readonly name = "UnencodableCharacterError";
  readonly code = "UNENCODABLE_CHARACTER";
  /** The encoding (or DCS-0 charset) that was asked for. */
  readonly encoding: string;
  /** The offending character (a whole code point, so an emoji is one string of length 2). */
  readonly character: string;
  /** Position of `character` in the text, counted in code points (what a person calls characters). */
  readonly index: number;

  /** @param why - extra reason appended to the message, e.g. the upstream's DCS-0 charset */
  constructor(encoding: string, character: string, index: number, why?: string) {
    const cp = character.codePointAt(0) ?? 0;
    const hex = cp.toString(16).toUpperCase().padStart(4, "0");
    const where = `character ${JSON.stringify(character)} (U+${hex}) at index ${index}`;
    super(`${where} cannot be encoded as ${encoding}${why === undefined ? "" : ` (${why})`}`);
    this.encoding = encoding;
    this.character = character;
    this.index = index;
  }
}

/** The text needs more segments than concatenation can number (255). */
export class TooManySegmentsError extends Error {
  override readonly name = "TooManySegmentsError";
  readonly code = "TOO_MANY_SEGMENTS";
  /** How many segments the text would need. */
  readonly segments: number;

  constructor(segments: number) {
    super(`text needs ${segments} segments; at most 255 can be concatenated`);
    this.segments = segments;
  }
}

/** A user data header whose lengths do not fit the user data. */
export class MalformedUdhError extends Error {
  override readonly name = "MalformedUdhError";
  readonly code = "MALFORMED_UDH";
}

/** Parts handed to `reassemble` that cannot belong to one message (no parts, different ref or total). */
export class InconsistentPartsError extends Error {
  override readonly name = "InconsistentPartsError";
  readonly code = "INCONSISTENT_PARTS";
}
