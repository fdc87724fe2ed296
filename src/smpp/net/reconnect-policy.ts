import { CommandStatus, SmppStatusError } from "../status.js";
import { Backoff, type BackoffOptions } from "./backoff.js";

/** The statuses that mean "your credentials are wrong": retrying soon only hammers the SMSC. */
const CREDENTIAL_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RINVPASWD,
  CommandStatus.ESME_RINVSYSID,
  CommandStatus.ESME_RBINDFAIL,
]);

/** Options of {@link ReconnectPolicy}; the same fields, meanings and defaults as in ClientSessionOptions. */
export interface ReconnectPolicyOptions {
  /** Backoff after a refused connection, a lost socket or a failed bind. Default 1 s × e up to 120 s, jitter 0.5. */
  reconnect?: BackoffOptions;
  /** A bind that lasted this long starts the backoff over. Default 30000. */
  stableBindMs?: number;
  /** Wait after a bind refused for its credentials. Default 300000 (5 min). */
  credentialBackoffMs?: number;
}

/**
 * How long a session waits before it connects again after a failure: a growing backoff, started over
 * by a bind that lasted `stableBindMs` (one the SMSC drops sooner keeps it growing, instead of a
 * reconnect every second for ever), and a long fixed wait after a bind refused for its credentials.
 */
export class ReconnectPolicy {
  private readonly options: ReconnectPolicyOptions;
  private readonly backoff: Backoff;

  constructor(options: ReconnectPolicyOptions) {
    this.options = options;
    this.backoff = new Backoff(options.reconnect);
  }

  /**
   * The wait before the next attempt after `err`, and the error that says why and when; `boundForMs` is
   * how long the bind before the failure lasted (0 when there was none).
   */
  next(err: Error, boundForMs: number): { delayMs: number; error: Error } {
    if (boundForMs >= (this.options.stableBindMs ?? 30_000)) this.backoff.reset();
    const credentials = err instanceof SmppStatusError && CREDENTIAL_STATUSES.has(err.status);
    const delayMs = credentials ? (this.options.credentialBackoffMs ?? 300_000) : this.backoff.next();
    const reason = credentials ? `bind refused (${err.message})` : err.message;
    return {
      delayMs,
      error: new Error(`${reason}; next attempt in ${formatDelay(delayMs)}`, { cause: err }),
    };
  }
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
