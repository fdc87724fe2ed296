/**
 * Phone numbers and sender ids: what the API accepts, how it is stored, and the TON/NPI it is sent with.
 *
 * Stored forms (messages.to_number / messages.from_address) carry their own classification, so the
 * dispatcher needs nothing else to build submit_sm addresses ({@link senderAddress}):
 *
 * | sender given | stored as | TON/NPI |
 * |---|---|---|
 * | `+` (or `00`) then 6–15 digits (spaces, dashes, dots, parentheses ignored) | `+447700900123` | 1/1 (international, E.164) |
 * | 9–15 digits, no `+` | `+447700900123` | 1/1: that long, it can only be an international number |
 * | 3–8 digits, no `+` | `12345` | 3/0 (network-specific short code, what operators route short codes on) |
 * | 1–11 GSM 03.38 septets with at least one letter | `ACME` | 5/0 (alphanumeric) |
 *
 * Upstream settings (source_ton/source_npi) may override the pair at submit. A short international
 * number (6–8 digits) must be written with `+`, else it is read as a short code.
 *
 * An international number never starts with 0 (no country code does): `00` in front is the
 * international call prefix and read as `+`; any other leading 0 is a national number and refused,
 * since sent as TON 1 it would reach nobody. An alphanumeric sender travels in submit_sm's source_addr,
 * a C-octet string this codec writes as Latin-1: GSM characters above U+00FF (€ and the Greek
 * capitals) cannot be sent there, so they are refused here rather than failing every submit.
 */
import { findNonGsm7, gsm7Length } from "../../../smpp/text/index.js";

/** An SMPP address: type of number, numbering plan indicator and the address text as sent. */
export interface SmppAddress {
  ton: number;
  npi: number;
  address: string;
}

export type AddressResult = { ok: true; value: string } | { ok: false; message: string };

export const TON_INTERNATIONAL = 1;
export const TON_NETWORK_SPECIFIC = 3;
export const TON_ALPHANUMERIC = 5;
export const NPI_UNKNOWN = 0;
export const NPI_E164 = 1;

/** Fewest and most digits of an international number (E.164 allows 15). */
export const MIN_NUMBER_DIGITS = 6;
export const MAX_NUMBER_DIGITS = 15;
/** Digits of a short code, when a sender is all digits and has no `+`. */
export const MIN_SHORT_CODE_DIGITS = 3;
export const MAX_SHORT_CODE_DIGITS = 8;
/** Septets an alphanumeric sender may use (TP-OA holds 11 packed septets). */
export const MAX_ALPHANUMERIC_SEPTETS = 11;

/**
 * Dropped from numbers: spaces (any), ASCII and Unicode hyphens and dashes, the minus sign, dots,
 * parentheses, and the invisible direction marks that phones and contact apps put around a copied number.
 */
