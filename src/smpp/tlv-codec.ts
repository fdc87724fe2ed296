/**
 * Reads and writes the TLV part of a PDU body (§5.3) from the TLV table in tlv.ts. Decoding is lenient
 * where real SMSCs are sloppy: repeated tags, C-string TLVs without their NUL, and a known TLV whose length
 * does not fit its type, which is kept raw like an unknown tag (one optional parameter must not cost a
 * receipt or an inbound SMS). A TLV running past the body is refused: the stream itself is broken then.
 * Encoding is strict.
 */
import { SmppDecodeError } from "./errors.js";
import { CommandStatus } from "./status.js";
import { type MalformedTlv, TLV_DEFS, type TlvDef, type TlvName, type Tlvs, type UnknownTlv } from "./tlv.js";
import { cstringSize, encodeFailure, latin1, writeCString } from "./wire.js";

/** How {@link decodeTlvs} (and so `decodePdu`) treats a known TLV whose length does not fit its type. */
export interface DecodeOptions {
  /**
   * Refuse it with ESME_RINVPARLEN instead of keeping it raw in `tlvs.unknown`. Default false. For the
   * SMSC side (the simulator), where being strict catches our own encoding bugs.
   */
  readonly strictTlvs?: boolean | undefined;
  /** Told of each one kept raw (lenient mode only). Must not throw. Default none. */
  readonly onMalformedTlv?: ((tlv: MalformedTlv) => void) | undefined;
}

/** The default: a known TLV of the wrong length is kept raw, and nobody is told. */
export const LENIENT: DecodeOptions = Object.freeze({});

const byName = new Map<string, TlvDef>(TLV_DEFS.map((d) => [d.name, d]));

const FIXED_LENGTH: Partial<Record<TlvDef["kind"], number>> = {
  u8: 1,
  u16: 2,
  u32: 4,
  flag: 0,
  network_error_code: 3,
};

/**
 * A known TLV with a length its type cannot have: throws ESME_RINVPARLEN in strict mode, otherwise
 * reports it and returns true (the caller keeps it raw).
 */
function malformed(
  def: TlvDef,
  len: number,
  commandId: number,
  seq: number,
  opt: DecodeOptions,
  reason: string,
): true {
  if (opt.strictTlvs === true)
    throw new SmppDecodeError(CommandStatus.ESME_RINVPARLEN, commandId, seq, reason);
  opt.onMalformedTlv?.({ commandId, tag: def.tag, name: def.name as TlvName, length: len, reason });
  return true;
}

function badLength(def: TlvDef, len: number, commandId: number, seq: number, opt: DecodeOptions): true {
  const reason = `TLV ${def.name} has length ${len}, expected ${FIXED_LENGTH[def.kind]}`;
  return malformed(def, len, commandId, seq, opt, reason);
}

/**
 * The text of a C-string TLV, or undefined when it is kept raw. Some SMSCs leave out the NUL: the value
 * then ends with the TLV, as long as it still fits the field with its NUL (so that whatever decodes also
 * encodes).
 */
function cstringTlv(
  def: TlvDef,
  b: Buffer,
  o: number,
  len: number,
  commandId: number,
  seq: number,
  opt: DecodeOptions,
): string | undefined {
  const max = def.max ?? 0xffff;
  if (len > max) {
    malformed(def, len, commandId, seq, opt, `TLV ${def.name} has length ${len}, over its maximum of ${max}`);
    return undefined;
  }
  let e = o;
  const end = o + len;
  while (e < end && b[e] !== 0) e++;
  if (e - o >= max) {
    const reason = `TLV ${def.name} has ${e - o} characters without NUL, over its maximum of ${max - 1}`;
    malformed(def, len, commandId, seq, opt, reason);
    return undefined;
  }
  return latin1(b, o, e);
}

function strayOctets(left: number, commandId: number, seq: number): never {
  throw new SmppDecodeError(
    CommandStatus.ESME_RINVOPTPARSTREAM,
    commandId,
    seq,
    `${left} stray octets after the last TLV`,
  );
}

function overrun(tag: number, len: number, commandId: number, seq: number): never {
  throw new SmppDecodeError(
    CommandStatus.ESME_RINVOPTPARSTREAM,
    commandId,
    seq,
    `TLV 0x${tag.toString(16).padStart(4, "0")} length ${len} runs past the end of the PDU`,
  );
}

