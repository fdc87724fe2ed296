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
const RANDOM_CHARS = 16; // 80 bits, one base32 digit (5 bits) per character

let lastTime = -1;
/** Base32 digits of the previous id's random part, kept to increment within one millisecond. */
const lastRandom = new Uint8Array(RANDOM_CHARS);

function encodeTime(time: number): string {
  let out = "";
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET.charAt(time % 32) + out;
    time = Math.floor(time / 32);
  }
  return out;
}

/** Adds one to the random digits; false when they wrap around to zero. */
function incrementRandom(): boolean {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    const digit = (lastRandom[i] ?? 0) + 1;
    if (digit < 32) {
      lastRandom[i] = digit;
      return true;
    }
    lastRandom[i] = 0;
  }
  return false;
}

function randomText(): string {
  let out = "";
  for (const digit of lastRandom) out += ALPHABET.charAt(digit);
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
    const bytes = randomBytes(RANDOM_CHARS);
    for (let i = 0; i < RANDOM_CHARS; i++) lastRandom[i] = (bytes[i] ?? 0) & 31;
  } else if (!incrementRandom()) {
    lastTime += 1; // 2^80 ids in one millisecond: borrow the next one
  }
  return `${prefix}_${encodeTime(lastTime)}${randomText()}`;
}

/**
 * The smallest id {@link newId} can make at `time` (ms since epoch): every id made earlier sorts below
 * it, every id made at or after it sorts at or above it. Lets a query select rows older than a moment
 * by a primary-key range (`id < firstIdAt(…)`) instead of an index on a timestamp.
 */
export function firstIdAt(prefix: IdPrefix, time: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(time)))}${ALPHABET.charAt(0).repeat(RANDOM_CHARS)}`;
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
