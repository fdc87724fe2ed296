/**
 * What the admin API needs from the live SMPP session pool. The pool (src/smpp/net/) implements it
 * structurally (it does not import core); main wires the two. The types are plain values, no db rows,
 * so the pool side depends on nothing of ours.
 */

export type BindMode = "transceiver" | "transmitter" | "receiver";
export type Dcs0Charset = "gsm7" | "gsm7-packed" | "latin1" | "ascii";
export type LongMessageMode = "udh8" | "udh16" | "sar" | "payload";
export type MessageIdFormat = "auto" | "hex" | "decimal";

/** One upstream as the pool needs it: plain values, the password already decrypted. */
export interface UpstreamConfig {
  id: string;
  name: string;
  host: string;
  port: number;
  /** Wrap the TCP connection in TLS. */
  tls: boolean;
  /** PEM CA bundle to trust instead of the system store; null: system store. */
  tls_ca: string | null;
  /** Certificate name (SNI) to check when it differs from `host`; null: `host`. */
  tls_servername: string | null;
  /** Skip certificate verification (test SMSCs only). */
  tls_insecure: boolean;
  system_id: string;
  /** Decrypted; never log it, never put it in a PDU dump unmasked. */
  password: string;
  system_type: string;
  bind_mode: BindMode;
  /** Sessions to keep bound, 1–64. */
  sessions: number;
  /** Outstanding requests per session, 1–1000. */
  window: number;
  /** Submits per second across all sessions of this upstream; null: unlimited. */
  max_tps: number | null;
  /** Seconds of idle time before an enquire_link. */
  enquire_link_interval: number;
  /** Seconds to wait for a response PDU. */
  response_timeout: number;
  /** null: chosen per address (alphanumeric / international). */
  source_ton: number | null;
  source_npi: number | null;
  dest_ton: number | null;
  dest_npi: number | null;
  dcs0_charset: Dcs0Charset;
  long_message_mode: LongMessageMode;
  message_id_format: MessageIdFormat;
  /** false: keep the configuration but hold no session. */
  enabled: boolean;
  /** Whether the PDU trace starts on (the admin switch, kept across restarts). */
  pdu_log: boolean;
}

export type SessionState = "connecting" | "binding" | "bound" | "unbinding" | "backoff" | "closed";

export interface SessionInfo {
  id: string;
  state: SessionState;
  local_address: string | null;
  remote_address: string | null;
  /** ISO 8601 UTC; null while not bound. */
  bound_at: string | null;
  in_flight: number;
  /** See the SMPP layer's SessionInfo. */
  send_rate_limit: number | null;
  submitted: number;
  received: number;
  last_error: string | null;
}

export interface PduLogEntry {
  /** ISO 8601 UTC. */
  at: string;
  session_id: string;
  direction: "tx" | "rx";
  /** Command name, e.g. `submit_sm_resp`. */
  command: string;
  sequence: number;
  command_status: number;
  /** The whole PDU in lowercase hex, password octets masked. */
  hex: string;
}

export interface UpstreamRuntime {
  /**
   * Start, or rebind with the new settings, the sessions of one upstream; with `enabled: false`, close
   * them. Connection failures are session state (see {@link sessions}), not a rejection: the promise
   * settles once the new configuration is adopted, not when a session is bound.
   */
  apply(upstream: UpstreamConfig): Promise<void>;
  /** Unbind and forget every session of the upstream; unknown ids are a no-op. */
  remove(id: string): Promise<void>;
  /** The live sessions of the upstream; empty when it has none or is unknown. */
  sessions(id: string): SessionInfo[];
  /** Turn the PDU trace of the upstream's sessions on or off (off clears nothing already logged). */
  setPduLog(id: string, enabled: boolean): void;
  /** The most recent PDUs, newest first, at most `limit`. */
  pduLog(id: string, limit: number): PduLogEntry[];
}