/** The expression that reads the value of `def` at `o` (a fixed length already checked). */
function valueSource(def: TlvDef, index: number): string {
  switch (def.kind) {
    case "u8":
      return "b[o]";
    case "u16":
      return "(b[o] << 8) | b[o + 1]";
    case "u32":
      return "b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])";
    case "flag":
      return "true";
    case "network_error_code":
      return "{ network_type: b[o], error_code: (b[o + 1] << 8) | b[o + 2] }";
    case "octets":
      return "b.subarray(o, o + len)";
    case "cstring":
      return `rt.cstringTlv(rt.defs[${index}], b, o, len, cmd, seq, opt)`;
  }
}

/**
 * Generates the TLV decoder from the table: one `switch` case per known tag, each storing under a constant
 * property name. A generic loop with computed names (`out[def.name] = …`) ran at half the speed, and every
 * receipt deliver_sm goes through here. A case that `break`s instead of `continue`s (a repeat, or a length
 * kept raw) falls through to the raw list.
 */
function decoderSource(): string {
  const cases = TLV_DEFS.map((def: TlvDef, i) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(def.name)) throw new Error(`TLV table: bad name ${def.name}`);
    const fixed = FIXED_LENGTH[def.kind];
    const store =
      def.kind === "cstring"
        ? `const v = ${valueSource(def, i)}; if (v === undefined) break; out.${def.name} = v;`
        : `${fixed === undefined ? "" : `if (len !== ${fixed} && rt.badLength(rt.defs[${i}], len, cmd, seq, opt)) break; `}out.${def.name} = ${valueSource(def, i)};`;
    return `case ${def.tag}: if (out.${def.name} === undefined) { ${store} o += len; continue; } break;`;
  });
  return [
    "return function decodeTlvs(b, o, cmd, seq, opt) {",
    "const end = b.length; const out = {}; let unknown;",
    "while (o < end) {",
    "if (end - o < 4) rt.strayOctets(end - o, cmd, seq);",
    "const tag = (b[o] << 8) | b[o + 1]; const len = (b[o + 2] << 8) | b[o + 3]; o += 4;",
    "if (o + len > end) rt.overrun(tag, len, cmd, seq);",
    "switch (tag) {",
    ...cases,
    "}",
    // Unknown tags, repeats of a known one, and known ones whose length does not fit their type.
    "if (unknown === undefined) { unknown = []; out.unknown = unknown; }",
    "unknown.push({ tag, value: b.subarray(o, o + len) }); o += len;",
    "}",
    "return out; };",
  ].join("\n");
}

/**
 * Decodes the TLVs in `b[o, b.length)`. Properties appear in wire order; unknown tags, repeats of a
 * known tag and (unless `opt.strictTlvs`) known tags whose length does not fit their type are kept raw in
 * `unknown`, their typed value absent.
 * @throws SmppDecodeError ESME_RINVOPTPARSTREAM when a TLV overruns the body; ESME_RINVPARLEN when a known
 *   TLV has the wrong length and `opt.strictTlvs` is set.
 */
export const decodeTlvs: (b: Buffer, o: number, commandId: number, seq: number, opt: DecodeOptions) => Tlvs =
  new Function(
    "rt",
    // Generated from the static TLV table only; no input reaches the source text.
    decoderSource(),
  )({ defs: TLV_DEFS, badLength, cstringTlv, strayOctets, overrun });

function intCheck(command: string, name: string, v: unknown, mask: number): number {
  if (typeof v !== "number" || (mask === 0xffffffff ? v >>> 0 : v & mask) !== v) {
    encodeFailure(
      command,
      `tlvs.${name}`,
      `${String(v)} does not fit ${mask === 0xff ? 1 : mask === 0xffff ? 2 : 4} octets`,
    );
  }
  return v;
}

function octetsCheck(command: string, field: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) encodeFailure(command, field, "expected a Buffer");
  if (v.length > 0xffff) encodeFailure(command, field, `${v.length} octets exceed a TLV's 65535`);
  return v;
}

