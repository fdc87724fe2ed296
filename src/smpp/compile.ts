/**
 * Compiles the PDU table (pdu.ts) into one specialised encoder, decoder and empty-body constructor per
 * command. The field list is turned into straight-line JavaScript once, at module load, so that each PDU
 * type gets monomorphic property access and fixed-shape result objects: a generic loop over the table
 * runs several times slower, and the codec sits on every message's path.
 *
 * The generated code only reads the table (names, kinds, limits, status codes) and calls the helpers in
 * `runtime`; no input ever reaches the source text.
 */
import { CommandId, type CommandName, isResponseId } from "./commands.js";
import { type FieldDef, type FieldKind, PDU_BODIES, type Pdu } from "./pdu.js";
import { CommandStatus } from "./status.js";
import { type DecodeOptions, decodeTlvs, tlvsSize, writeTlvs } from "./tlv-codec.js";
import {
  cstringFailure,
  cstringSize,
  decodeFailure,
  destAddressesSize,
  encodeFailure,
  latin1,
  readDestAddresses,
  readUnsuccessSmes,
  truncated,
  unsuccessSmesSize,
  writeDestAddresses,
  writeUnsuccessSmes,
} from "./wire.js";

export interface CompiledCommand {
  readonly name: CommandName;
  readonly id: number;
  readonly isResponse: boolean;
  /** Whole PDU, header included. */
  readonly encode: (pdu: Pdu) => Buffer;
  /** Body of a frame whose header was already read and checked; `opt` says how TLVs are read. */
  readonly decode: (frame: Buffer, status: number, seq: number, opt: DecodeOptions) => Pdu;
  /** The PDU with every body field at its empty value (what a header-only error response means). */
  readonly empty: (status: number, seq: number) => Pdu;
}

const EMPTY = Buffer.alloc(0);

const runtime = {
  EMPTY,
  alloc: (n: number) => Buffer.allocUnsafe(n),
  latin1,
  truncated,
  cstringFailure,
  decodeFailure,
  readDestAddresses,
  readUnsuccessSmes,
  decodeTlvs,
  cstringSize,
  encodeFailure,
  tlvsSize,
  writeTlvs,
  destAddressesSize,
  writeDestAddresses,
  unsuccessSmesSize,
  writeUnsuccessSmes,
  badInt(command: string, field: string, v: unknown, octets: number): never {
    return encodeFailure(command, field, `${String(v)} is not an unsigned ${octets * 8}-bit integer`);
  },
  badText(command: string, field: string): never {
    return encodeFailure(command, field, "contains NUL or a character outside Latin-1");
  },
  badTime(command: string, field: string, v: unknown): never {
    return encodeFailure(
      command,
      field,
      `${JSON.stringify(v)} is neither empty nor a 16-character SMPP time`,
    );
  },
  badShortMessage(command: string, v: unknown): never {
    return v instanceof Uint8Array
      ? encodeFailure(command, "short_message", `${v.length} octets exceed 254 (use message_payload)`)
      : encodeFailure(command, "short_message", "expected a Buffer");
  },
};

type Runtime = typeof runtime;

const FIXED_SIZE: Partial<Record<FieldKind, number>> = { u8: 1, u16: 2, u32: 4 };
const INT_CHECK: Partial<Record<FieldKind, (v: string) => string>> = {
  u8: (v) => `(${v} & 0xff) !== ${v}`,
  u16: (v) => `(${v} & 0xffff) !== ${v}`,
  u32: (v) => `(${v} >>> 0) !== ${v}`,
};

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`PDU table: bad field name ${name}`);
  return name;
}

function readInt(kind: FieldKind, at: string): string {
  if (kind === "u8") return `b[${at}]`;
  if (kind === "u16") return `((b[${at}] << 8) | b[${at} + 1])`;
  return `(b[${at}] * 16777216 + ((b[${at} + 1] << 16) | (b[${at} + 2] << 8) | b[${at} + 3]))`;
}

function writeU32(at: number, v: string): string {
  return `b[${at}] = ${v} >>> 24; b[${at + 1}] = (${v} >>> 16) & 255; b[${at + 2}] = (${v} >>> 8) & 255; b[${at + 3}] = ${v} & 255;`;
}

function defaultValue(kind: FieldKind): string {
  switch (kind) {
    case "u8":
    case "u16":
    case "u32":
      return "0";
    case "cstring":
    case "time":
      return '""';
    case "short_message":
      return "rt.EMPTY";
    case "dest_addresses":
    case "unsuccess_smes":
      return "[]";
  }
}

function isDefault(kind: FieldKind, v: string): string {
  return FIXED_SIZE[kind] === undefined ? `${v}.length === 0` : `${v} === 0`;
}

