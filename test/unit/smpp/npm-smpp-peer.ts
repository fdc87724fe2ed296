/**
 * The npm `smpp` package (lib/pdu.js, lib/defs.js) as an independent codec, and the mapping between its
 * PDU objects and ours. Names and layouts differ in a few places (`dest_address` for our `dest_addresses`,
 * `dest_port` for `destination_port`, raw buffers where we type a TLV); everything else is the same field.
 */
import { createRequire } from "node:module";
import type { CommandName } from "../../../src/smpp/commands.js";
import { type FieldDef, PDU_BODIES, type Pdu } from "../../../src/smpp/pdu.js";
import { TLV_DEFS, type TlvDef, type Tlvs, type UnknownTlv } from "../../../src/smpp/tlv.js";

/** A PDU object of the peer: header fields, body fields and TLVs as own properties. */
export interface PeerPdu {
  command: string;
  command_length: number;
  command_id: number;
  command_status: number;
  sequence_number: number;
  toBuffer(): Buffer;
  [field: string]: unknown;
}

interface PeerPduClass {
  new (command: string, options?: Record<string, unknown>): PeerPdu;
  new (frame: Buffer): PeerPdu;
}

interface PeerType {
  read: unknown;
}

interface PeerTlvDef {
  id: number;
  type: PeerType;
  multiple?: boolean;
  filter?: unknown;
}

interface PeerDefs {
  commands: Record<string, { id: number; params?: Record<string, unknown> }>;
  tlvs: Record<string, PeerTlvDef>;
  tlvsById: Record<number, PeerTlvDef & { tag: string }>;
  types: { tlv: Record<"int8" | "int16" | "int32" | "cstring" | "string" | "buffer", PeerType> };
}

const require = createRequire(import.meta.url);
export const PeerPDU = (require("smpp/lib/pdu.js") as { PDU: PeerPduClass }).PDU;
export const peerDefs = require("smpp/lib/defs.js") as PeerDefs;

/** The peer's PDU for a frame (what its session does with every PDU it reads). */
export function peerDecode(frame: Buffer): PeerPdu {
  return new PeerPDU(frame);
}

/**
 * Our TLVs whose wire layout the peer gets wrong or differently; they are left out of the round trips and
 * pinned by their own tests.
 */
export const DIVERGENT_TLVS: Readonly<Record<string, string>> = {
  // §5.3.2.16: a 1-octet value; the peer reads and writes 2 octets.
  source_telematics_id: "peer uses 2 octets, v3.4 says 1",
  // §5.3.2.41: no value (length 0); the peer reads and writes 1 octet (the SMPP 5.0 form).
  alert_on_message_delivery: "peer uses 1 octet, v3.4 says 0",
};

interface TlvAdapter {
  peerName: string;
  toPeer(v: unknown): unknown;
  fromPeer(v: unknown): unknown;
}

const same = (v: unknown) => v;

function asBuffer(v: unknown, what: string): Buffer {
  if (!Buffer.isBuffer(v)) throw new Error(`${what}: the peer gave ${typeof v}, expected a Buffer`);
  return v;
}

function onlyOne(v: unknown, what: string): unknown {
  if (!Array.isArray(v) || v.length !== 1) throw new Error(`${what}: expected one value from the peer`);
  return v[0];
}

/** The user data the peer's message filter hands back: a Buffer, or `{ message }` without a UDH. */
function peerMessageBytes(v: unknown, what: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const m = v as { message?: unknown; udh?: unknown };
  if (m.udh !== undefined) throw new Error(`${what}: unexpected UDH split by the peer`);
  return asBuffer(m.message, what);
}

/** Where our typed TLV and the peer's differ only in how the value is represented. */
const SPECIAL: Record<string, TlvAdapter> = {
  destination_port: { peerName: "dest_port", toPeer: same, fromPeer: same },
  network_error_code: {
    peerName: "network_error_code",
    toPeer: (v) => {
      const nec = v as { network_type: number; error_code: number };
      return Buffer.from([nec.network_type, nec.error_code >>> 8, nec.error_code & 0xff]);
    },
    fromPeer: (v) => {
      const b = asBuffer(v, "network_error_code");
      return { network_type: b[0], error_code: b.readUInt16BE(1) };
    },
  },
  ms_validity: {
    peerName: "ms_validity",
    toPeer: (v) => Buffer.from([v as number]),
    fromPeer: (v) => asBuffer(v, "ms_validity").readUInt8(0),
  },
  its_session_info: {
    peerName: "its_session_info",
    toPeer: (v) => Buffer.from([(v as number) >>> 8, (v as number) & 0xff]),
    fromPeer: (v) => asBuffer(v, "its_session_info").readUInt16BE(0),
  },
  message_payload: {
    peerName: "message_payload",
    toPeer: same,
    fromPeer: (v) => peerMessageBytes(v, "message_payload"),
  },
  callback_num_pres_ind: {
    peerName: "callback_num_pres_ind",
    toPeer: (v) => [v],
    fromPeer: (v) => onlyOne(v, "callback_num_pres_ind"),
  },
  callback_num: {
    peerName: "callback_num",
    toPeer: (v) => [v],
    fromPeer: (v) => {
      const c = onlyOne(v, "callback_num") as {
        digit_mode: number;
        ton: number;
        npi: number;
        number: string;
      };
      return Buffer.concat([Buffer.from([c.digit_mode, c.ton, c.npi]), Buffer.from(c.number, "latin1")]);
    },
  },
  callback_num_atag: {
    peerName: "callback_num_atag",
    toPeer: (v) => [v],
    fromPeer: (v) => {
      const a = onlyOne(v, "callback_num_atag") as { encoding: number; display: Buffer };
      return Buffer.concat([Buffer.from([a.encoding]), a.display]);
    },
  },
};

