import type { SecureContextOptions } from "node:tls";
import type { Faults } from "./faults.js";
import type { MessageIdFormat } from "./message-id.js";
import type { OutcomeMix } from "./outcomes.js";

/** A system_id/password pair the simulator accepts. */
export interface SimulatorAccount {
  /** SMPP system_id (at most 15 characters). */
  systemId: string;
  /** SMPP password (at most 8 characters). */
  password: string;
  /** Simultaneous binds allowed for this system_id. Default: `SimulatorOptions.maxBindsPerSystemId`. */
  maxBinds?: number;
  /** A suspended account: its binds are refused with ESME_RBINDFAIL. Default false. */
  disabled?: boolean;
}

/** Structured logger the simulator reports to (pino fits). */
export interface SimulatorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of {@link Simulator}. Every field is optional. */
export interface SimulatorOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `simulator.port`). Default 0. */
  port?: number;
  /** Key and certificate to listen with TLS (SMPPS) instead of plain TCP. Default: plain TCP. */
  tls?: Pick<SecureContextOptions, "key" | "cert">;
  /** Accounts accepted at bind. Empty means any system_id/password is accepted. Default `[]`. */
  accounts?: SimulatorAccount[];
  /** Simultaneous binds per system_id before ESME_RALYBND. Default 10. */
  maxBindsPerSystemId?: number;
  /** system_id the simulator names itself in bind responses. Default `"SMPPSIM"`. */
  smscSystemId?: string;
  /** Format of message ids in submit_sm_resp and data_sm_resp. Default `"hex"`. */
  messageIdFormat?: MessageIdFormat;
  /** Format of the id inside receipts: `"same"` as submit_sm_resp, or `"other"` (hex↔decimal). Default `"same"`. */
  receiptIdFormat?: "same" | "other";
  /** Delay, in milliseconds, between a submit and its delivery receipt. Default 100. */
  dlrDelayMs?: number;
  /** Extra random delay, 0 to this many milliseconds, per receipt; non-zero reorders receipts. Default 0. */
  dlrJitterMs?: number;
  /** Weights of the receipt outcomes. Default `{ DELIVRD: 1 }`. */
  outcomes?: OutcomeMix;
  /**
   * deliver_sm outstanding per bind before waiting for deliver_sm_resp. Default 1000: receipts share the
   * connection with submit traffic, so a window smaller than the ESME's submit window would make
   * receipts lag behind submits.
   */
  deliveryWindow?: number;
  /** Wait, in milliseconds, for a deliver_sm_resp before the deliver_sm is retried. Default 10000. */
  deliveryTimeoutMs?: number;
  /** Pause, in milliseconds, before a deliver_sm answered ESME_RX_T_APPN (or unanswered) is tried again. Default 1000. */
  deliveryRetryDelayMs?: number;
  /** Attempts per deliver_sm before it is dropped (and counted). Default 10. */
  maxDeliveryAttempts?: number;
  /** deliver_sm held per system_id while no receiver is bound; the oldest are dropped beyond. Default 100000. */
  inboxLimit?: number;
  /** Received submits kept for inspection (`simulator.submits`); 0 keeps none (the fast path). Default 10000. */
  recordSubmits?: number;
  /** Faults active from the start. Default: none. */
  faults?: Partial<Faults>;
  /** HTTP control server (`POST /mo`, `GET /stats`, `GET|PUT /faults`); off unless a port is given (0 = free port). */
  control?: { port: number; host?: string };
  /** Where failed binds and session events go. Default: nowhere. */
  logger?: SimulatorLogger;
  /** Random source in [0, 1) for outcomes, jitter and fault fractions. Default `Math.random`. */
  random?: () => number;
}

/** Options with their defaults applied. */
export type ResolvedSimulatorOptions = Required<
  Omit<SimulatorOptions, "tls" | "control" | "logger" | "faults">
> &
  Pick<SimulatorOptions, "tls" | "control" | "logger" | "faults">;

export function resolveSimulatorOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  return {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    tls: options.tls,
    accounts: options.accounts ?? [],
    maxBindsPerSystemId: options.maxBindsPerSystemId ?? 10,
    smscSystemId: options.smscSystemId ?? "SMPPSIM",
    messageIdFormat: options.messageIdFormat ?? "hex",
    receiptIdFormat: options.receiptIdFormat ?? "same",
    dlrDelayMs: options.dlrDelayMs ?? 100,
    dlrJitterMs: options.dlrJitterMs ?? 0,
    outcomes: options.outcomes ?? { DELIVRD: 1 },
    deliveryWindow: options.deliveryWindow ?? 1000,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 10_000,
    deliveryRetryDelayMs: options.deliveryRetryDelayMs ?? 1000,
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? 10,
    inboxLimit: options.inboxLimit ?? 100_000,
    recordSubmits: options.recordSubmits ?? 10_000,
    faults: options.faults,
    control: options.control,
    logger: options.logger,
    random: options.random ?? Math.random,
  };
}
