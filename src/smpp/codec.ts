/**
 * bytes ⇄ typed PDUs. Pure: no sockets, no sequence counter, no clock. The per-command work is done by
 * the functions compile.ts builds from the PDU table.
 */
import type { CommandName, ResponseName } from "./commands.js";
import { isResponseId, ResponseOf } from "./commands.js";
import { COMPILED, type CompiledCommand } from "./compile.js";
import { SmppDecodeError } from "./errors.js";
import type { Pdu, PduOf } from "./pdu.js";
import { CommandStatus } from "./status.js";
import { type DecodeOptions, LENIENT } from "./tlv-codec.js";
import { encodeFailure } from "./wire.js";

export type { DecodeOptions } from "./tlv-codec.js";

const HEADER_LENGTH = 16;

// Command ids are sparse; bit 31 plus the low 9 bits tell every v3.4 id apart, so lookup is one array load.
function slot(id: number): number {
  return ((id >>> 31) << 9) | (id & 0x1ff);
}

const bySlot: (CompiledCommand | undefined)[] = new Array(1024).fill(undefined);
for (const c of COMPILED.values()) {
  if (bySlot[slot(c.id)] !== undefined) throw new Error(`command id slot clash for ${c.name}`);
  bySlot[slot(c.id)] = c;
}

/**
 * Encode one PDU, header included. command_length is computed and sm_length comes from short_message.
 * A response with a non-zero command_status, all-empty body fields and no TLVs is sent header-only
 * (§4.4.2).
 * @throws SmppEncodeError for a value that does not fit its field; nothing is ever truncated.
 */
export function encodePdu(pdu: Pdu): Buffer {
  const compiled = COMPILED.get(pdu.command);
  if (compiled === undefined)
    return encodeFailure(String(pdu.command), "command", "is not an SMPP v3.4 command");
  return compiled.encode(pdu);
}

function u32(b: Buffer, o: number): number {
  return (
    (b[o] as number) * 0x1000000 +
    (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))
  );
}

/**
 * Decode one whole PDU (header included), as returned by the Framer. `short_message`, `message_payload`
 * and unknown TLV values are views into `frame` (no copy): copy them to keep them beyond the frame's life.
 * A response with a non-zero command_status and no body decodes with empty body fields. A known TLV whose
 * length does not fit its type is kept raw in `tlvs.unknown` unless `options.strictTlvs` is set.
 * @throws SmppDecodeError carrying the command_status to answer with (see `replyToDecodeError`).
 */
export function decodePdu(frame: Buffer, options: DecodeOptions = LENIENT): Pdu {
  const n = frame.length;
  if (n < HEADER_LENGTH) {
    throw new SmppDecodeError(CommandStatus.ESME_RINVCMDLEN, 0, 0, `${n} octets cannot hold a PDU header`);
  }
  const length = u32(frame, 0);
  const id = u32(frame, 4);
  const status = u32(frame, 8);
  const seq = u32(frame, 12);
  if (length !== n) {
    throw new SmppDecodeError(
      CommandStatus.ESME_RINVCMDLEN,
      id,
      seq,
      `command_length ${length} differs from the ${n} octets received`,
    );
  }
  const compiled = bySlot[slot(id)];
  if (compiled === undefined || compiled.id !== id) {
    throw new SmppDecodeError(
      CommandStatus.ESME_RINVCMDID,
      id,
      seq,
      `command_id 0x${id.toString(16).padStart(8, "0")} is not an SMPP v3.4 command`,
    );
  }
  if (n === HEADER_LENGTH && status !== 0 && compiled.isResponse) return compiled.empty(status, seq);
  return compiled.decode(frame, status, seq, options);
}

/** A PDU of `command` whose body fields are all empty ("" / 0 / empty Buffer / []) and without TLVs. */
export function emptyPdu<K extends CommandName>(
  command: K,
  sequenceNumber: number,
  commandStatus = 0,
): PduOf<K> {
  const compiled = COMPILED.get(command);
  if (compiled === undefined) return encodeFailure(String(command), "command", "is not an SMPP v3.4 command");
  return compiled.empty(commandStatus, sequenceNumber) as PduOf<K>;
}

/**
 * What to send back for a PDU that failed to decode: the request's own response (e.g. submit_sm_resp)
 * with the error status when the command is a known request that has one, otherwise generic_nack.
 * Returns undefined for a malformed response: responses are never answered; fail the waiting request.
 */
export function replyToDecodeError(err: SmppDecodeError): PduOf<ResponseName> | undefined {
  const compiled = bySlot[slot(err.commandId)];
  const known = compiled !== undefined && compiled.id === err.commandId ? compiled.name : undefined;
  if (known !== undefined && isResponseId(err.commandId)) return undefined;
  const response =
    known !== undefined && Object.hasOwn(ResponseOf, known)
      ? ResponseOf[known as keyof typeof ResponseOf]
      : "generic_nack";
  return emptyPdu(response, err.sequenceNumber, err.status);
}
