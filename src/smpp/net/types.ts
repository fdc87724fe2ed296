import type { PduOf } from "../pdu.js";

/** How a client binds (§4.1): transceiver sends and receives on one connection. */
export type BindMode = "transceiver" | "transmitter" | "receiver";

/** Life cycle of a client session, as the admin API shows it. */
export type SessionState = "connecting" | "binding" | "bound" | "unbinding" | "backoff" | "closed";

/** A submit_sm as the caller gives it: the body only; the session fills in the header. */
export type SubmitSmBody = Omit<PduOf<"submit_sm">, "command" | "command_status" | "sequence_number">;

/** A data_sm as the caller gives it. */
export type DataSmBody = Omit<PduOf<"data_sm">, "command" | "command_status" | "sequence_number">;

export type SubmitSmResp = PduOf<"submit_sm_resp">;
export type DataSmResp = PduOf<"data_sm_resp">;

/** A PDU the SMSC pushes to us: a receipt or an inbound SMS. */
export type InboundPdu = PduOf<"deliver_sm"> | PduOf<"data_sm">;

/**
 * Decides the answer to a deliver_sm / data_sm. Resolve with the command_status to send in the
 * deliver_sm_resp (0 = accepted) ONLY once the PDU is stored; a rejection is answered ESME_RX_T_APPN
 * so the SMSC delivers it again later.
 */
export type InboundHandler = (
  pdu: InboundPdu,
  sessionId: string,
  answer?: AnswerWatch,
) => number | Promise<number>;

/**
 * The answer a session will send to one inbound PDU, for a handler that wants to know whether the SMSC
 * took it. `onRead` callbacks run once the SMSC has certainly read an ESME_ROK answer that left within
 * {@link ANSWER_IN_TIME_MS} of the PDU's arrival (answer-reads.ts), so it will not deliver the PDU
 * again. They never run when the answer was another status, was late, or its connection closed first.
 */
export interface AnswerWatch {
  onRead(callback: () => void): void;
}

/**
 * How soon an answer must leave for the SMSC to count it in time. An SMSC waits seconds to minutes for
 * a deliver_sm_resp; one that left later may have found it already resending.
 */
export const ANSWER_IN_TIME_MS = 5_000;

/** Counters and addresses of one session, in the shape of the admin API. */
export interface SessionInfo {
  id: string;
  state: SessionState;
  /** "ip:port" of our end, null before the first connection. */
  local_address: string | null;
  remote_address: string | null;
  /** ISO 8601 UTC of the current bind; null while not bound. */
  bound_at: string | null;
  /** Requests written and not yet answered (window slots in use). */
  in_flight: number;
  /** submit_sm per second the session keeps to since the SMSC throttled it; null: no such limit. */
  send_rate_limit: number | null;
  /** submit_sm written since the session was created. */
  submitted: number;
  /** deliver_sm and data_sm received since the session was created. */
  received: number;
  /** Failed requests (error status, generic_nack, timeout) plus failed connects, binds and drops. */
  errors: number;
  /** Why the session last failed, e.g. a refused bind with its status; null if it never did. */
  last_error: string | null;
}
