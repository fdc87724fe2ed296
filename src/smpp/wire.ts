/**
 * Wire primitives shared by the compiled PDU codecs: C-octet strings, and the submit_multi lists whose
 * entries are too irregular for the field table. All strings are Latin-1 (one octet per character).
 */
import { SmppDecodeError, SmppEncodeError } from "./errors.js";
import type { DestAddress, UnsuccessSme } from "./pdu.js";
import { CommandStatus } from "./status.js";

/** Strings up to this length are built in JS; longer ones go through the native Latin-1 decoder. */
const SHORT_STRING = 16;

/** Latin-1 text of `b[start, end)`. */
export function latin1(b: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return "";
  // A native call costs more than a few fromCharCode steps for the short ids and addresses SMPP carries.
  if (n <= SHORT_STRING) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i] as number);
    return s;
  }
  return b.toString("latin1", start, end);
}

/** Whether `s` can be written as a C-octet string: Latin-1 only, no embedded NUL. */
export function isCOctetText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) return false;
  }
  return true;
}

/** Writes `s` and its NUL at `o`; returns the offset after the NUL. `s` must pass `isCOctetText`. */
export function writeCString(b: Buffer, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
  b[o++] = 0;
  return o;
}

export function decodeFailure(status: number, commandId: number, seq: number, detail: string): never {
  throw new SmppDecodeError(status, commandId, seq, detail);
}

export function truncated(commandId: number, seq: number, field: string): never {
  throw new SmppDecodeError(
    CommandStatus.ESME_RINVCMDLEN,
    commandId,
    seq,
    `body ends inside mandatory field ${field}`,
  );
}

/**
 * A C-octet string starting at `o` had no NUL before `min(o + max, end)`: either the body ended first
 * (command_length too short) or the string is longer than its field allows.
 */
export function cstringFailure(
  end: number,
  o: number,
  max: number,
  invalid: number,
  commandId: number,
  seq: number,
  field: string,
): never {
  if (o + max > end) truncated(commandId, seq, field);
  throw new SmppDecodeError(invalid, commandId, seq, `${field} has no NUL within its ${max} octets`);
}

export function encodeFailure(command: string, field: string, detail: string): never {
  throw new SmppEncodeError(command, field, detail);
}

/** Checks `s` fits a C-octet string of `max` octets (NUL included); returns its encoded size. */
export function cstringSize(command: string, field: string, s: unknown, max: number): number {
  if (typeof s !== "string") encodeFailure(command, field, `expected a string, got ${typeof s}`);
  if (s.length >= max)
    encodeFailure(command, field, `${s.length} characters exceed the maximum of ${max - 1}`);
  if (!isCOctetText(s)) encodeFailure(command, field, "contains NUL or a character outside Latin-1");
  return s.length + 1;
}

function u8Check(command: string, field: string, v: unknown): number {
  if (typeof v !== "number" || (v & 0xff) !== v)
    encodeFailure(command, field, `${String(v)} is not an octet`);
  return v;
}

/** A cursor for the rarely used list fields; the hot fields are read by compiled code. */
class Reader {
  constructor(
    readonly b: Buffer,
    public o: number,
    readonly commandId: number,
    readonly seq: number,
  ) {}

  u8(field: string): number {
    if (this.o >= this.b.length) truncated(this.commandId, this.seq, field);
    return this.b[this.o++] as number;
  }

  u32(field: string): number {
    if (this.o + 4 > this.b.length) truncated(this.commandId, this.seq, field);
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }

  cstring(field: string, max: number, invalid: number): string {
    const { b, o } = this;
    const lim = Math.min(o + max, b.length);
    let e = o;
    while (e < lim && b[e] !== 0) e++;
    if (e === lim) cstringFailure(b.length, o, max, invalid, this.commandId, this.seq, field);
    this.o = e + 1;
    return latin1(b, o, e);
  }
}

const S = CommandStatus;

