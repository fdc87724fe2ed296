import { CommandStatus } from "../status.js";
import type { AnswerWatch, InboundHandler, InboundPdu } from "./types.js";

/**
 * Asks `handler` for the command_status to answer a deliver_sm / data_sm with and passes it to
 * `answer`: at once when the handler answers at once (or there is none: ESME_ROK), later when it
 * returns a promise. A handler that throws or rejects gets ESME_RX_T_APPN, so the SMSC delivers the
 * PDU again.
 */
export function decideInbound(
  handler: InboundHandler | undefined,
  pdu: InboundPdu,
  sessionId: string,
  answer: (status: number) => void,
  watch?: AnswerWatch,
): void {
  if (handler === undefined) {
    answer(CommandStatus.ESME_ROK);
    return;
  }
  let result: number | Promise<number>;
  try {
    result = handler(pdu, sessionId, watch);
  } catch {
    answer(CommandStatus.ESME_RX_T_APPN);
    return;
  }
  if (typeof result === "number") {
    answer(result);
  } else {
    result.then(answer, () => answer(CommandStatus.ESME_RX_T_APPN));
  }
}

/** The {@link AnswerWatch} of one inbound PDU: what its handler asked to be told, and when it came. */
export class PendingAnswer implements AnswerWatch {
  readonly arrivedAt = performance.now();
  private callbacks: (() => void)[] | undefined;

  onRead(callback: () => void): void {
    if (this.callbacks === undefined) this.callbacks = [callback];
    else this.callbacks.push(callback);
  }

  /** True when someone asked to be told. */
  get watched(): boolean {
    return this.callbacks !== undefined;
  }

  /** The SMSC read the answer: tells each callback once; one that throws does not stop the others. */
  read(): void {
    const callbacks = this.callbacks ?? [];
    this.callbacks = undefined;
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // The handler's own business; the session goes on.
      }
    }
  }
}
