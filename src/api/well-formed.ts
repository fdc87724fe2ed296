import type { FieldError } from "./errors.js";

/**
 * A UTF-16 surrogate without its partner. JSON may carry one as an escape (`"\ud83d"`), but it is no
 * Unicode character: it cannot be sent as SMS text, stored as UTF-8, or parsed by PostgreSQL's jsonb,
 * where it used to fail the whole group commit of the request with a 503 that no retry could fix.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in `value` (a parsed JSON body) holding a lone surrogate, as 422 field errors. */
export function illFormedStrings(value: unknown, path: readonly (string | number)[] = []): FieldError[] {
  if (typeof value === "string") {
    const found = LONE_SURROGATE.exec(value);
    if (found === null) return [];
    const unit = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase();
    const position = [...value.slice(0, found.index)].length;
    return [
      {
        path: path.join("."),
        message: `Lone UTF-16 surrogate U+${unit} at position ${position} is not a Unicode character`,
      },
    ];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => illFormedStrings(item, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => illFormedStrings(item, [...path, key]));
  }
  return [];
}