/** number_of_dests then each dest_address (§4.5.1.1). Returns the entries and the offset after them. */
export function readDestAddresses(
  b: Buffer,
  o: number,
  commandId: number,
  seq: number,
): { value: DestAddress[]; end: number } {
  const r = new Reader(b, o, commandId, seq);
  const count = r.u8("number_of_dests");
  const value: DestAddress[] = [];
  for (let i = 0; i < count; i++) {
    const flag = r.u8("dest_flag");
    if (flag === 1) {
      const dest_addr_ton = r.u8("dest_addr_ton");
      const dest_addr_npi = r.u8("dest_addr_npi");
      const destination_addr = r.cstring("destination_addr", 21, S.ESME_RINVDSTADR);
      value.push({ dest_flag: 1, dest_addr_ton, dest_addr_npi, destination_addr });
    } else if (flag === 2) {
      value.push({ dest_flag: 2, dl_name: r.cstring("dl_name", 21, S.ESME_RINVDLNAME) });
    } else {
      decodeFailure(S.ESME_RINVDESTFLAG, commandId, seq, `dest_flag ${flag} is neither 1 nor 2`);
    }
  }
  return { value, end: r.o };
}

/** no_unsuccess then each unsuccess_sme (§4.5.2.1). */
export function readUnsuccessSmes(
  b: Buffer,
  o: number,
  commandId: number,
  seq: number,
): { value: UnsuccessSme[]; end: number } {
  const r = new Reader(b, o, commandId, seq);
  const count = r.u8("no_unsuccess");
  const value: UnsuccessSme[] = [];
  for (let i = 0; i < count; i++) {
    const dest_addr_ton = r.u8("dest_addr_ton");
    const dest_addr_npi = r.u8("dest_addr_npi");
    const destination_addr = r.cstring("destination_addr", 21, S.ESME_RINVDSTADR);
    const error_status_code = r.u32("error_status_code");
    value.push({ dest_addr_ton, dest_addr_npi, destination_addr, error_status_code });
  }
  return { value, end: r.o };
}

function listCheck(command: string, field: string, list: unknown): unknown[] {
  if (!Array.isArray(list)) encodeFailure(command, field, "expected an array");
  if (list.length > 0xff) encodeFailure(command, field, `${list.length} entries exceed 255`);
  return list;
}

export function destAddressesSize(command: string, list: unknown): number {
  let n = 1;
  for (const d of listCheck(command, "dest_addresses", list) as DestAddress[]) {
    if (d.dest_flag === 1) {
      u8Check(command, "dest_addresses.dest_addr_ton", d.dest_addr_ton);
      u8Check(command, "dest_addresses.dest_addr_npi", d.dest_addr_npi);
      n += 3 + cstringSize(command, "dest_addresses.destination_addr", d.destination_addr, 21);
    } else if (d.dest_flag === 2) {
      n += 1 + cstringSize(command, "dest_addresses.dl_name", d.dl_name, 21);
    } else {
      encodeFailure(command, "dest_addresses.dest_flag", "must be 1 (SME address) or 2 (distribution list)");
    }
  }
  return n;
}

export function writeDestAddresses(b: Buffer, o: number, list: readonly DestAddress[]): number {
  b[o++] = list.length;
  for (const d of list) {
    b[o++] = d.dest_flag;
    if (d.dest_flag === 1) {
      b[o++] = d.dest_addr_ton;
      b[o++] = d.dest_addr_npi;
      o = writeCString(b, o, d.destination_addr);
    } else {
      o = writeCString(b, o, d.dl_name);
    }
  }
  return o;
}

export function unsuccessSmesSize(command: string, list: unknown): number {
  let n = 1;
  for (const u of listCheck(command, "unsuccess_smes", list) as UnsuccessSme[]) {
    u8Check(command, "unsuccess_smes.dest_addr_ton", u.dest_addr_ton);
    u8Check(command, "unsuccess_smes.dest_addr_npi", u.dest_addr_npi);
    const code = u.error_status_code;
    if (typeof code !== "number" || code >>> 0 !== code) {
      encodeFailure(
        command,
        "unsuccess_smes.error_status_code",
        `${String(code)} is not a 32-bit unsigned integer`,
      );
    }
    n += 6 + cstringSize(command, "unsuccess_smes.destination_addr", u.destination_addr, 21);
  }
  return n;
}

export function writeUnsuccessSmes(b: Buffer, o: number, list: readonly UnsuccessSme[]): number {
  b[o++] = list.length;
  for (const u of list) {
    b[o++] = u.dest_addr_ton;
    b[o++] = u.dest_addr_npi;
    o = writeCString(b, o, u.destination_addr);
    o = b.writeUInt32BE(u.error_status_code, o);
  }
  return o;
}
