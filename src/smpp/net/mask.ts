import { CommandId } from "../commands.js";

const HEADER_LENGTH = 16;
const STAR = 0x2a;

/** True for the PDUs that carry a password right after system_id: the three binds and outbind. */
function carriesPassword(commandId: number): boolean {
  return (
    commandId === CommandId.bind_transceiver ||
    commandId === CommandId.bind_transmitter ||
    commandId === CommandId.bind_receiver ||
    commandId === CommandId.outbind
  );
}

/**
 * The frame with the password octets of a bind or outbind replaced by `*`; other PDUs come back as they
 * are (not copied). A password running to the end of a malformed frame is masked to the end; a body with
 * no NUL at all is masked whole, since where system_id ends and the password begins cannot be told.
 */
export function maskedFrame(frame: Buffer): Buffer {
  if (frame.length < HEADER_LENGTH || !carriesPassword(frame.readUInt32BE(4))) return frame;
  const systemIdEnd = frame.indexOf(0, HEADER_LENGTH);
  const start = systemIdEnd < 0 ? HEADER_LENGTH : systemIdEnd + 1;
  let end = frame.indexOf(0, start);
  if (end < 0) end = frame.length;
  const copy = Buffer.from(frame);
  copy.fill(STAR, start, end);
  return copy;
}
