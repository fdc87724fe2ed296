import { OUTCOME_DETAILS, type ReceiptOutcome } from "./outcomes.js";

/** message_state ENROUTE (§5.2.28): accepted, final state not reached yet. */
export const STATE_ENROUTE = 1;
/** message_state UNKNOWN. */
export const STATE_UNKNOWN = 7;

/** What query_sm reports for a message. */
export interface MessageStatus {
  /** message_state (§5.2.28). */
  state: number;
  /** When the final state was reached; undefined while en route. */
  finalAt: number | undefined;
  /** GSM error of a failed message, 0 otherwise. */
  errorCode: number;
}

/**
 * The fate of the latest accepted messages, for query_sm: each id maps to its outcome and the time it
 * becomes final, so no timer is needed. Bounded: the oldest ids are forgotten beyond `capacity`.
 */
export class MessageStates {
  private readonly map = new Map<number, { outcome: ReceiptOutcome; doneAt: number }>();

  /** @param capacity ids remembered; 0 remembers none. */
  constructor(private readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  set(id: number, outcome: ReceiptOutcome, doneAt: number): void {
    if (this.capacity <= 0) return;
    this.map.set(id, { outcome, doneAt });
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  /** The status at time `now`, or undefined for an id not remembered. */
  get(id: number, now: number): MessageStatus | undefined {
    const entry = this.map.get(id);
    if (entry === undefined) return undefined;
    if (now < entry.doneAt) return { state: STATE_ENROUTE, finalAt: undefined, errorCode: 0 };
    const details = OUTCOME_DETAILS[entry.outcome];
    return { state: details.messageState, finalAt: entry.doneAt, errorCode: details.err };
  }
}
