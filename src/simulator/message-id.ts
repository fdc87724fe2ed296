/** How the simulator writes a message id: lowercase hexadecimal or decimal digits. */
export type MessageIdFormat = "hex" | "decimal";

/**
 * Hands out message ids that are unique within the process and, in practice, across restarts.
 *
 * Ids are numbers: the start time in milliseconds times 1024 plus a counter, so a restarted
 * simulator starts above every id of the previous run unless that run kept above about a million
 * ids per second. They stay below 2^53, so the same number can be printed in either format; that is
 * what lets a receipt carry the id in the other format and still name the same message.
 */
export class MessageIdGenerator {
  private next: number;
  private readonly first: number;

  /** @param startedAtMs the epoch milliseconds the generator counts from (default: now). */
  constructor(startedAtMs: number = Date.now()) {
    this.next = Math.floor(startedAtMs) * 1024;
    this.first = this.next + 1;
  }

  /** True when `id` was handed out by this generator. */
  issued(id: number): boolean {
    return id >= this.first && id <= this.next;
  }

  /** The next id as a number (always increasing). */
  nextNumber(): number {
    this.next += 1;
    return this.next;
  }
}

const LOW_BITS = 2 ** 24;
let cachedHigh = -1;
let cachedHighHex = "";

/** Prints an id number in the given format. */
export function formatMessageId(id: number, format: MessageIdFormat): string {
  if (format === "decimal") return id.toString(10);
  // Radix conversion of a non-small integer is slow in V8; two small halves are not, and the high
  // half changes only every 16 million ids.
  const high = Math.floor(id / LOW_BITS);
  if (high === 0) return id.toString(16);
  if (high !== cachedHigh) {
    cachedHigh = high;
    cachedHighHex = high.toString(16);
  }
  return cachedHighHex + (id % LOW_BITS).toString(16).padStart(6, "0");
}

/** The other format: hex for decimal and decimal for hex. */
export function otherMessageIdFormat(format: MessageIdFormat): MessageIdFormat {
  return format === "hex" ? "decimal" : "hex";
}
