/**
 * Faults the simulator can inject. Every switch can be changed while it runs
 * (`simulator.setFaults({...})`, `PUT /faults` on the control port); `0`/`false` turns one off.
 */
export interface Faults {
  /** Fraction (0..1) of submit_sm / data_sm answered ESME_RTHROTTLED. Default 0. */
  throttleFraction: number;
  /** Submits per second (whole simulator) above which submits are answered ESME_RTHROTTLED; 0 = no limit. Default 0. */
  throttleRate: number;
  /** Delay, in milliseconds, before every response to a request from the ESME (binds included). Default 0. */
  responseDelayMs: number;
  /** Fraction (0..1) of submit_sm / data_sm that get no response at all (to exercise response timeouts). Default 0. */
  noResponseFraction: number;
  /** Fraction (0..1) of submit_sm answered with `submitErrorStatus` instead of success. Default 0. */
  submitErrorFraction: number;
  /** command_status used by `submitErrorFraction`. Default 0x45 (ESME_RSUBMITFAIL). */
  submitErrorStatus: number;
  /** Close a connection when it has received this many PDUs (bind included; the last one is not answered); 0 = never. Default 0. */
  dropAfterPdus: number;
  /** Refuse every bind with this command_status (e.g. 0x0D ESME_RBINDFAIL); 0 = accept as usual. Default 0. */
  refuseBindsStatus: number;
  /** Fraction (0..1) of requests answered with bytes that are not an SMPP PDU. Default 0. */
  garbageFraction: number;
}

export const NO_FAULTS: Readonly<Faults> = {
  throttleFraction: 0,
  throttleRate: 0,
  responseDelayMs: 0,
  noResponseFraction: 0,
  submitErrorFraction: 0,
  submitErrorStatus: 0x45,
  dropAfterPdus: 0,
  refuseBindsStatus: 0,
  garbageFraction: 0,
};

const FRACTIONS = [
  "throttleFraction",
  "noResponseFraction",
  "submitErrorFraction",
  "garbageFraction",
] as const;
const NON_NEGATIVE = ["throttleRate", "responseDelayMs", "dropAfterPdus"] as const;

/** Checks a partial fault set, throwing a RangeError that names the bad switch. */
export function validateFaults(patch: Partial<Faults>): void {
  for (const key of FRACTIONS) {
    const v = patch[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) {
      throw new RangeError(`${key} must be a number from 0 to 1`);
    }
  }
  for (const key of NON_NEGATIVE) {
    const v = patch[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`${key} must be a number >= 0`);
  }
  for (const key of ["submitErrorStatus", "refuseBindsStatus"] as const) {
    const v = patch[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new RangeError(`${key} must be a command_status (integer 0..0xFFFFFFFF)`);
    }
  }
}

/** Garbage the simulator answers with: a header claiming 8 octets, which no framer may accept. */
export const GARBAGE_BYTES: Buffer = Buffer.from("0000000800000000de4dbeefbadc0ffe", "hex");

/**
 * A token bucket that refills at `rate` tokens per second and holds at most one second of them.
 * The clock is passed in so the rules can be tested without waiting.
 */
export class RateLimiter {
  private tokens: number;
  private at: number;

  constructor(
    private rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.at = now;
  }

  /**
   * Changes the rate. Switched on (from 0) it starts full, like a new limiter: a sender that keeps
   * to the rate is never throttled, from the first second on.
   */
  setRate(rate: number, now: number): void {
    if (rate === this.rate) return;
    this.tokens = this.rate <= 0 ? rate : Math.min(this.tokens, rate);
    this.rate = rate;
    this.at = now;
  }

  /** Takes one token; false when the rate is exceeded. A rate of 0 never limits. */
  take(now: number): boolean {
    if (this.rate <= 0) return true;
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
