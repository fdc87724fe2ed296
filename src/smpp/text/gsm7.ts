/**
 * GSM 03.38 / 3GPP TS 23.038 default alphabet with its extension table.
 *
 * SMPP normally carries GSM text UNPACKED (one septet per octet, MSB 0); the SMSC packs it for the air.
 * Packing (§6.1.2.1) is offered for SMSCs that want packed septets, including the fill bits that align the
 * first septet after a user data header.
 */

import { UnencodableCharacterError } from "./errors.js";

/** The escape septet that switches to the extension table for the next septet. */
export const GSM7_ESCAPE = 0x1b;

/** Basic table, indexed by septet. Index 0x1B is the escape and is never produced from text. */
export const GSM7_BASIC_TABLE: readonly string[] = [
  ..."@£$¥èéùìòÇ\nØø\rÅå",
  ..."Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ",
  ..." !\"#¤%&'()*+,-./",
  ..."0123456789:;<=>?",
  ..."¡ABCDEFGHIJKLMNO",
  ..."PQRSTUVWXYZÄÖÑÜ§",
  ..."¿abcdefghijklmno",
  ..."pqrstuvwxyzäöñüà",
];

/** Extension table: septet after ESC → character. Every other septet after ESC is undefined here. */
export const GSM7_EXTENSION_TABLE: ReadonlyMap<number, string> = new Map([
  [0x0a, "\f"],
  [0x14, "^"],
  [0x28, "{"],
  [0x29, "}"],
  [0x2f, "\\"],
  [0x3c, "["],
  [0x3d, "~"],
  [0x3e, "]"],
  [0x40, "|"],
  [0x65, "€"],
]);

/** Highest code unit of a GSM character (€, U+20AC); the lookup table below stops there. */
const MAX_GSM_CODE_UNIT = 0x20ac;

/**
 * UTF-16 code unit → septet code, -1 when not GSM. Values below 0x80 are basic-table septets; 0x100 + s
 * means "ESC, then s". Every GSM character is in the BMP, so one code unit is one character. A flat
 * table (17 KB) because this runs for every character of every message.
 */
const ENCODE: Int16Array = (() => {
  const table = new Int16Array(MAX_GSM_CODE_UNIT + 1).fill(-1);
  GSM7_BASIC_TABLE.forEach((ch, septet) => {
    if (septet !== GSM7_ESCAPE) table[ch.charCodeAt(0)] = septet;
  });
  for (const [septet, ch] of GSM7_EXTENSION_TABLE) table[ch.charCodeAt(0)] = 0x100 | septet;
  return table;
})();

/** Septet code of a code unit (see ENCODE), -1 when GSM cannot carry it. */
function septetCode(codeUnit: number): number {
  return codeUnit <= MAX_GSM_CODE_UNIT ? (ENCODE[codeUnit] ?? -1) : -1;
}

/** Septets a UTF-16 code unit costs in GSM 7-bit: 1 (basic), 2 (extension) or 0 (not representable). */
export function gsm7Cost(codeUnit: number): 0 | 1 | 2 {
  const code = septetCode(codeUnit);
  if (code < 0) return 0;
  return code > 0xff ? 2 : 1;
}

/** The first character of `text` that GSM 03.38 cannot carry, with its code-point index, or null. */
export function findNonGsm7(text: string): { character: string; index: number } | null {
  for (let i = 0; i < text.length; i++) {
    if (septetCode(text.charCodeAt(i)) < 0) {
      // Everything before was GSM, so BMP, so the code-unit index is the code-point index.
      const cp = text.codePointAt(i) ?? 0;
      return { character: String.fromCodePoint(cp), index: i };
    }
  }
  return null;
}

/** Number of septets `text` takes (extension characters count 2). Throws for unrepresentable text. */
export function gsm7Length(text: string): number {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const cost = gsm7Cost(text.charCodeAt(i));
    if (cost === 0) throw unencodable(text);
    septets += cost;
  }
  return septets;
}

/** Text → unpacked septets (one per octet). Throws `UnencodableCharacterError`. */
export function encodeGsm7(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = septetCode(text.charCodeAt(i));
    if (code < 0) throw unencodable(text);
    if (code > 0xff) {
      out[n++] = GSM7_ESCAPE;
      out[n++] = code & 0x7f;
    } else {
      out[n++] = code;
    }
  }
  return out.subarray(0, n);
}

const REPLACEMENT = 0xfffd;
const BASIC_UNITS = Uint16Array.from(GSM7_BASIC_TABLE, (ch) => ch.charCodeAt(0));
/** Extension septet → code unit, or the basic-table character where the extension table has none. */
const EXTENSION_UNITS = Uint16Array.from(GSM7_BASIC_TABLE, (ch, septet) =>
  (GSM7_EXTENSION_TABLE.get(septet) ?? ch).charCodeAt(0),
);

