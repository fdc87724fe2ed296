/** Counters of a running simulator (`simulator.stats()`, `GET /stats`). */
export interface SimulatorStats {
  /** Connections open now. */
  connections: number;
  /** Sessions bound now. */
  bound: number;
  /** Sessions bound now that take deliver_sm (receiver or transceiver). */
  receivers: number;
  bindsAccepted: number;
  bindsRefused: number;
  /** submit_sm and data_sm received. */
  submits: number;
  /** submit_sm and data_sm answered ESME_ROK. */
  submitsAccepted: number;
  /** Answered ESME_RTHROTTLED. */
  throttled: number;
  /** Answered with the `submitErrorStatus` fault. */
  submitErrors: number;
  /** Left unanswered by the `noResponseFraction` fault. */
  unanswered: number;
  queries: number;
  /** Receipts waiting for their delay to pass. */
  receiptsScheduled: number;
  /** deliver_sm receipts written (retries included). */
  receiptsSent: number;
  /** Receipts answered ESME_ROK. */
  receiptsAcked: number;
  /** Receipts given up (permanent error, out of attempts, pushed out of a full inbox). */
  receiptsFailed: number;
  /** Inbound SMS parts injected. */
  moInjected: number;
  /** deliver_sm inbound SMS parts written (retries included). */
  moSent: number;
  moAcked: number;
  moFailed: number;
  /** deliver_sm held because no receiver is bound or all are busy (the inbox). */
  held: number;
  /** deliver_sm waiting to be retried. */
  retrying: number;
  /** Connections closed by the `dropAfterPdus` fault. */
  dropped: number;
  /** Requests answered with garbage. */
  garbage: number;
}

/** The counters that only ever grow; the rest are read live. */
export type SimulatorCounters = Omit<
  SimulatorStats,
  "connections" | "bound" | "receivers" | "receiptsScheduled" | "held" | "retrying"
>;

export function zeroCounters(): SimulatorCounters {
  return {
    bindsAccepted: 0,
    bindsRefused: 0,
    submits: 0,
    submitsAccepted: 0,
    throttled: 0,
    submitErrors: 0,
    unanswered: 0,
    queries: 0,
    receiptsSent: 0,
    receiptsAcked: 0,
    receiptsFailed: 0,
    moInjected: 0,
    moSent: 0,
    moAcked: 0,
    moFailed: 0,
    dropped: 0,
    garbage: 0,
  };
}
