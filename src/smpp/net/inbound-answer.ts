import { CommandStatus } from "../status.js";
import type { InboundHandler, InboundPdu } from "./types.js";

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
): void {
  if (handler === undefined) {
    answer(CommandStatus.ESME_ROK);
    return;
  }
  let result: number | Promise<number>;
  try {
    result = handler(pdu, sessionId);
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