function valueSize(command: string, def: TlvDef, v: unknown): number {
  switch (def.kind) {
    case "u8":
      intCheck(command, def.name, v, 0xff);
      return 1;
    case "u16":
      intCheck(command, def.name, v, 0xffff);
      return 2;
    case "u32":
      intCheck(command, def.name, v, 0xffffffff);
      return 4;
    case "flag":
      if (v !== true) encodeFailure(command, `tlvs.${def.name}`, "a flag TLV is `true` or absent");
      return 0;
    case "network_error_code": {
      const { network_type, error_code } = (v ?? {}) as { network_type?: unknown; error_code?: unknown };
      intCheck(command, `${def.name}.network_type`, network_type, 0xff);
      intCheck(command, `${def.name}.error_code`, error_code, 0xffff);
      return 3;
    }
    case "octets":
      return octetsCheck(command, `tlvs.${def.name}`, v).length;
    case "cstring":
      return cstringSize(command, `tlvs.${def.name}`, v, def.max ?? 0xffff);
  }
}

/** Encoded size of `tlvs` (0 when none); validates every value so `writeTlvs` cannot fail halfway. */
export function tlvsSize(command: string, tlvs: Tlvs): number {
  let n = 0;
  for (const name in tlvs) {
    const v: unknown = tlvs[name as keyof Tlvs];
    if (v === undefined) continue;
    if (name === "unknown") {
      if (!Array.isArray(v)) encodeFailure(command, "tlvs.unknown", "expected an array");
      for (const u of v as UnknownTlv[]) {
        intCheck(command, "unknown.tag", u.tag, 0xffff);
        n += 4 + octetsCheck(command, "tlvs.unknown.value", u.value).length;
      }
      continue;
    }
    const def = byName.get(name);
    if (def === undefined) encodeFailure(command, `tlvs.${name}`, "is not a known TLV (put it in `unknown`)");
    n += 4 + valueSize(command, def, v);
  }
  return n;
}

function header(b: Buffer, o: number, tag: number, len: number): number {
  b[o] = tag >>> 8;
  b[o + 1] = tag & 0xff;
  b[o + 2] = len >>> 8;
  b[o + 3] = len & 0xff;
  return o + 4;
}

const knownTags: ReadonlySet<number> = new Set(TLV_DEFS.map((d) => d.tag));

function writeRaw(b: Buffer, o: number, u: UnknownTlv): number {
  o = header(b, o, u.tag, u.value.length);
  b.set(u.value, o);
  return o + u.value.length;
}

/**
 * Writes `tlvs` (already checked by `tlvsSize`) at `o`; returns the offset after them. Raw repeats of a
 * known tag go last, after every typed TLV: written where `unknown` sits, a repeat could land before the
 * first occurrence and win when decoded again (found by the fuzzer).
 */
export function writeTlvs(tlvs: Tlvs, b: Buffer, o: number): number {
  let repeats: UnknownTlv[] | undefined;
  for (const name in tlvs) {
    const v: unknown = tlvs[name as keyof Tlvs];
    if (v === undefined) continue;
    if (name === "unknown") {
      repeats = v as UnknownTlv[];
      for (const u of repeats) if (!knownTags.has(u.tag)) o = writeRaw(b, o, u);
      continue;
    }
    const def = byName.get(name) as TlvDef;
    switch (def.kind) {
      case "u8":
        o = header(b, o, def.tag, 1);
        b[o++] = v as number;
        break;
      case "u16":
        o = header(b, o, def.tag, 2);
        o = b.writeUInt16BE(v as number, o);
        break;
      case "u32":
        o = header(b, o, def.tag, 4);
        o = b.writeUInt32BE(v as number, o);
        break;
      case "flag":
        o = header(b, o, def.tag, 0);
        break;
      case "network_error_code": {
        const nec = v as { network_type: number; error_code: number };
        o = header(b, o, def.tag, 3);
        b[o++] = nec.network_type;
        o = b.writeUInt16BE(nec.error_code, o);
        break;
      }
      case "octets": {
        const octets = v as Uint8Array;
        o = header(b, o, def.tag, octets.length);
        b.set(octets, o);
        o += octets.length;
        break;
      }
      case "cstring": {
        const s = v as string;
        o = header(b, o, def.tag, s.length + 1);
        o = writeCString(b, o, s);
        break;
      }
    }
  }
  if (repeats !== undefined) for (const u of repeats) if (knownTags.has(u.tag)) o = writeRaw(b, o, u);
  return o;
}
