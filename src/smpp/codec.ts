import type { Pdu } from "./pdu.js";

/**
 * Encode one PDU, header included. command_length is computed; sm_length comes from short_message.
 * @throws SmppEncodeError for values that do not fit their field (never truncates).
 */
export function encodePdu(pdu: Pdu): Buffer {
  throw new Error(`not implemented: ${pdu.command}`);
}

/**
 * Decode one whole PDU (header included), as returned by the Framer. `short_message`, `message_payload`
 * and unknown TLV values are views into `frame` (no copy).
 * @throws SmppDecodeError with the command_status to answer with.
 */
export function decodePdu(frame: Buffer): Pdu {
  throw new Error(`not implemented: ${frame.length}`);
}