function resultObject(name: CommandName, fields: readonly FieldDef[], value: (i: number) => string): string {
  const props = fields.map((f, i) => `${identifier(f.name)}: ${value(i)}`);
  return `{ command: ${JSON.stringify(name)}, command_status: st, sequence_number: seq, ${[...props, "tlvs: tl"].join(", ")} }`;
}

function encoderSource(name: CommandName, id: number, fields: readonly FieldDef[]): string {
  const C = JSON.stringify(name);
  const checks: string[] = [
    "const st = p.command_status; const seq = p.sequence_number;",
    `if ((st >>> 0) !== st) rt.badInt(${C}, "command_status", st, 4);`,
    `if ((seq >>> 0) !== seq) rt.badInt(${C}, "sequence_number", seq, 4);`,
  ];
  const writes: string[] = [];
  const sizes: string[] = [];
  let fixed = 16;
  fields.forEach((f, i) => {
    const v = `f${i}`;
    const F = JSON.stringify(f.name);
    checks.push(`const ${v} = p.${identifier(f.name)};`);
    const intCheck = INT_CHECK[f.kind];
    const size = FIXED_SIZE[f.kind];
    if (intCheck !== undefined && size !== undefined) {
      checks.push(`if (${intCheck(v)}) rt.badInt(${C}, ${F}, ${v}, ${size});`);
      fixed += size;
      if (size === 1) writes.push(`b[o++] = ${v};`);
      else if (size === 2) writes.push(`b[o++] = ${v} >>> 8; b[o++] = ${v} & 255;`);
      else
        writes.push(
          `b[o++] = ${v} >>> 24; b[o++] = (${v} >>> 16) & 255; b[o++] = (${v} >>> 8) & 255; b[o++] = ${v} & 255;`,
        );
      return;
    }
    switch (f.kind) {
      case "cstring":
      case "time": {
        if (f.kind === "cstring") {
          const max = f.max ?? 0;
          checks.push(
            `if (typeof ${v} !== "string" || ${v}.length >= ${max}) rt.cstringSize(${C}, ${F}, ${v}, ${max});`,
          );
        } else {
          checks.push(
            `if (typeof ${v} !== "string" || (${v}.length !== 0 && ${v}.length !== 16)) rt.badTime(${C}, ${F}, ${v});`,
          );
        }
        sizes.push(`${v}.length`);
        fixed += 1;
        writes.push(
          `for (let i = 0; i < ${v}.length; i++) { const c = ${v}.charCodeAt(i); if (c === 0 || c > 255) rt.badText(${C}, ${F}); b[o++] = c; } b[o++] = 0;`,
        );
        return;
      }
      case "short_message":
        checks.push(
          `if (!(${v} instanceof Uint8Array) || ${v}.length > 254) rt.badShortMessage(${C}, ${v});`,
        );
        sizes.push(`${v}.length`);
        fixed += 1;
        writes.push(`b[o++] = ${v}.length; if (${v}.length !== 0) { b.set(${v}, o); o += ${v}.length; }`);
        return;
      case "dest_addresses":
        checks.push(`const s${i} = rt.destAddressesSize(${C}, ${v});`);
        sizes.push(`s${i}`);
        writes.push(`o = rt.writeDestAddresses(b, o, ${v});`);
        return;
      case "unsuccess_smes":
        checks.push(`const s${i} = rt.unsuccessSmesSize(${C}, ${v});`);
        sizes.push(`s${i}`);
        writes.push(`o = rt.writeUnsuccessSmes(b, o, ${v});`);
        return;
      default:
        throw new Error(`PDU table: unhandled kind ${f.kind}`);
    }
  });
  checks.push(`const tl = p.tlvs; const tn = tl === undefined ? 0 : rt.tlvsSize(${C}, tl);`);
  const header = (n: string) => [
    `const b = rt.alloc(${n});`,
    writeU32(0, n),
    writeU32(4, String(id)),
    writeU32(8, "st"),
    writeU32(12, "seq"),
  ];
  // §4.4.2: a failed response carries no body; only an all-empty one is dropped, so nothing is lost.
  const headerOnly =
    isResponseId(id) && fields.length > 0
      ? [
          `if (st !== 0 && tn === 0 && ${fields.map((f, i) => isDefault(f.kind, `f${i}`)).join(" && ")}) {`,
          ...header("16"),
          "return b; }",
        ]
      : [];
  return [
    `return function encode_${name}(p) {`,
    ...checks,
    ...headerOnly,
    `const n = ${[String(fixed), ...sizes, "tn"].join(" + ")};`,
    ...header("n"),
    "let o = 16;",
    ...writes,
    "if (tn !== 0) o = rt.writeTlvs(tl, b, o);",
    "return b; };",
  ].join("\n");
}

