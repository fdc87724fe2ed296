import type { Pdu } from "../pdu.js";
import { CommandStatus } from "../status.js";
import type { AdaptiveRate } from "./adaptive-rate.js";
import { Backoff, type BackoffOptions } from "./backoff.js";

const THROTTLE_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RTHROTTLED,
  CommandStatus.ESME_RMSGQFUL,
]);

/**
 * The pause of a session's sending after ESME_RTHROTTLED / ESME_RMSGQFUL, growing once per throttling
 * episode (see ClientSessionOptions.throttleBackoff), and the gate that senders wait at meanwhile.
 */
export class SendPause {
  private readonly backoff: Backoff;
  private readonly sendRate: AdaptiveRate | undefined;
  private readonly onPause: (pauseMs: number, status: number) => void;
  private pausedUntil = 0;
  /**
   * Counts the throttling pauses begun. Each request notes it when written; a throttled answer to a
   * request written before the latest pause began is part of the episode that pause answers already.
   */
  private pauseEpoch = 0;
  private gate: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private release: (() => void) | undefined;

  /** `onPause` hears each pause begun; `sendRate` is told of each throttling episode. */
  constructor(
    options: BackoffOptions | undefined,
    sendRate: AdaptiveRate | undefined,
    onPause: (pauseMs: number, status: number) => void,
  ) {
    this.backoff = new Backoff({ initialMs: 200, factor: 2, maxMs: 10_000, jitter: 0.2, ...options });
    this.sendRate = sendRate;
    this.onPause = onPause;
  }

  /** True while sending is paused. */
  get paused(): boolean {
    return this.pausedUntil !== 0;
  }

  /** The pause count a request notes when it is written. */
  get epoch(): number {
    return this.pauseEpoch;
  }

  /** True while a sender waits at the gate. */
  get hasWaiters(): boolean {
    return this.release !== undefined;
  }

  /**
   * A request written at `epoch` was answered `resp` (not ESME_ROK). A throttling status pauses
   * sending, unless a pause began after the request was written: the rest of a window thrown back at
   * once must not grow the pause once per response, to 10 s after seven of them, while the SMSC would
   * take more in 200 ms.
   */
  failed(resp: Pdu, epoch: number): void {
    if (
      resp.command !== "generic_nack" &&
      THROTTLE_STATUSES.has(resp.command_status) &&
      epoch === this.pauseEpoch
    ) {
      this.begin(resp.command_status);
    }
  }

  /** A request written at `epoch` was accepted: written since the last pause began, it ends the throttling. */
  accepted(epoch: number): void {
    if (this.backoff.attempts !== 0 && epoch === this.pauseEpoch) this.backoff.reset();
  }

  /** Ends the pause now and lets every waiting sender go. */
  end(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pausedUntil = 0;
    const release = this.release;
    this.release = undefined;
    this.gate = undefined;
    release?.();
  }

  /** Resolves when the current pause ends (or {@link end} is called). */
  whenEnded(): Promise<void> {
    this.gate ??= new Promise<void>((resolve) => {
      this.release = resolve;
    });
    return this.gate;
  }

  private begin(status: number): void {
    const pauseMs = this.backoff.next();
    this.sendRate?.throttled();
    this.pauseEpoch++;
    this.pausedUntil = performance.now() + pauseMs;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), pauseMs);
    this.timer.unref();
    this.onPause(pauseMs, status);
  }
}
