import { EventEmitter } from "node:events";
import { emptyPdu } from "../codec.js";
import { CommandId, commandName, isResponseId, type RequestName, responseNameOf } from "../commands.js";
import type { SmppDecodeError } from "../errors.js";
import type { Pdu, PduOf } from "../pdu.js";
import { CommandStatus, SmppStatusError } from "../status.js";
import { AdaptiveRate, type AdaptiveRateOptions } from "./adaptive-rate.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { emptyResponse } from "./empty-response.js";
import {
  RequestAbortedError,
  ResponseTimeoutError,
  SessionClosedError,
  WindowWaitTimeoutError,
} from "./errors.js";
import { openSocket, type TlsClientOptions } from "./open-socket.js";
import { PduConnection, type PduTraceHook } from "./pdu-connection.js";
import { type OutboundRequest, type RequestBody, requestPdu } from "./request-pdu.js";
import type {
  BindMode,
  DataSmBody,
  DataSmResp,
  InboundHandler,
  InboundPdu,
  SessionInfo,
  SessionState,
  SubmitSmBody,
  SubmitSmResp,
} from "./types.js";
import { Window } from "./window.js";

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
}

/** The statuses that mean "your credentials are wrong": retrying soon only hammers the SMSC. */
const CREDENTIAL_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RINVPASWD,
  CommandStatus.ESME_RINVSYSID,
  CommandStatus.ESME_RBINDFAIL,
]);

const THROTTLE_STATUSES: ReadonlySet<number> = new Set([
  CommandStatus.ESME_RTHROTTLED,
  CommandStatus.ESME_RMSGQFUL,
]);

const BIND_COMMAND = {
  transceiver: "bind_transceiver",
  transmitter: "bind_transmitter",
  receiver: "bind_receiver",
} as const;

type Resp<K extends OutboundRequest> = PduOf<(typeof RESPONSE)[K]>;

const RESPONSE = {
  submit_sm: "submit_sm_resp",
  data_sm: "data_sm_resp",
  query_sm: "query_sm_resp",
  cancel_sm: "cancel_sm_resp",
  replace_sm: "replace_sm_resp",
} as const;

/**
 * One ESME session to an SMSC, kept alive for its whole life: it connects (TCP or TLS), binds, sends with
 * a window of outstanding requests, answers the SMSC, keeps the link checked with enquire_link and, when
 * the connection fails, reconnects with backoff until {@link close}. It owns the socket, the framer (via
 * {@link PduConnection}), the sequence numbers, the window and every timer.
 *
 * ```ts
 * const s = new ClientSession({ host, port, systemId, password });
 * s.start();
 * await s.whenBound(5000);
 * const { message_id } = await s.submit(body);
 * await s.close();
 * ```
 */
export class ClientSession extends EventEmitter<ClientSessionEvents> {
  readonly id: string;
  readonly bindMode: BindMode;
  readonly windowSize: number;

  private readonly options: ClientSessionOptions;
  private readonly window: Window<Pdu>;
  private readonly responseTimeoutMs: number;
  private readonly windowWaitMs: number;
  private readonly reconnectBackoff: Backoff;
  private readonly throttleBackoff: Backoff;
  private readonly sendRate: AdaptiveRate | undefined;
  private readonly canTransmit: boolean;
  private readonly tls: TlsClientOptions | undefined;

  private currentState: SessionState = "closed";
  private error: Error | undefined;
  private conn: PduConnection | undefined;
  /** Bumped for each connection so late events of an old one are ignored. */
  private generation = 0;
  private started = false;
  private stopping = false;
  private closePromise: Promise<void> | undefined;
  private cancelConnect: { cancel?: () => void } = {};
  private retryTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private enquirePending = false;
  private rxSinceCheck = false;
  private pausedUntil = 0;
  /**
   * Counts the throttling pauses begun. Each request notes it when written; a throttled answer to a
   * request written before the latest pause began is part of the episode that pause answers already.
   */
  private pauseEpoch = 0;
  private pauseGate: Promise<void> | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private releasePause: (() => void) | undefined;
  private boundAt: Date | undefined;
  private localAddress: string | null = null;
  private remoteAddress: string | null = null;
  private submittedCount = 0;
  private receivedCount = 0;
  private errorCount = 0;
  private traceHook: PduTraceHook | undefined;
  private inboundHandler: InboundHandler | undefined;

