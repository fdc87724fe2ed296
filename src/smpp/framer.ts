export interface FramerOptions {
  /** Largest accepted command_length in octets; a longer PDU is a fatal FramingError. Default 65536. */
  maxLength?: number;
}

/** Splits a byte stream into whole PDUs (one Buffer per PDU, header included). */
export class Framer {
  readonly maxLength: number;

  constructor(opts: FramerOptions = {}) {
    this.maxLength = opts.maxLength ?? 65536;
  }

  /**
   * Feed received bytes; returns the PDUs completed by them (possibly none). Partial bytes are kept.
   * @throws FramingError when a command_length is under 16 or over `maxLength`.
   */
  push(chunk: Buffer): Buffer[] {
    throw new Error(`not implemented: ${chunk.length}`);
  }
}
