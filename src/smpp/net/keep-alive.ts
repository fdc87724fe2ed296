import type { Pdu } from "../pdu.js";
import { ResponseTimeoutError } from "./errors.js";
import type { PduConnection } from "./pdu-connection.js";
import type { Window } from "./window.js";

/** Options of {@link KeepAlive}, in milliseconds. */
export interface KeepAliveOptions {
  /** Send enquire_link after this long without receiving anything. */
  intervalMs: number;
  /** Wait for enquire_link_resp before the connection is dropped. */
  timeoutMs: number;
}

/**
 * The enquire_link of a bound session: one after an interval in which nothing arrived from the SMSC
 * and none is outstanding, tracked in the session's window without a slot. One left unanswered
 * destroys the connection, whose close handler then rebuilds the session.
 */
export class KeepAlive {
  private readonly window: Window<Pdu>;
  private readonly options: KeepAliveOptions;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private rxSinceCheck = false;

  constructor(window: Window<Pdu>, options: KeepAliveOptions) {
    this.window = window;
    this.options = options;
  }

  /** Something arrived from the SMSC: the link is alive. */
  received(): void {
    this.rxSinceCheck = true;
  }

  /**
   * Checks the link every interval while `live()` holds, on the connection `connection()` returns
   * at the time of each check.
   */
  start(live: () => boolean, connection: () => PduConnection | undefined): void {
    this.rxSinceCheck = false;
    this.timer = setInterval(() => {
      if (!live()) return;
      if (this.rxSinceCheck || this.pending) {
        this.rxSinceCheck = false;
        return;
      }
      void this.enquireLink(connection);
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Sends an enquire_link now on `connection()`, unless one is outstanding; true when it sent one. */
  probe(connection: () => PduConnection | undefined): boolean {
    if (this.pending) return false;
    void this.enquireLink(connection);
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async enquireLink(connection: () => PduConnection | undefined): Promise<void> {
    const conn = connection();
    if (conn === undefined) return;
    const seq = this.window.nextSequence();
    const timeoutMs = this.options.timeoutMs;
    this.pending = true;
    const answered = this.window.track(seq, "enquire_link", timeoutMs, false);
    conn.send({ command: "enquire_link", command_status: 0, sequence_number: seq });
    try {
      await answered;
    } catch (err) {
      if (err instanceof ResponseTimeoutError && conn === connection()) {
        conn.destroy(new Error(`no enquire_link_resp within ${timeoutMs} ms`));
      }
    } finally {
      this.pending = false;
    }
  }
}
