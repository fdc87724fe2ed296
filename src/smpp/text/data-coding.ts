/**
 * data_coding (SMPP v3.4 §5.2.19) read with the 3GPP TS 23.038 coding-group logic, not `& 0x0F`
 * (node-smpp bug #66 turns 0xF0 flash GSM and 0x18 UCS2 class 0 into the wrong alphabet that way).
 */

import { decodeGsm7, decodeGsm7Packed } from "./gsm7.js";
import { decodeLatin1 } from "./latin1.js";
import { decodeUcs2 } from "./ucs2.js";

/**
 * What an upstream means by GSM default alphabet on the wire (DESIGN.md §4 `dcs0_charset`): unpacked
 * septets (`gsm7`, the SMPP norm), packed septets, or Latin-1 / ASCII octets for SMSCs that treat DCS 0
 * that way. It applies to every data_coding whose alphabet is the GSM default alphabet.
 */
export type Dcs0Charset = "gsm7" | "gsm7-packed" | "latin1" | "ascii";

/** The alphabet a data_coding value announces. */
export type DataCodingCharset =
  | "gsm7"
  | "ascii"
  | "latin1"
  | "binary"
  | "jis"
  | "cyrillic"
  | "hebrew"
  | "ucs2"
  | "pictogram"
  | "iso-2022-jp"
  | "extended-kanji"
  | "ks-c-5601";

/** How a data_coding value was read. */
export interface DataCodingInfo {
  charset: DataCodingCharset;
  /** 23.038 message class (0 = flash, 1 = ME, 2 = SIM, 3 = TE), or null when the value gives none. */
  messageClass: 0 | 1 | 2 | 3 | null;
  /** 23.038 compressed text; we do not decompress, so the charset is then `binary`. */
  compressed: boolean;
}

/** SMPP's own meanings of 0x00–0x0F (SMPP v3.4 §5.2.19); they take precedence over 23.038 there. */
const SMPP_TABLE: readonly DataCodingCharset[] = [
  "gsm7", // 0 SMSC default alphabet
  "ascii", // 1 IA5
  "binary", // 2 octet unspecified
  "latin1", // 3
  "binary", // 4 octet unspecified
  "jis", // 5 JIS X 0208-1990
  "cyrillic", // 6 ISO-8859-5
  "hebrew", // 7 ISO-8859-8
  "ucs2", // 8
  "pictogram", // 9
  "iso-2022-jp", // 0x0A music codes
  "gsm7", // 0x0B reserved: 23.038 says reserved codings are read as the default alphabet
  "gsm7", // 0x0C reserved
  "extended-kanji", // 0x0D JIS X 0212-1990
  "ks-c-5601", // 0x0E
  "gsm7", // 0x0F reserved
];

const ALPHABETS: readonly DataCodingCharset[] = ["gsm7", "binary", "ucs2", "gsm7"];

/** Reads a data_coding octet. */
export function describeDataCoding(dataCoding: number): DataCodingInfo {
  const dcs = dataCoding & 0xff;
  const cls = (dcs & 0x03) as 0 | 1 | 2 | 3;
  if (dcs < 0x10) return { charset: SMPP_TABLE[dcs] ?? "gsm7", messageClass: null, compressed: false };
  if (dcs < 0x80) {
    // 00xx xxxx general group, 01xx xxxx the same with automatic deletion: bit 5 compressed, bit 4 class
    // present, bits 3–2 alphabet (00 GSM 7-bit, 01 8-bit data, 10 UCS2, 11 reserved), bits 1–0 class.
    const compressed = (dcs & 0x20) !== 0;
    const alphabet = ALPHABETS[(dcs >> 2) & 0x03] ?? "gsm7";
    return {
      charset: compressed ? "binary" : alphabet,
      messageClass: dcs & 0x10 ? cls : null,
      compressed,
    };
  }
  if (dcs < 0xc0) return { charset: "gsm7", messageClass: null, compressed: false }; // reserved groups
  if (dcs < 0xe0) return { charset: "gsm7", messageClass: null, compressed: false }; // MWI, GSM 7-bit
  if (dcs < 0xf0) return { charset: "ucs2", messageClass: null, compressed: false }; // MWI, UCS2
  // 1111 xxxx message class group: bit 2 alphabet (0 GSM 7-bit, 1 8-bit data), bits 1–0 class.
  return { charset: dcs & 0x04 ? "binary" : "gsm7", messageClass: cls, compressed: false };
}

/** How the text of a decoded short message was read; `binary` text is upper-case hex. */
export type DecodedEncoding = DataCodingCharset;

/** A short message turned into text. */
export interface DecodedText {
  text: string;
  encoding: DecodedEncoding;
}

/** Node's TextDecoder labels for the SMPP national charsets it knows. */
const TEXT_DECODER_LABEL: Partial<Record<DataCodingCharset, string>> = {
  jis: "shift_jis",
  cyrillic: "iso-8859-5",
  hebrew: "iso-8859-8",
  "iso-2022-jp": "iso-2022-jp",
  "ks-c-5601": "euc-kr",
};

/**
 * Decodes short_message octets (UDH already removed) by their data_coding. GSM default alphabet octets are
 * read as the upstream's `dcs0Charset` says; `fillBits` matters only for packed septets after a UDH.
 * `encoding` is the charset the octets were read with (`latin1`/`ascii` when DCS 0 means that upstream's
 * Latin-1/ASCII). Octet data, pictograms and extended Kanji come back as upper-case hex with `binary`.
 */
export function decodeShortMessage(
  bytes: Uint8Array,
  dataCoding: number,
  dcs0Charset: Dcs0Charset = "gsm7",
  fillBits = 0,
): DecodedText {
  const { charset } = describeDataCoding(dataCoding);
  switch (charset) {
    case "gsm7":
      return decodeDefaultAlphabet(bytes, dcs0Charset, fillBits);
    case "ascii":
    case "latin1":
      // IA5 is 7-bit; reading octets as Latin-1 keeps ASCII as it is and shows stray high octets too.
      return { text: decodeLatin1(bytes), encoding: charset };
    case "ucs2":
      return { text: decodeUcs2(bytes), encoding: "ucs2" };
    default: {
      const label = TEXT_DECODER_LABEL[charset];
      if (label === undefined) return { text: toHex(bytes), encoding: "binary" };
      return { text: new TextDecoder(label).decode(bytes), encoding: charset };
    }
  }
}

function decodeDefaultAlphabet(bytes: Uint8Array, dcs0Charset: Dcs0Charset, fillBits: number): DecodedText {
  switch (dcs0Charset) {
    case "gsm7":
      return { text: decodeGsm7(bytes), encoding: "gsm7" };
    case "gsm7-packed":
      return { text: decodeGsm7Packed(bytes, fillBits), encoding: "gsm7" };
    case "latin1":
    case "ascii":
      return { text: decodeLatin1(bytes), encoding: dcs0Charset };
  }
}

/** Upper-case hex of octets. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex").toUpperCase();
}
