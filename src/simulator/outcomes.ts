/** Final states the simulator can report in a delivery receipt. */
export type ReceiptOutcome = "DELIVRD" | "UNDELIV" | "EXPIRED" | "REJECTD";

export const RECEIPT_OUTCOMES: readonly ReceiptOutcome[] = ["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"];

/** Relative weights of each outcome; missing outcomes weigh 0. */
export type OutcomeMix = Partial<Record<ReceiptOutcome, number>>;

/** What each outcome puts in a receipt: the message_state value (§5.2.28), the `err:` code and the
 * GSM error carried by network_error_code (absent on success). */
export interface OutcomeDetails {
  readonly messageState: number;
  readonly err: number;
  readonly delivered: boolean;
}

// Error values are GSM MAP causes a real SMSC would plausibly report for each final state:
// 1 unknown subscriber, 27 absent subscriber (so the message expired), 11 teleservice not provisioned.
export const OUTCOME_DETAILS: Readonly<Record<ReceiptOutcome, OutcomeDetails>> = {
  DELIVRD: { messageState: 2, err: 0, delivered: true },
  EXPIRED: { messageState: 3, err: 27, delivered: false },
  UNDELIV: { messageState: 5, err: 1, delivered: false },
  REJECTD: { messageState: 8, err: 11, delivered: false },
};

/**
 * Picks outcomes at random with the given weights.
 * Throws when no outcome has a positive weight, so a misconfiguration shows at start.
 */
export class OutcomePicker {
  private readonly cumulative: { outcome: ReceiptOutcome; upTo: number }[] = [];
  private readonly total: number;

  constructor(
    mix: OutcomeMix,
    private readonly random: () => number = Math.random,
  ) {
    let sum = 0;
    for (const outcome of RECEIPT_OUTCOMES) {
      const weight = mix[outcome] ?? 0;
      if (!Number.isFinite(weight) || weight < 0) {
        throw new RangeError(`outcome weight for ${outcome} must be a finite number >= 0`);
      }
      if (weight > 0) {
        sum += weight;
        this.cumulative.push({ outcome, upTo: sum });
      }
    }
    if (sum <= 0) throw new RangeError("the outcome mix needs at least one positive weight");
    this.total = sum;
  }

  pick(): ReceiptOutcome {
    const only = this.cumulative.length === 1 ? this.cumulative[0] : undefined;
    if (only) return only.outcome;
    const r = this.random() * this.total;
    for (const entry of this.cumulative) {
      if (r < entry.upTo) return entry.outcome;
    }
    // r === total can only come from a random() returning 1; the last bucket takes it.
    const last = this.cumulative[this.cumulative.length - 1];
    return last ? last.outcome : "DELIVRD";
  }
}

/**
 * Whether registered_delivery (§5.2.17, bits 1-0) asks for a receipt for this outcome:
 * 1 final outcome, 2 failure only, 3 success only (5.0 meaning; reserved in 3.4).
 */
export function receiptRequested(registeredDelivery: number, outcome: ReceiptOutcome): boolean {
  switch (registeredDelivery & 0x03) {
    case 1:
      return true;
    case 2:
      return !OUTCOME_DETAILS[outcome].delivered;
    case 3:
      return OUTCOME_DETAILS[outcome].delivered;
    default:
      return false;
  }
}

/** Parses `DELIVRD=90,UNDELIV=10` (CLI and HTTP form) into a mix. */
export function parseOutcomeMix(text: string): OutcomeMix {
  const mix: OutcomeMix = {};
  for (const part of text.split(",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const [name, weightText] = trimmed.split("=", 2);
    const outcome = RECEIPT_OUTCOMES.find((o) => o === name?.trim().toUpperCase());
    if (!outcome)
      throw new RangeError(`unknown receipt outcome "${name ?? ""}" (use ${RECEIPT_OUTCOMES.join(", ")})`);
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!Number.isFinite(weight) || weight < 0)
      throw new RangeError(`bad weight for ${outcome}: "${weightText}"`);
    mix[outcome] = weight;
  }
  return mix;
}
