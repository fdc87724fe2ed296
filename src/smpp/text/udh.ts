/**
 * User data header (3GPP TS 23.040 §9.2.3.24): UDHL, then information elements (IEI, length, data).
 * We build concatenation headers and parse any header, keeping elements we do not interpret.
 */

import { MalformedUdhError } from "./errors.js";

/** IEI 0x00: concatenated short messages, 8-bit reference. */
export const IEI_CONCAT_8 = 0x00;
/** IEI 0x08: concatenated short messages, 16-bit reference. */
export const IEI_CONCAT_16 = 0x08;
/** IEI 0x04: application port addressing, 8-bit ports. */
export const IEI_PORTS_8 = 0x04;
/** IEI 0x05: application port addressing, 16-bit ports. */
export const IEI_PORTS_16 = 0x05;

/** One information element as found on the wire. */
export interface UdhElement {
  iei: number;
  data: Buffer;
}

/** Concatenation info of one segment. */
export interface ConcatIe {
  /** Reference shared by all segments of one message (0–255 or 0–65535). */
  ref: number;
  /** Number of segments, 1–255. */
  total: number;
  /** This segment's number, 1-based. */
  seq: number;
  /** Width of `ref` on the wire. */
  refBits: 8 | 16;
}

/** Application port addressing. */
export interface PortsIe {
  destination: number;
  source: number;
  bits: 8 | 16;
}

/** A parsed header. */
export interface Udh {
  /** Octets the header takes, UDHL octet included; the message body starts here. */
  length: number;
  /** Every element in wire order, interpreted or not. */
  elements: UdhElement[];
  /** The first valid concatenation element, or null (23.040: a 0 total or out-of-range seq is ignored). */
  concat: ConcatIe | null;
  /** The first port addressing element, or null. */
  ports: PortsIe | null;
}

/** Builds a header from elements: UDHL, then each IEI, length, data. */
export function buildUdh(elements: readonly UdhElement[]): Buffer {
  const bodyLength = elements.reduce((sum, e) => sum + 2 + e.data.length, 0);
  if (bodyLength > 0xff) throw new MalformedUdhError(`UDH of ${bodyLength} octets exceeds 255`);
  const out = Buffer.allocUnsafe(1 + bodyLength);
  out[0] = bodyLength;
  let pos = 1;
  for (const e of elements) {
    out[pos++] = e.iei;
    out[pos++] = e.data.length;
    pos += e.data.copy(out, pos);
  }
  return out;
}

/**
 * The concatenation header of one segment: `05 00 03 RR TT SS` (8-bit ref) or `06 08 04 RRRR TT SS`
 * (16-bit ref). `ref` is reduced modulo 2^refBits.
 */
export function buildConcatUdh(concat: ConcatIe): Buffer {
  if (concat.refBits === 8) {
    return Buffer.from([0x05, IEI_CONCAT_8, 0x03, concat.ref & 0xff, concat.total, concat.seq]);
  }
  const ref = concat.ref & 0xffff;
  return Buffer.from([0x06, IEI_CONCAT_16, 0x04, ref >> 8, ref & 0xff, concat.total, concat.seq]);
}

/**
 * Parses the header at the start of `userData` (the short_message of a PDU with esm_class UDHI set).
 * Throws `MalformedUdhError` when a length runs past the data.
 */
export function parseUdh(userData: Uint8Array): Udh {
  const udhl = userData[0];
  if (udhl === undefined) throw new MalformedUdhError("UDHI set but the user data is empty");
  const end = 1 + udhl;
  if (end > userData.length) {
    throw new MalformedUdhError(`UDHL ${udhl} runs past ${userData.length} octets of user data`);
  }
  const elements: UdhElement[] = [];
  let concat: ConcatIe | null = null;
  let ports: PortsIe | null = null;
  let pos = 1;
  while (pos < end) {
    const iei = userData[pos] ?? 0;
    const len = userData[pos + 1];
    if (len === undefined || pos + 2 + len > end) {
      throw new MalformedUdhError(`information element 0x${iei.toString(16)} at ${pos} runs past the UDH`);
    }
    const data = Buffer.from(userData.subarray(pos + 2, pos + 2 + len));
    elements.push({ iei, data });
    concat ??= readConcat(iei, data);
    ports ??= readPorts(iei, data);
    pos += 2 + len;
  }
  return { length: end, elements, concat, ports };
}

function readConcat(iei: number, d: Buffer): ConcatIe | null {
  let ie: ConcatIe;
  if (iei === IEI_CONCAT_8 && d.length === 3) {
    ie = { ref: d.readUInt8(0), total: d.readUInt8(1), seq: d.readUInt8(2), refBits: 8 };
  } else if (iei === IEI_CONCAT_16 && d.length === 4) {
    ie = { ref: d.readUInt16BE(0), total: d.readUInt8(2), seq: d.readUInt8(3), refBits: 16 };
  } else {
    return null;
  }
  return ie.total >= 1 && ie.seq >= 1 && ie.seq <= ie.total ? ie : null;
}

function readPorts(iei: number, d: Buffer): PortsIe | null {
  if (iei === IEI_PORTS_8 && d.length === 2) {
    return { destination: d.readUInt8(0), source: d.readUInt8(1), bits: 8 };
  }
  if (iei === IEI_PORTS_16 && d.length === 4) {
    return { destination: d.readUInt16BE(0), source: d.readUInt16BE(2), bits: 16 };
  }
  return null;
}
