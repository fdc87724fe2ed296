import type { FieldError } from "./errors.js";

/**
 * What valid JSON may carry as an escape but no message, reference or URL of ours can hold:
 * - a UTF-16 surrogate without its partner (`"\ud83d"`): no Unicode character, so it cannot be sent as
 *   SMS text or stored as UTF-8, and PostgreSQL's jsonb refuses it;
 * - NUL (`"\u0000"`): PostgreSQL's text and jsonb refuse it.
 * Both used to fail the whole group commit of the request with a 503 that no retry could fix.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters looked for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in `value` (a parsed JSON body) holding such a character, as 422 field errors. */
export function unstorableStrings(value: unknown, path: readonly (string | number)[] = []): FieldError[] {
  if (typeof value === "string") {
    const found = UNSTORABLE.exec(value);
    if (found === null) return [];
    const position = [...value.slice(0, found.index)].length;
    const unit = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    const what = unit === "0000" ? "NUL (U+0000)" : `Lone UTF-16 surrogate U+${unit}`;
    const why = unit === "0000" ? "is not allowed" : "is not a Unicode character";
    return [{ path: path.join("."), message: `${what} at position ${position} ${why}` }];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => unstorableStrings(item, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => unstorableStrings(item, [...path, key]));
  }
  return [];
}
