import { MAX_SEQUENCE } from "./window.js";

/**
 * Which of our answers to inbound PDUs the SMSC has certainly read. TCP delivers in order and an SMSC
 * reads in order, so once it answers a request we wrote after one of our answers, it has read that
 * answer. Our requests take their sequence numbers as they are written (the session allocates and
 * writes in one step), so "written after" is "numbered after": an answer waits here with the last
 * sequence number allocated before it, and the response to any later-numbered request settles it.
 *
 * Numbers wrap after 0x7FFFFFFF; a response is taken as later when it is less than half the range
 * ahead, which a response to an earlier request (answered within its timeout) never is.
 */
export class AnswerReads {
  private waiting: { after: number; read: () => void }[] = [];

  /** Answers waiting for proof that the SMSC read them. */
  get size(): number {
    return this.waiting.length;
  }

  /** Our answer was written while `lastSequence` was the last number given to a request of ours. */
  add(lastSequence: number, read: () => void): void {
    this.waiting.push({ after: lastSequence, read });
  }

  /** The SMSC answered our request `sequence`: every answer written before that request was read. */
  responded(sequence: number): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0] as { after: number; read: () => void };
      if (!isAfter(sequence, first.after)) return;
      this.waiting.shift();
      first.read();
    }
  }

  /** The connection is gone: what was not proven read stays unproven. */
  clear(): void {
    this.waiting = [];
  }
}

function isAfter(sequence: number, mark: number): boolean {
  const ahead = (sequence - mark + MAX_SEQUENCE) % MAX_SEQUENCE;
  return ahead > 0 && ahead < MAX_SEQUENCE / 2;
}
