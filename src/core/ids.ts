import { randomBytes } from "node:crypto";

/** Prefixes of the ids we mint; the prefix tells a human in a log what kind of thing an id names. */
export type IdPrefix =
  | "acc"
  | "key"
  | "ups"
  | "rte"
  | "num"
  | "msg"
  | "inb"
  | "inp"
  | "dlr"
  | "evt"
  | "whe"
  | "whd"
  | "wha";

// Crockford base32 in lowercase: ASCII order equals numeric order, and with no mixed case the order is
// the same under byte (C) and locale collations, so `ORDER BY id` sorts by creation time.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const TIME_CHARS = 10; // 50 bits ≥ 48-bit millisecond time
const RANDOM_BYTES = 10; // 80 bits
const RANDOM_CHARS = 16;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A new id `<prefix>_<26 chars>`: 48-bit millisecond time then 80 random bits (ULID layout), so ids sort
 * by creation time. Within one process ids are strictly increasing even within one millisecond or when
 * the clock steps back: the random part of the previous id is incremented instead.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    lastRandom = BigInt(`0x${randomBytes(RANDOM_BYTES).toString("hex")}`);
  } else {
    lastRandom = (lastRandom + 1n) & ((1n << 80n) - 1n);
    if (lastRandom === 0n) lastTime += 1; // 2^80 ids in one ms: borrow the next millisecond
  }
  return `${prefix}_${encode(BigInt(lastTime), TIME_CHARS)}${encode(lastRandom, RANDOM_CHARS)}`;
}

/** The creation time (ms since epoch) encoded in an id made by {@link newId}; null when it is not one. */
export function idTime(id: string): number | null {
  const body = id.slice(id.indexOf("_") + 1);
  if (body.length !== TIME_CHARS + RANDOM_CHARS) return null;
  let value = 0;
  for (const ch of body.slice(0, TIME_CHARS)) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return null;
    value = value * 32 + digit;
  }
  return value;
}