/** Our TLV kind and the peer type that carry the same octets with the same JavaScript value. */
function sameRepresentation(def: TlvDef, peer: PeerTlvDef): boolean {
  const t = peerDefs.types.tlv;
  if (peer.multiple === true) return false;
  switch (def.kind) {
    case "u8":
      return peer.type === t.int8;
    case "u16":
      return peer.type === t.int16;
    case "u32":
      return peer.type === t.int32;
    case "cstring":
      return peer.type === t.cstring;
    case "octets":
      return peer.type === t.buffer && peer.filter === undefined;
    default:
      return false;
  }
}

/** Every TLV both codecs know under the same tag and can exchange, with its adapter. */
export const SHARED_TLVS: ReadonlyMap<string, TlvAdapter & { def: TlvDef }> = new Map(
  TLV_DEFS.flatMap((def: TlvDef) => {
    const peer = peerDefs.tlvsById[def.tag];
    if (peer === undefined || Object.hasOwn(DIVERGENT_TLVS, def.name)) return [];
    const special = SPECIAL[def.name];
    if (special !== undefined) return [[def.name, { ...special, def }] as const];
    if (peer.tag !== def.name || !sameRepresentation(def, peer)) {
      throw new Error(`TLV ${def.name}: the peer's ${peer.tag} needs an adapter in npm-smpp-peer.ts`);
    }
    return [[def.name, { peerName: def.name, toPeer: same, fromPeer: same, def }] as const];
  }),
);

const ourTlvNameByPeer = new Map([...SHARED_TLVS].map(([name, a]) => [a.peerName, name]));

/** Our PDU as options for the peer's `new PDU(command, options)`. Unknown TLVs cannot be given to it. */
export function toPeerOptions(pdu: Pdu): Record<string, unknown> {
  const fields = pdu as unknown as Record<string, unknown>;
  const options: Record<string, unknown> = {
    command_status: pdu.command_status,
    sequence_number: pdu.sequence_number,
  };
  for (const f of PDU_BODIES[pdu.command] as readonly FieldDef[]) {
    const v = fields[f.name];
    if (f.kind === "dest_addresses") {
      options.dest_address = (v as Extract<Pdu, { command: "submit_multi" }>["dest_addresses"]).map((d) =>
        d.dest_flag === 1
          ? {
              dest_addr_ton: d.dest_addr_ton,
              dest_addr_npi: d.dest_addr_npi,
              destination_addr: d.destination_addr,
            }
          : { dl_name: d.dl_name },
      );
    } else if (f.kind === "unsuccess_smes") {
      options.unsuccess_sme = v;
    } else {
      options[f.name] = v;
    }
  }
  for (const [name, value] of Object.entries(pdu.tlvs ?? {})) {
    if (value === undefined) continue;
    const adapter = SHARED_TLVS.get(name);
    if (adapter === undefined) throw new Error(`TLV ${name} cannot be given to the peer`);
    options[adapter.peerName] = adapter.toPeer(value);
  }
  return options;
}

/** The peer's encoding of our PDU. */
export function peerEncode(pdu: Pdu): Buffer {
  return new PeerPDU(pdu.command, toPeerOptions(pdu)).toBuffer();
}

/**
 * A PDU the peer decoded, in our shape. Times stay as the peer left them (it turns them into Dates), so
 * compare those separately. Unknown TLVs (numeric keys on the peer's object) come back sorted by tag.
 */
export function fromPeer(p: PeerPdu): Pdu {
  const command = p.command as CommandName;
  const out: Record<string, unknown> = {
    command,
    command_status: p.command_status,
    sequence_number: p.sequence_number,
  };
  for (const f of PDU_BODIES[command] as readonly FieldDef[]) {
    if (f.kind === "dest_addresses") {
      out.dest_addresses = (p.dest_address as Array<Record<string, unknown>>).map((d) =>
        "dl_name" in d ? { dest_flag: 2, dl_name: d.dl_name } : { dest_flag: 1, ...d },
      );
    } else if (f.kind === "unsuccess_smes") {
      out.unsuccess_smes = p.unsuccess_sme;
    } else if (f.kind === "short_message") {
      out.short_message = peerMessageBytes(p.short_message, "short_message");
    } else {
      out[f.name] = p[f.name];
    }
  }
  const tlvs: Record<string, unknown> = {};
  const unknown: UnknownTlv[] = [];
  const fieldNames = new Set<string>(PDU_BODIES[command].map((f) => f.name));
  for (const [key, value] of Object.entries(p)) {
    if (fieldNames.has(key)) continue;
    if (/^\d+$/.test(key)) {
      unknown.push({ tag: Number(key), value: asBuffer(value, `TLV ${key}`) });
      continue;
    }
    const ours = ourTlvNameByPeer.get(key);
    if (ours === undefined) continue;
    const adapter = SHARED_TLVS.get(ours);
    if (adapter !== undefined) tlvs[ours] = adapter.fromPeer(value);
  }
  if (unknown.length > 0) tlvs.unknown = unknown;
  out.tlvs = Object.keys(tlvs).length > 0 ? (tlvs as Tlvs) : undefined;
  return out as unknown as Pdu;
}