/**
 * Unpacked septets → text. An escape followed by a septet the extension table does not define shows the
 * basic-table character (23.038 §6.2.1.1); ESC ESC shows a space (reserved for a further table); a lone
 * ESC at the end shows nothing. An octet with the MSB set is not a septet and shows U+FFFD.
 */
export function decodeGsm7(septets: Uint8Array): string {
  // UTF-16LE octets written one by one (so host byte order does not matter), then one native decode:
  // String.fromCharCode(...units) costs ten times more on a receipt-sized text.
  const out = Buffer.allocUnsafe(septets.length * 2);
  let n = 0;
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i] ?? 0;
    let unit: number;
    if (s !== GSM7_ESCAPE) {
      unit = s > 0x7f ? REPLACEMENT : (BASIC_UNITS[s] ?? REPLACEMENT);
    } else if (i + 1 < septets.length) {
      const next = septets[++i] ?? 0;
      if (next > 0x7f) unit = REPLACEMENT;
      else if (next === GSM7_ESCAPE) unit = 0x20;
      else unit = EXTENSION_UNITS[next] ?? REPLACEMENT;
    } else {
      break;
    }
    out[n++] = unit & 0xff;
    out[n++] = unit >>> 8;
  }
  return out.toString("utf16le", 0, n);
}

/**
 * Fill bits between a user data header of `udhOctets` octets (UDHL octet included) and the first packed
 * septet, so that septets start on a septet boundary: `(7 - (udhOctets * 8) % 7) % 7`. 0 without a UDH.
 */
export function gsm7FillBits(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

/** Carriage return, the padding septet 23.038 §6.1.2.3.1 puts into 7 spare bits at the end. */
const CR = 0x0d;

/**
 * Packs septets LSB-first (23.038 §6.1.2.1), starting `fillBits` (0–6) into the first octet.
 * When 7 bits are left over in the last octet they hold a CR, so a receiver does not read an extra `@`;
 * a message that really ends in CR exactly on an octet boundary gets a second CR (same section), which a
 * receiver shows as one line break.
 */
export function packSeptets(septets: Uint8Array, fillBits = 0): Buffer {
  let count = septets.length;
  const endsOnBoundaryWithCr = count > 0 && septets[count - 1] === CR && (fillBits + 7 * count) % 8 === 0;
  if (endsOnBoundaryWithCr) count++;
  const bits = fillBits + 7 * count;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  let pos = fillBits;
  const put = (s: number): void => {
    const byte = pos >> 3;
    const shift = pos & 7;
    out[byte] = (out[byte] ?? 0) | ((s << shift) & 0xff);
    if (shift > 1) out[byte + 1] = (out[byte + 1] ?? 0) | (s >> (8 - shift));
    pos += 7;
  };
  for (let i = 0; i < septets.length; i++) put((septets[i] ?? 0) & 0x7f);
  if (endsOnBoundaryWithCr) put(CR);
  if (out.length * 8 - pos === 7) put(CR);
  return out;
}

/**
 * Unpacks septets packed LSB-first, skipping `fillBits` at the start. Without `count`, every whole septet
 * is read, except that a final CR filling exactly the last 7 bits is taken as padding and dropped.
 */
export function unpackSeptets(packed: Uint8Array, fillBits = 0, count?: number): Buffer {
  const available = Math.max(0, packed.length * 8 - fillBits);
  let n = Math.min(count ?? Number.POSITIVE_INFINITY, Math.floor(available / 7));
  const out = Buffer.allocUnsafe(n);
  let pos = fillBits;
  for (let i = 0; i < n; i++) {
    const byte = pos >> 3;
    const shift = pos & 7;
    let s = (packed[byte] ?? 0) >> shift;
    if (shift > 1) s |= (packed[byte + 1] ?? 0) << (8 - shift);
    out[i] = s & 0x7f;
    pos += 7;
  }
  if (count === undefined && n > 0 && available % 7 === 0 && out[n - 1] === CR) {
    // The last septet fills exactly the last 7 bits, where a sender puts CR padding into 7 spare bits.
    n--;
  }
  return out.subarray(0, n);
}

/** Text → packed septets with `fillBits` leading fill bits. Throws `UnencodableCharacterError`. */
export function encodeGsm7Packed(text: string, fillBits = 0): Buffer {
  return packSeptets(encodeGsm7(text), fillBits);
}

/** Packed septets (after `fillBits` fill bits) → text. */
export function decodeGsm7Packed(packed: Uint8Array, fillBits = 0): string {
  return decodeGsm7(unpackSeptets(packed, fillBits));
}

function unencodable(text: string): UnencodableCharacterError {
  const bad = findNonGsm7(text);
  return new UnencodableCharacterError("gsm7", bad?.character ?? "", bad?.index ?? 0);
}