const SEPARATORS = /[\s\-.()\u2010-\u2015\u2212\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NUMERIC_FORM = /^\+?[0-9]+$/;
const LETTER = /\p{L}/u;
const STORED_INTERNATIONAL = /^\+[0-9]+$/;
const STORED_SHORT_CODE = /^[0-9]+$/;
/** The international call prefix of most countries, written instead of `+`. */
const INTERNATIONAL_PREFIX = "00";
/** Characters source_addr cannot carry: control characters and everything above Latin-1. */
const NOT_IN_SOURCE_ADDR = /[\p{Cc}\u{100}-\u{10ffff}]/u;

/**
 * A destination number normalised to E.164 with a leading `+`: the `+` is optional (`00` may stand for
 * it) and spaces, dashes, dots and parentheses are dropped; 6–15 digits must remain, not starting with 0.
 */
export function normalizeNumber(value: string): AddressResult {
  const compact = value.replace(SEPARATORS, "");
  if (!NUMERIC_FORM.test(compact)) {
    return { ok: false, message: "Must be an international number: + optional, then 6–15 digits" };
  }
  let digits = compact;
  if (compact.startsWith("+")) digits = compact.slice(1);
  else if (compact.startsWith(INTERNATIONAL_PREFIX)) digits = compact.slice(INTERNATIONAL_PREFIX.length);
  if (digits.length < MIN_NUMBER_DIGITS || digits.length > MAX_NUMBER_DIGITS) {
    return { ok: false, message: `Must have 6–15 digits, has ${digits.length}` };
  }
  if (digits.startsWith("0")) {
    return {
      ok: false,
      message: "Must be an international number starting with its country code (e.g. +44…), not with 0",
    };
  }
  return { ok: true, value: `+${digits}` };
}

/** A sender id in its stored form (see the table above), or why it is not one. */
export function normalizeSender(value: string): AddressResult {
  const trimmed = value.trim();
  const compact = trimmed.replace(SEPARATORS, "");
  if (compact.length > 0 && NUMERIC_FORM.test(compact)) {
    // `00` before an international number stands for `+` (normalizeNumber drops it).
    const digits = compact.startsWith(INTERNATIONAL_PREFIX)
      ? compact.length - INTERNATIONAL_PREFIX.length
      : compact.length;
    const international =
      compact.startsWith("+") || (compact.length > MAX_SHORT_CODE_DIGITS && digits <= MAX_NUMBER_DIGITS);
    if (international) {
      const result = normalizeNumber(compact);
      return result.ok ? result : { ok: false, message: `A sender number ${lower(result.message)}` };
    }
    if (compact.length >= MIN_SHORT_CODE_DIGITS && compact.length <= MAX_SHORT_CODE_DIGITS) {
      return { ok: true, value: compact };
    }
    return {
      ok: false,
      message: "A numeric sender is a short code of 3–8 digits or an international number of 6–15 digits",
    };
  }
  if (trimmed.length === 0) return { ok: false, message: "Must not be empty" };
  const bad = findNonGsm7(trimmed);
  if (bad !== null) {
    return {
      ok: false,
      message: `An alphanumeric sender uses GSM 03.38 characters only; ${JSON.stringify(bad.character)} at index ${bad.index} is not one`,
    };
  }
  const unsendable = NOT_IN_SOURCE_ADDR.exec(trimmed);
  if (unsendable !== null) {
    return {
      ok: false,
      message: `An alphanumeric sender cannot carry ${JSON.stringify(unsendable[0])} (at index ${unsendable.index}): SMPP sends it as Latin-1 text without control characters`,
    };
  }
  if (!LETTER.test(trimmed)) {
    return { ok: false, message: "An alphanumeric sender needs at least one letter" };
  }
  const septets = gsm7Length(trimmed);
  if (septets > MAX_ALPHANUMERIC_SEPTETS) {
    return {
      ok: false,
      message: `An alphanumeric sender has at most 11 GSM characters, this one takes ${septets}`,
    };
  }
  return { ok: true, value: trimmed };
}

/** The submit_sm source address of a stored sender (the output of {@link normalizeSender}). */
export function senderAddress(stored: string): SmppAddress {
  // By the whole form: an alphanumeric sender may start with `+` too ("+ACME").
  if (STORED_INTERNATIONAL.test(stored)) {
    return { ton: TON_INTERNATIONAL, npi: NPI_E164, address: stored.slice(1) };
  }
  if (STORED_SHORT_CODE.test(stored)) return { ton: TON_NETWORK_SPECIFIC, npi: NPI_UNKNOWN, address: stored };
  return { ton: TON_ALPHANUMERIC, npi: NPI_UNKNOWN, address: stored };
}

/** The submit_sm destination address of a stored number (E.164 with `+`). */
export function destinationAddress(stored: string): SmppAddress {
  return { ton: TON_INTERNATIONAL, npi: NPI_E164, address: stored.replace(/^\+/, "") };
}

function lower(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}
