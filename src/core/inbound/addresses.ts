/**
 * Addresses of inbound SMS as the API shows them: numbers in E.164 with a leading `+` (DESIGN.md §4),
 * short codes and national numbers as digits, alphanumeric senders as they came. The numbers table stores
 * a number as `+digits` and a short code as its digits, so a destination normalised here is looked up as
 * is: "text JOIN to 88222" reaches the account that registered 88222.
 */
import {
  type AddressResult,
  MAX_SHORT_CODE_DIGITS,
  MIN_SHORT_CODE_DIGITS,
  normalizeNumber,
  TON_INTERNATIONAL,
} from "../messages/validate/addresses.js";

const TON_NATIONAL = 2;
const DIGITS = /^[0-9]+$/;
/** `00`, then an international number: 6–15 digits, not starting with 0. */
const INTERNATIONAL_AFTER_00 = /^00[1-9][0-9]{5,14}$/;
const SHORT_CODE = new RegExp(`^[0-9]{${MIN_SHORT_CODE_DIGITS},${MAX_SHORT_CODE_DIGITS}}$`);

/**
 * An address as the SMSC gave it, with its TON. `+` or TON 1 make a number international; without them a
 * run of at most 8 digits is a short code and one starting with 0 (or TON 2) a national number, kept as
 * digits: a `+` in front would make them numbers that do not exist. `00` in front stands for `+`. Other
 * digit strings (TON 0, as many SMSCs send international numbers) get their `+`. Anything not all digits
 * is kept, trimmed.
 */
export function normalizeInboundAddress(address: string, ton = 0): string {
  const trimmed = address.trim();
  const plus = trimmed.startsWith("+");
  const digits = plus ? trimmed.slice(1) : trimmed;
  if (!DIGITS.test(digits)) return trimmed;
  // 00 is the international call prefix, as a send's `to` and POST /admin/numbers read it: kept, the
  // destination would match no registered number.
  if (!plus && ton !== TON_NATIONAL && INTERNATIONAL_AFTER_00.test(digits)) return `+${digits.slice(2)}`;
  if (plus || ton === TON_INTERNATIONAL) return `+${digits}`;
  if (ton === TON_NATIONAL || digits.length <= MAX_SHORT_CODE_DIGITS || digits.startsWith("0")) return digits;
  return `+${digits}`;
}

/**
 * A number SMS are received on, as an admin or a filter writes it: a short code of 3–8 digits (no `+`),
 * kept as is, or an international number, normalised as a send's `to` is.
 */
export function normalizeReceivingNumber(value: string): AddressResult {
  const compact = value.trim();
  if (SHORT_CODE.test(compact)) return { ok: true, value: compact };
  const number = normalizeNumber(value);
  return number.ok
    ? number
    : {
        ok: false,
        message: `Must be a short code of 3–8 digits or an international number (${number.message})`,
      };
}