  constructor(options: ClientSessionOptions) {
    super();
    this.options = options;
    this.id = options.id ?? "session";
    this.bindMode = options.bindMode ?? "transceiver";
    this.canTransmit = this.bindMode !== "receiver";
    this.windowSize = options.window ?? 10;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
    this.windowWaitMs = options.windowWaitMs ?? this.responseTimeoutMs;
    this.window = new Window<Pdu>({ size: this.windowSize, sweepIntervalMs: options.sweepIntervalMs });
    this.reconnectBackoff = new Backoff(options.reconnect);
    this.throttleBackoff = new Backoff({
      initialMs: 200,
      factor: 2,
      maxMs: 10_000,
      jitter: 0.2,
      ...options.throttleBackoff,
    });
    this.sendRate = options.adaptiveRate === false ? undefined : new AdaptiveRate(options.adaptiveRate);
    this.tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
    this.traceHook = options.trace;
    this.inboundHandler = options.onInbound;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The error behind the last failure (refused bind, lost socket, …), kept after recovery. */
  get lastError(): Error | undefined {
    return this.error;
  }

  /** Window slots free right now; 0 unless bound, able to send and not paused by throttling. */
  get freeWindow(): number {
    if (this.currentState !== "bound" || !this.canTransmit || this.pausedUntil !== 0) return 0;
    return this.window.free;
  }

  /** Requests written and not yet answered (plus slots taken for requests about to be written). */
  get inFlight(): number {
    return this.window.inFlight;
  }

  /** Requests per second this session keeps to after throttling (adaptive-rate.ts); undefined: none. */
  get sendRateLimit(): number | undefined {
    return this.sendRate?.limit;
  }

  /** True while a throttling status keeps this session from sending. */
  get paused(): boolean {
    return this.pausedUntil !== 0;
  }

  /** The PDU trace; can be set or cleared while the session runs. */
  get trace(): PduTraceHook | undefined {
    return this.traceHook;
  }

  set trace(hook: PduTraceHook | undefined) {
    this.traceHook = hook;
    if (this.conn !== undefined) this.conn.trace = hook;
  }

  /** The handler for deliver_sm / data_sm; can be replaced while the session runs. */
  set onInbound(handler: InboundHandler | undefined) {
    this.inboundHandler = handler;
  }

  /** Counters and addresses for the admin API. */
  info(): SessionInfo {
    return {
      id: this.id,
      state: this.currentState,
      local_address: this.localAddress,
      remote_address: this.remoteAddress,
      bound_at: this.boundAt === undefined ? null : this.boundAt.toISOString(),
      in_flight: this.window.inFlight,
      send_rate_limit: this.sendRateLimit === undefined ? null : Math.round(this.sendRateLimit * 10) / 10,
      submitted: this.submittedCount,
      received: this.receivedCount,
      errors: this.errorCount,
      last_error: this.error === undefined ? null : this.error.message,
    };
  }

  /** Starts connecting; from here on the session keeps itself bound until {@link close}. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /** Resolves once bound; rejects with SessionClosedError after `timeoutMs` or when the session closes. */
  whenBound(timeoutMs: number): Promise<void> {
    if (this.currentState === "bound") return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onState = (state: SessionState) => {
        if (state === "bound") finish(undefined);
        else if (state === "closed")
          finish(new SessionClosedError(`${this.id} closed before binding`, false));
      };
      const finish = (err: Error | undefined) => {
        clearTimeout(timer);
        this.off("state", onState);
        if (err === undefined) resolve();
        else reject(err);
      };
      const timer = setTimeout(() => {
        const why = this.error === undefined ? "" : ` (last error: ${this.error.message})`;
        finish(new SessionClosedError(`${this.id} not bound within ${timeoutMs} ms${why}`, false));
      }, timeoutMs);
      timer.unref();
      this.on("state", onState);
    });
  }

  /**
   * Sends a submit_sm and resolves with its submit_sm_resp (ESME_ROK). Rejects with SmppStatusError
   * (with its retry class) for a non-zero status or a generic_nack, ResponseTimeoutError,
   * WindowWaitTimeoutError or SessionClosedError (all retryable). Once `signal` fires, the request is
   * no longer written (RequestAbortedError, nothing sent); one written already is awaited as usual.
   */
  submit(body: SubmitSmBody, signal?: AbortSignal): Promise<SubmitSmResp> {
    return this.request("submit_sm", body, signal);
  }

  /** Sends a data_sm; same contract as {@link submit}. */
  dataSm(body: DataSmBody, signal?: AbortSignal): Promise<DataSmResp> {
    return this.request("data_sm", body, signal);
  }

  /** Sends any ESME-originated request and resolves with its ESME_ROK response (see {@link submit}). */
  async request<K extends OutboundRequest>(
    command: K,
    body: RequestBody<K>,
    signal?: AbortSignal,
  ): Promise<Resp<K>> {
    if (this.currentState !== "bound") throw this.notBound();
    if (!this.canTransmit) {
      throw new SmppStatusError(CommandStatus.ESME_RINVBNDSTS, `${this.id} is bound as receiver`);
    }
    if (this.pausedUntil !== 0) await this.waitWhilePaused();
    if (!this.window.tryAcquire()) await this.window.acquire(this.windowWaitMs);
    const permit = this.sendRate?.permit(this.windowWaitMs) ?? true;
    if (permit !== true && !(await permit)) {
      this.window.release();
      throw new WindowWaitTimeoutError(this.windowWaitMs);
    }
    let conn = this.conn;
    if (
      conn === undefined ||
      !conn.writable ||
      this.pausedUntil !== 0 ||
      this.currentState !== "bound" ||
      signal?.aborted === true
    ) {
      // Not the usual path: the wait for a slot may have outlasted the start of a pause, the socket's
      // buffer, the session or the caller's patience.
      try {
        conn = await this.readyToWrite(signal);
      } catch (err) {
        this.window.release();
        throw err;
      }
    }
    const seq = this.window.nextSequence();
    const epoch = this.pauseEpoch;
    try {
      conn.send(requestPdu(command, body, seq));
    } catch (err) {
      this.window.release();
      this.errorCount++;
      throw err;
    }
    if (command === "submit_sm") this.submittedCount++;
    let resp: Pdu;
    try {
      resp = await this.window.track(seq, command, this.responseTimeoutMs, true);
    } catch (err) {
      this.errorCount++;
      throw err;
    }
    if (resp.command_status !== 0 || resp.command !== RESPONSE[command]) {
      throw this.failed(command, resp, epoch);
    }
    this.sendRate?.accepted();
    // The SMSC took one written since the last pause began: the throttling is over.
    if (this.throttleBackoff.attempts !== 0 && epoch === this.pauseEpoch) this.throttleBackoff.reset();
    return resp as Resp<K>;
  }

  /**
   * The connection to write on once the session is bound, not paused, its socket takes data and the
   * caller still wants the request; waits out pauses and a full socket buffer. The caller holds a slot.
   */
  private async readyToWrite(signal: AbortSignal | undefined): Promise<PduConnection> {
    for (;;) {
      if (signal?.aborted === true) {
        throw new RequestAbortedError(`${this.id}: request given up by its caller before it was written`);
      }
      if (this.currentState !== "bound") throw this.notBound();
      if (this.pausedUntil !== 0) {
        await this.waitWhilePaused();
        continue;
      }
      const conn = this.conn;
      if (conn === undefined) throw this.notBound();
      if (conn.writable) return conn;
      await conn.whenWritable();
      // Resolved by a close as well as by a drain: a connection that stays unwritable is gone.
      if (this.conn === conn && !conn.writable) throw this.notBound();
    }
  }

  /**
   * Graceful close: stops taking work, waits (at most `timeoutMs`, default `closeTimeoutMs`) for
   * outstanding responses, unbinds, closes the socket and clears every timer. Requests still outstanding
   * then fail with a retryable SessionClosedError. The session does not reconnect afterwards.
   */
  close(timeoutMs?: number): Promise<void> {
    this.closePromise ??= this.shutdown(timeoutMs ?? this.options.closeTimeoutMs ?? 5000);
    return this.closePromise;
  }

  // ---- connection life cycle -------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopping) return;
    const generation = ++this.generation;
    this.setState("connecting");
    let conn: PduConnection | undefined;
    try {
      const socket = await openSocket(
        this.options.host,
        this.options.port,
        this.tls,
        this.options.connectTimeoutMs ?? 10_000,
        this.cancelConnect,
      );
      if (this.stopping || generation !== this.generation) {
        socket.destroy();
        return;
      }
      conn = new PduConnection(
        socket,
        {
          onPdu: (pdu) => {
            if (generation === this.generation) this.onPdu(pdu);
          },
          onDecodeError: (err, frame) => {
            if (generation === this.generation) this.onDecodeError(err, frame);
          },
          onClose: (err) => {
            if (generation === this.generation) this.onConnectionClosed(err);
          },
        },
        { maxPduLength: this.options.maxPduLength, label: this.id, trace: this.traceHook },
      );
      this.conn = conn;
      this.localAddress = conn.localAddress;
      this.remoteAddress = conn.remoteAddress;
      this.setState("binding");
      const resp = await this.bind(conn);
      if (resp.command_status !== 0 || resp.command === "generic_nack") {
        throw statusError(BIND_COMMAND[this.bindMode], resp);
      }
      if (generation !== this.generation || this.stopping) return;
      this.boundAt = new Date();
      this.setState("bound");
      this.startEnquireLink(generation);
    } catch (err) {
      if (this.stopping || generation !== this.generation) return;
      this.errorCount++;
      conn?.destroy();
      this.conn = undefined;
      this.scheduleReconnect(asError(err));
    }
  }

  private bind(conn: PduConnection): Promise<Pdu> {
    const o = this.options;
    const seq = this.window.nextSequence();
    const command = BIND_COMMAND[this.bindMode];
    conn.send({
      command,
      command_status: 0,
      sequence_number: seq,
      system_id: o.systemId,
      password: o.password,
      system_type: o.systemType ?? "",
      interface_version: o.interfaceVersion ?? 0x34,
      addr_ton: o.addrTon ?? 0,
      addr_npi: o.addrNpi ?? 0,
      address_range: o.addressRange ?? "",
    });
    return this.window.track(seq, command, this.options.bindTimeoutMs ?? 5000, false);
  }

  private scheduleReconnect(err: Error): void {
    const boundFor = this.boundAt === undefined ? 0 : Date.now() - this.boundAt.getTime();
    if (boundFor >= (this.options.stableBindMs ?? 30_000)) this.reconnectBackoff.reset();
    const credentials = err instanceof SmppStatusError && CREDENTIAL_STATUSES.has(err.status);
    const delay = credentials ? (this.options.credentialBackoffMs ?? 300_000) : this.reconnectBackoff.next();
    const reason = credentials ? `bind refused (${err.message})` : err.message;
    this.boundAt = undefined;
    this.setState("backoff", new Error(`${reason}; next attempt in ${formatDelay(delay)}`, { cause: err }));
    // One pending attempt at most: each one opens a connection and makes the one before it an orphan.
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private onConnectionClosed(err: Error | undefined): void {
    this.stopEnquireLink();
    this.conn = undefined;
    const reason = err === undefined ? "connection closed by the SMSC" : `connection lost: ${err.message}`;
    // A bind in progress fails through its own promise (rejected here) and reconnects from connect().
    const wasBound = this.currentState === "bound" || this.currentState === "unbinding";
    this.window.rejectAll(reason);
    if (this.stopping || !wasBound) return;
    this.errorCount++;
    this.scheduleReconnect(err ?? new Error(reason));
  }

  /** Drops the connection as broken; the close handler then reconnects. */
  private drop(reason: string): void {
    this.conn?.destroy(new Error(reason));
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.started = true;
    const deadline = performance.now() + timeoutMs;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.cancelConnect.cancel?.();
    this.stopEnquireLink();
    this.endPause();
    this.sendRate?.close();
    const conn = this.conn;
    if (conn !== undefined && this.currentState === "bound") {
      this.setState("unbinding");
      this.window.rejectWaiters(`${this.id} is closing`);
      await this.window.drain(Math.max(0, deadline - performance.now()));
      if (!conn.isClosed) {
        const seq = this.window.nextSequence();
        const unbound = this.window.track(seq, "unbind", Math.max(1, deadline - performance.now()), false);
        try {
          conn.send({ command: "unbind", command_status: 0, sequence_number: seq });
          await unbound;
        } catch {
          // No unbind_resp in time (or the socket went): close anyway.
        }
      }
      conn.end();
      const left = Math.max(1, deadline - performance.now());
      await Promise.race([conn.whenClosed(), delay(left)]);
    }
    this.conn?.destroy();
    this.conn = undefined;
    this.generation++;
    this.window.close(`${this.id} closed`);
    this.boundAt = undefined;
    this.setState("closed");
  }

  // ---- incoming PDUs ---------------------------------------------------------------------------

  private onPdu(pdu: Pdu): void {
    this.rxSinceCheck = true;
    if (isResponseId(CommandId[pdu.command])) {
      if (pdu.command === "generic_nack" && pdu.sequence_number === 0) this.errorCount++;
      // Unknown sequence numbers are answers that came after their timeout: nothing waits for them.
      this.window.resolve(pdu.sequence_number, pdu);
      return;
    }
    switch (pdu.command) {
      case "deliver_sm":
      case "data_sm":
        this.onInboundPdu(pdu);
        return;
      case "enquire_link":
        this.reply({ command: "enquire_link_resp", command_status: 0, sequence_number: pdu.sequence_number });
        return;
      case "unbind":
        this.onPeerUnbind(pdu.sequence_number);
        return;
      case "alert_notification":
      case "outbind":
        // No response exists for these; a bound ESME has no use for them.
        return;
      default:
        this.reply({
          command: "generic_nack",
          command_status: CommandStatus.ESME_RINVCMDID,
          sequence_number: pdu.sequence_number,
        });
    }
  }

  private onInboundPdu(pdu: InboundPdu): void {
    this.receivedCount++;
    const conn = this.conn;
    const handler = this.inboundHandler;
    if (handler === undefined) {
      this.answerInbound(conn, pdu, CommandStatus.ESME_ROK);
      return;
    }
    let result: number | Promise<number>;
    try {
      result = handler(pdu, this.id);
    } catch {
      this.answerInbound(conn, pdu, CommandStatus.ESME_RX_T_APPN);
      return;
    }
    if (typeof result === "number") {
      this.answerInbound(conn, pdu, result);
    } else {
      result.then(
        (status) => this.answerInbound(conn, pdu, status),
        () => this.answerInbound(conn, pdu, CommandStatus.ESME_RX_T_APPN),
      );
    }
  }

  /** Answers on the connection the PDU came from; if that one is gone, the SMSC delivers it again. */
  private answerInbound(conn: PduConnection | undefined, pdu: InboundPdu, status: number): void {
    if (conn === undefined || conn !== this.conn || conn.isClosed) return;
    const command = pdu.command === "deliver_sm" ? "deliver_sm_resp" : "data_sm_resp";
    conn.send({ command, command_status: status, sequence_number: pdu.sequence_number, message_id: "" });
  }

  private onPeerUnbind(seq: number): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.reply({ command: "unbind_resp", command_status: 0, sequence_number: seq });
    // Only a bound session is "unbinding": a bind still in progress fails when the link closes and
    // connect() schedules the one reconnect (two would open a second connection and leak the first).
    if (!this.stopping && this.currentState === "bound") this.setState("unbinding");
    this.stopEnquireLink();
    conn.end();
    // The SMSC should close the link now; one that waits for us to do it would otherwise leave the
    // session "unbinding", never rebinding, for as long as the half-open socket lives.
    const timer = setTimeout(
      () => conn.destroy(new Error("the SMSC unbound and kept the connection open")),
      this.options.closeTimeoutMs ?? 5000,
    );
    timer.unref();
    void conn.whenClosed().then(() => clearTimeout(timer));
  }

  private onDecodeError(err: SmppDecodeError, frame: Buffer): void {
    this.errorCount++;
    const seq = err.sequenceNumber;
    if (isResponseId(err.commandId)) {
      const name = commandName(err.commandId);
      const commandStatus = frame.readUInt32BE(8);
      if (commandStatus === 0 && (name === "submit_sm_resp" || name === "data_sm_resp")) {
        // The SMSC took the message and wrote its answer badly (no body, a message_id without its NUL
        // or too long): read the id leniently (NOTES §2). Failed for good, the message would be reported
        // rejected while it is on its way, and a customer resending it would send it twice.
        const resp = { ...emptyPdu(name, seq, 0), message_id: lenientMessageId(frame) };
        this.window.resolve(seq, resp as Pdu);
        return;
      }
      if (commandStatus === 0 && name !== undefined && name.startsWith("bind_")) {
        // The SMSC bound us and wrote its answer badly (a system_id over 15 characters, no body): failed,
        // its decode status (ESME_RINVSYSID) would read as refused credentials and wait minutes to rebind.
        this.window.resolve(seq, emptyPdu(name, seq, 0) as Pdu);
        return;
      }
      if (commandStatus !== 0 && name !== undefined) {
        // A refusal whose body is unreadable is still the SMSC's refusal, with the SMSC's status: a
        // throttled submit must pause the session and be retried, not fail for good as a length error.
        // (PduOf over the union of names is not distributive, hence the widening to Pdu.)
        this.window.resolve(seq, emptyPdu(name, seq, commandStatus) as Pdu);
        return;
      }
      // An answer to one of ours that we cannot read: fail that request rather than let it time out.
      this.window.reject(
        seq,
        new SmppStatusError(err.status, `unreadable ${describe(err.commandId)}: ${err.message}`),
      );
      return;
    }
    const name = commandName(err.commandId);
    const resp = name === undefined ? undefined : responseNameOf(name);
    if (name !== undefined && resp !== undefined) {
      this.reply(emptyResponse(name as RequestName, seq, err.status));
    } else if (name !== "alert_notification" && name !== "outbind") {
      this.reply({ command: "generic_nack", command_status: err.status, sequence_number: seq });
    }
  }

  private reply(pdu: Pdu): void {
    this.conn?.send(pdu);
  }

  // ---- failures, throttling, enquire_link ---------------------------------------------------------

  /**
   * The error for a non-OK response. A throttling status also pauses this session, unless a pause began
   * after the request was written (`epoch`): the rest of a window thrown back at once must not grow
   * the pause once per response, to 10 s after seven of them, while the SMSC would take more in 200 ms.
   */
  private failed(command: string, resp: Pdu, epoch: number): Error {
    this.errorCount++;
    if (
      resp.command !== "generic_nack" &&
      THROTTLE_STATUSES.has(resp.command_status) &&
      epoch === this.pauseEpoch
    ) {
      this.pause(resp.command_status);
    }
    if (resp.command_status === CommandStatus.ESME_RINVBNDSTS && this.currentState === "bound") {
      // The SMSC no longer counts this link as bound (NOTES §2: rebind, then retry). It would refuse
      // every later request the same way, so rebuild the session instead of burning each message's retries.
      this.drop(`${command} answered ESME_RINVBNDSTS: the SMSC does not count the session as bound`);
    }
    return statusError(command, resp);
  }

  private pause(status: number): void {
    const pauseMs = this.throttleBackoff.next();
    this.sendRate?.throttled();
    this.pauseEpoch++;
    this.pausedUntil = performance.now() + pauseMs;
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.endPause(), pauseMs);
    this.pauseTimer.unref();
    this.emit("throttled", pauseMs, status);
  }

  private endPause(): void {
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.pausedUntil = 0;
    const release = this.releasePause;
    this.releasePause = undefined;
    this.pauseGate = undefined;
    release?.();
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.pausedUntil !== 0 && this.currentState === "bound") {
      this.pauseGate ??= new Promise<void>((resolve) => {
        this.releasePause = resolve;
      });
      await this.pauseGate;
    }
    if (this.currentState !== "bound") throw this.notBound();
  }

  private startEnquireLink(generation: number): void {
    const interval = this.options.enquireLinkIntervalMs ?? 30_000;
    this.rxSinceCheck = false;
    this.enquireTimer = setInterval(() => {
      if (generation !== this.generation || this.currentState !== "bound") return;
      if (this.rxSinceCheck || this.enquirePending) {
        this.rxSinceCheck = false;
        return;
      }
      void this.enquireLink();
    }, interval);
    this.enquireTimer.unref();
  }

  private stopEnquireLink(): void {
    if (this.enquireTimer !== undefined) clearInterval(this.enquireTimer);
    this.enquireTimer = undefined;
  }

  private async enquireLink(): Promise<void> {
    const conn = this.conn;
    if (conn === undefined) return;
    const seq = this.window.nextSequence();
    const timeoutMs = this.options.enquireLinkTimeoutMs ?? this.responseTimeoutMs;
    this.enquirePending = true;
    const answered = this.window.track(seq, "enquire_link", timeoutMs, false);
    conn.send({ command: "enquire_link", command_status: 0, sequence_number: seq });
    try {
      await answered;
    } catch (err) {
      if (err instanceof ResponseTimeoutError && conn === this.conn) {
        this.drop(`no enquire_link_resp within ${timeoutMs} ms`);
      }
    } finally {
      this.enquirePending = false;
    }
  }

  private notBound(): SessionClosedError {
    return new SessionClosedError(`${this.id} is not bound (${this.currentState})`, false);
  }

  private setState(state: SessionState, err?: Error): void {
    if (err !== undefined) this.error = err;
    if (state === this.currentState && err === undefined) return;
    this.currentState = state;
    if (state !== "bound") {
      // Callers parked behind a throttling pause must learn that the session went away.
      if (this.releasePause !== undefined) this.endPause();
    }
    this.emit("state", state, this.error);
  }
}

/** A failed response as a typed error: its status, or the generic_nack's, or "unknown" for a wrong reply. */
function statusError(command: string, resp: Pdu): SmppStatusError {
  if (resp.command === "generic_nack") {
    const status = resp.command_status === 0 ? CommandStatus.ESME_RUNKNOWNERR : resp.command_status;
    const info = new SmppStatusError(status);
    return new SmppStatusError(status, `${command} answered with generic_nack: ${info.message}`);
  }
  if (resp.command_status === 0) {
    return new SmppStatusError(CommandStatus.ESME_RUNKNOWNERR, `${command} answered with ${resp.command}`);
  }
  return new SmppStatusError(resp.command_status);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function describe(commandId: number): string {
  return commandName(commandId) ?? `command 0x${hex(commandId)}`;
}

/** A response's message_id read leniently: the body's octets up to the first NUL or the end, at most 64. */
function lenientMessageId(frame: Buffer): string {
  const body = frame.subarray(16);
  const nul = body.indexOf(0);
  return body.subarray(0, Math.min(nul < 0 ? body.length : nul, 64)).toString("latin1");
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
