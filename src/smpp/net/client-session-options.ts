import type { MalformedTlv } from "../tlv.js";
import type { AdaptiveRateOptions } from "./adaptive-rate.js";
import type { BackoffOptions } from "./backoff.js";
import type { TlsClientOptions } from "./open-socket.js";
import type { PduTraceHook } from "./pdu-connection.js";
import type { ANSWER_IN_TIME_MS, BindMode, InboundHandler, SessionState } from "./types.js";

/** Options of {@link ClientSession}. Times are in milliseconds. */
export interface ClientSessionOptions {
  /** Label in traces, errors and {@link ClientSession.info}. Default `"session"`. */
  id?: string;
  /** SMSC host name or address. */
  host: string;
  /** SMSC TCP port. */
  port: number;
  /** Connect with TLS (SMPPS) using these settings; `true` means TLS with defaults. Default: plain TCP. */
  tls?: TlsClientOptions | boolean;
  /** SMPP system_id (at most 15 characters). */
  systemId: string;
  /** SMPP password (at most 8 characters). Never logged; masked in traces. */
  password: string;
  /** SMPP system_type. Default "". */
  systemType?: string;
  /** Bind as transceiver, transmitter or receiver. Default `"transceiver"`. */
  bindMode?: BindMode;
  /** interface_version in the bind. Default 0x34 (SMPP v3.4). */
  interfaceVersion?: number;
  /** addr_ton in the bind. Default 0. */
  addrTon?: number;
  /** addr_npi in the bind. Default 0. */
  addrNpi?: number;
  /** address_range in the bind (receivers). Default "". */
  addressRange?: string;
  /** Requests outstanding at once (the window). Default 10. */
  window?: number;
  /** Wait for each response before the request fails as timed out. Default 10000. */
  responseTimeoutMs?: number;
  /** Wait for room in a full window before failing with WindowWaitTimeoutError. Default `responseTimeoutMs`. */
  windowWaitMs?: number;
  /** Wait for the TCP (and TLS) connection. Default 10000. */
  connectTimeoutMs?: number;
  /** Wait for the bind response. Default 5000. */
  bindTimeoutMs?: number;
  /** Send enquire_link after this long without receiving anything. Default 30000. */
  enquireLinkIntervalMs?: number;
  /** Wait for enquire_link_resp before the connection is dropped and rebuilt. Default `responseTimeoutMs`. */
  enquireLinkTimeoutMs?: number;
  /**
   * An ESME_ROK answer to an inbound PDU that leaves later than this after the PDU came is never
   * reported read (AnswerWatch): the SMSC may have stopped waiting and will deliver it again. Default
   * {@link ANSWER_IN_TIME_MS} (5000).
   */
  answerInTimeMs?: number;
  /** Reconnect backoff after a refused connection, a lost socket or a failed bind. Default 1 s × e up to 120 s, jitter 0.5. */
  reconnect?: BackoffOptions;
  /**
   * A bind that lasts this long starts the reconnect backoff over. One the SMSC drops sooner (too many
   * binds, an account it closes right after accepting it) keeps it growing, instead of a reconnect every
   * second for ever. Default 30000.
   */
  stableBindMs?: number;
  /** Wait after a bind refused for its credentials (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL). Default 300000 (5 min). */
  credentialBackoffMs?: number;
  /**
   * Pause of this session's sending after ESME_RTHROTTLED / ESME_RMSGQFUL. It grows once per throttling
   * episode (a pause, then requests written after it throttled again), not per throttled response: a
   * whole window thrown back at once is one episode. A success of a request written after the pause
   * began resets it. Default 200 ms × 2 up to 10 s, jitter 0.2.
   */
  throttleBackoff?: BackoffOptions;
  /**
   * After a throttling episode, keep to a little under the rate the SMSC accepted, raised while it stops
   * throttling (adaptive-rate.ts); `false` turns it off. Default on: 0.85 × the last second's accepted
   * rate, +25 % per second without throttling, lifted after a minute without any.
   */
  adaptiveRate?: AdaptiveRateOptions | false;
  /**
   * Longest a graceful {@link ClientSession.close} waits for outstanding responses and unbind_resp, and
   * longest the SMSC is given to close the link after its own unbind was answered. Default 5000.
   */
  closeTimeoutMs?: number;
  /** Largest PDU accepted from the SMSC, in octets. Default 65536. */
  maxPduLength?: number;
  /** How often timeouts are checked (one timer per window). Default 50. */
  sweepIntervalMs?: number;
  /** Receives deliver_sm / data_sm and decides their answer. Default: answer ESME_ROK at once. */
  onInbound?: InboundHandler;
  /** Low-level PDU trace, passwords masked. Default none. */
  trace?: PduTraceHook;
}

/** Events of a {@link ClientSession}. */
export interface ClientSessionEvents {
  /** Every state change, with the last error (set when the change was caused by a failure). */
  state: [state: SessionState, lastError: Error | undefined];
  /** The session paused its sending for `pauseMs` after a throttling status. */
  throttled: [pauseMs: number, status: number];
  /**
   * The SMSC sent a known TLV whose length does not fit its type; it was kept raw and the PDU handled
   * without it. Once per tag per connection, so a sloppy SMSC cannot flood the log.
   */
  malformedTlv: [tlv: MalformedTlv];
}
