import { statusInfo } from "./status.js";

/**
 * A sound frame with a bad body. Recoverable: answer it and keep the connection.
 * `status` is what to answer with; `commandId`/`sequenceNumber` come from the header so the session can
 * send the matching *_resp (known request) or generic_nack (unknown id). Both are 0 when the frame was
 * too short to carry a header.
 */
export class SmppDecodeError extends Error {
  override readonly name = "SmppDecodeError";
  readonly status: number;
  readonly commandId: number;
  readonly sequenceNumber: number;

  constructor(status: number, commandId: number, sequenceNumber: number, detail: string) {
    super(`${statusInfo(status).name}: ${detail}`);
    this.status = status;
    this.commandId = commandId;
    this.sequenceNumber = sequenceNumber;
  }
}

/** A PDU value that cannot be put on the wire as given (over-long C-string, out-of-range integer, …). */
export class SmppEncodeError extends Error {
  override readonly name = "SmppEncodeError";
  /** The PDU command being encoded. */
  readonly command: string;
  /** The offending field (`tlvs.<name>` for TLVs), or "command" for an unknown command. */
  readonly field: string;

  constructor(command: string, field: string, detail: string) {
    super(`${command}.${field}: ${detail}`);
    this.command = command;
    this.field = field;
  }
}

/** The byte stream cannot be split into PDUs any more (command_length out of bounds). Fatal: close. */
export class FramingError extends Error {
  override readonly name = "FramingError";
  /** The command_length that was read. */
  readonly commandLength: number;
  /**
   * Whole PDUs that arrived in the same push before the bad length: handle them (a response among them
   * settles a request) before closing.
   */
  readonly frames: readonly Buffer[];

  constructor(commandLength: number, detail: string, frames: readonly Buffer[] = []) {
    super(detail);
    this.commandLength = commandLength;
    this.frames = frames;
  }
}
