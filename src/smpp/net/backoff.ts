/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay, in milliseconds. Default 1000. */
  initialMs?: number;
  /** Growth factor per attempt. Default e (≈2.718), as fiorix/go-smpp. */
  factor?: number;
  /** Largest delay, in milliseconds. Default 120000. */
  maxMs?: number;
  /**
   * Fraction of each delay that is random, 0–1: a delay `d` becomes a value in `[d × (1 − jitter), d]`,
   * so many sessions that failed together do not come back together. Default 0.5.
   */
  jitter?: number;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Exponential backoff with jitter: `initial × factor^n`, capped, randomised; {@link reset} on success. */
export class Backoff {
  private readonly initialMs: number;
  private readonly factor: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.factor = options.factor ?? Math.E;
    this.maxMs = options.maxMs ?? 120_000;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in milliseconds; each call grows the next one. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Back to the first delay. */
  reset(): void {
    this.attempt = 0;
  }
}
