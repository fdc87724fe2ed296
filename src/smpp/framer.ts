import { FramingError } from "./errors.js";

const HEADER_LENGTH = 16;

export interface FramerOptions {
  /** Largest accepted command_length in octets; a longer PDU is a fatal FramingError. Default 65536. */
  maxLength?: number;
}

/**
 * Splits a byte stream into whole PDUs (one Buffer per PDU, header included).
 *
 * A frame that lies inside one chunk is returned as a view of that chunk (no copy). A frame spread over
 * chunks is assembled in one buffer of exactly its command_length, which was checked against `maxLength`
 * first, so a hostile length can never make us allocate more than the maximum.
 */
export class Framer {
  readonly maxLength: number;
  /** The frame being assembled across chunks, allocated at its full length. */
  private frame: Buffer | undefined;
  private filled = 0;
  /** command_length octets seen so far when even those are split across chunks. */
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthFilled = 0;
  private failure: FramingError | undefined;

  constructor(opts: FramerOptions = {}) {
    const maxLength = opts.maxLength ?? 65536;
    if (!Number.isInteger(maxLength) || maxLength < HEADER_LENGTH || maxLength > 0xffffffff) {
      throw new RangeError(`maxLength must be an integer from 16 to 2^32-1, got ${maxLength}`);
    }
    this.maxLength = maxLength;
  }

  /** Octets received but not yet returned as part of a frame. */
  get pendingBytes(): number {
    return this.frame ? this.filled : this.lengthFilled;
  }

  /**
   * Feed received bytes; returns the PDUs completed by them (possibly none). Partial bytes are kept.
   * @throws FramingError when a command_length is under 16 or over `maxLength`, carrying the PDUs completed
   *   before it in `frames`; the stream cannot be resynchronised, so every later call throws too.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw new FramingError(this.failure.commandLength, this.failure.message);
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const frame = this.frame;
      if (frame) {
        const take = Math.min(frame.length - this.filled, chunk.length - offset);
        chunk.copy(frame, this.filled, offset, offset + take);
        this.filled += take;
        offset += take;
        if (this.filled === frame.length) {
          frames.push(frame);
          this.frame = undefined;
          this.filled = 0;
        }
        continue;
      }
      if (this.lengthFilled === 0 && chunk.length - offset >= 4) {
        const length = this.checkLength(chunk.readUInt32BE(offset), frames);
        if (chunk.length - offset >= length) {
          frames.push(chunk.subarray(offset, offset + length));
          offset += length;
        } else {
          this.startFrame(length);
        }
        continue;
      }
      // The 4 length octets themselves are split across chunks.
      const take = Math.min(4 - this.lengthFilled, chunk.length - offset);
      chunk.copy(this.lengthBytes, this.lengthFilled, offset, offset + take);
      this.lengthFilled += take;
      offset += take;
      if (this.lengthFilled === 4) {
        this.lengthFilled = 0;
        const length = this.checkLength(this.lengthBytes.readUInt32BE(0), frames);
        this.lengthBytes.copy(this.startFrame(length), 0);
        this.filled = 4;
      }
    }
    return frames;
  }

  private startFrame(length: number): Buffer {
    const frame = Buffer.allocUnsafe(length);
    this.frame = frame;
    this.filled = 0;
    return frame;
  }

  private checkLength(length: number, completed: Buffer[]): number {
    if (length < HEADER_LENGTH || length > this.maxLength) {
      this.failure = new FramingError(
        length,
        `command_length ${length} is outside ${HEADER_LENGTH}..${this.maxLength}: closing the stream`,
        completed,
      );
      throw this.failure;
    }
    return length;
  }
}