function decoderSource(name: CommandName, id: number, fields: readonly FieldDef[]): string {
  const lines = [
    `return function decode_${name}(b, st, seq, opt) {`,
    "const end = b.length; let o = 16; let e = 0; let lim = 0;",
  ];
  let i = 0;
  while (i < fields.length) {
    const f = fields[i] as FieldDef;
    const F = JSON.stringify(f.name);
    const v = `f${i}`;
    if (FIXED_SIZE[f.kind] !== undefined) {
      // One bounds check for a run of fixed-size fields.
      let j = i;
      let run = 0;
      const reads: string[] = [];
      for (let g = fields[j]; g !== undefined && FIXED_SIZE[g.kind] !== undefined; g = fields[++j]) {
        reads.push(`const f${j} = ${readInt(g.kind, run === 0 ? "o" : `o + ${run}`)};`);
        run += FIXED_SIZE[g.kind] ?? 0;
      }
      lines.push(`if (o + ${run} > end) rt.truncated(${id}, seq, ${F});`, ...reads, `o += ${run};`);
      i = j;
      continue;
    }
    switch (f.kind) {
      case "cstring":
      case "time": {
        const max = f.kind === "time" ? 17 : (f.max ?? 0);
        const invalid = f.invalid ?? CommandStatus.ESME_RINVPARLEN;
        lines.push(
          `lim = o + ${max}; if (lim > end) lim = end;`,
          "e = o; while (e < lim && b[e] !== 0) e++;",
          `if (e === lim) rt.cstringFailure(end, o, ${max}, ${invalid}, ${id}, seq, ${F});`,
        );
        if (f.kind === "time") {
          lines.push(
            `if (e !== o && e - o !== 16) rt.decodeFailure(${invalid}, ${id}, seq, ${JSON.stringify(`${f.name} is neither empty nor 16 characters`)});`,
          );
        }
        lines.push(`const ${v} = rt.latin1(b, o, e); o = e + 1;`);
        break;
      }
      case "short_message":
        lines.push(
          `if (o >= end) rt.truncated(${id}, seq, "sm_length");`,
          "e = b[o++];",
          `if (e > 254 || o + e > end) rt.decodeFailure(${CommandStatus.ESME_RINVMSGLEN}, ${id}, seq, "sm_length " + e + " exceeds 254 or the " + (end - o) + " octets left");`,
          `const ${v} = b.subarray(o, o + e); o += e;`,
        );
        break;
      case "dest_addresses":
        lines.push(
          `const r${i} = rt.readDestAddresses(b, o, ${id}, seq); const ${v} = r${i}.value; o = r${i}.end;`,
        );
        break;
      case "unsuccess_smes":
        lines.push(
          `const r${i} = rt.readUnsuccessSmes(b, o, ${id}, seq); const ${v} = r${i}.value; o = r${i}.end;`,
        );
        break;
      default:
        throw new Error(`PDU table: unhandled kind ${f.kind}`);
    }
    i++;
  }
  lines.push(
    `const tl = o === end ? undefined : rt.decodeTlvs(b, o, ${id}, seq, opt);`,
    `return ${resultObject(name, fields, (k) => `f${k}`)}; };`,
  );
  return lines.join("\n");
}

function emptySource(name: CommandName, fields: readonly FieldDef[]): string {
  return `return function empty_${name}(st, seq) { const tl = undefined; return ${resultObject(name, fields, (k) => defaultValue((fields[k] as FieldDef).kind))}; };`;
}

function build<T>(source: string): T {
  // Generated from the static PDU table only (see the module comment).
  return new Function("rt", source)(runtime satisfies Runtime) as T;
}

function compileCommand(name: CommandName): CompiledCommand {
  const id = CommandId[name];
  const fields: readonly FieldDef[] = PDU_BODIES[name];
  return {
    name,
    id,
    isResponse: isResponseId(id),
    encode: build(encoderSource(name, id, fields)),
    decode: build(decoderSource(name, id, fields)),
    empty: build(emptySource(name, fields)),
  };
}

/** Every command, compiled once. */
export const COMPILED: ReadonlyMap<CommandName, CompiledCommand> = new Map(
  (Object.keys(CommandId) as CommandName[]).map((name) => [name, compileCommand(name)]),
);

/** The generated JavaScript for one command, for reading and debugging. */
export function generatedSource(name: CommandName): { encode: string; decode: string; empty: string } {
  const fields: readonly FieldDef[] = PDU_BODIES[name];
  const id = CommandId[name];
  return {
    encode: encoderSource(name, id, fields),
    decode: decoderSource(name, id, fields),
    empty: emptySource(name, fields),
  };
}
