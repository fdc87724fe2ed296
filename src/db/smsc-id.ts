/**
 * SMSC message ids as matching keys. An SMSC may report the id of a submit in hex in submit_sm_resp and
 * in decimal in the receipt, or the reverse, with or without leading zeros, in either case. Both tables
 * store `smscIdKey(raw)`; a lookup from either side searches `smscIdCandidates(raw)`, which holds the
 * key and its reading in the other base. Because the two conversions are inverse of each other, a
 * receipt finds its part and a part finds its waiting receipt with the same plain btree lookup.
 */

const HEX = /^[0-9a-f]+$/;
const DECIMAL = /^[0-9]+$/;
/** Longer ids are not numbers an SMSC converts between bases (they are opaque, e.g. UUIDs). */
const MAX_NUMERIC_DIGITS = 32;

/** The stored form of an SMSC id: trimmed, lower case, without leading zeros (a lone "0" stays). */
export function smscIdKey(raw: string): string {
  const lower = raw.trim().toLowerCase();
  if (!HEX.test(lower)) return lower;
  return lower.replace(/^0+(?=.)/, "");
}

/** The keys a stored id may have if it is the same id as `raw`: its own key, and its other-base reading. */
export function smscIdCandidates(raw: string): string[] {
  const key = smscIdKey(raw);
  const candidates = new Set([key]);
  if (key.length <= MAX_NUMERIC_DIGITS && HEX.test(key)) {
    candidates.add(BigInt(`0x${key}`).toString(10));
    if (DECIMAL.test(key)) candidates.add(BigInt(key).toString(16));
  }
  return [...candidates];
}
