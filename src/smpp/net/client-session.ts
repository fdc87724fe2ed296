import { EventEmitter } from "node:events";
import { CommandId, isResponseId } from "../commands.js";
import type { SmppDecodeError } from "../errors.js";
import type { Pdu, PduOf } from "../pdu.js";
import { CommandStatus, SmppStatusError } from "../status.js";
import type { MalformedTlv } from "../tlv.js";
import { AdaptiveRate } from "./adaptive-rate.js";
import { AnswerReads } from "./answer-reads.js";
import { bindHandshake } from "./bind-handshake.js";
import type { ClientSessionEvents, ClientSessionOptions } from "./client-session-options.js";
import { RequestAbortedError, SessionClosedError, WindowWaitTimeoutError } from "./errors.js";
import { decideInbound, PendingAnswer } from "./inbound-answer.js";
import { KeepAlive } from "./keep-alive.js";
import { openSocket, type TlsClientOptions } from "./open-socket.js";
import { PduConnection, type PduTraceHook } from "./pdu-connection.js";
import { ReconnectPolicy } from "./reconnect-policy.js";
import { type OutboundRequest, type RequestBody, requestPdu } from "./request-pdu.js";
import { replyToUnreadableRequest, statusError, unreadableResponse } from "./responses.js";
import { SendPause } from "./send-pause.js";
import {
  ANSWER_IN_TIME_MS,
  type BindMode,
  type DataSmBody,
  type DataSmResp,
  type InboundHandler,
  type InboundPdu,
  type SessionInfo,
  type SessionState,
  type SubmitSmBody,
  type SubmitSmResp,
} from "./types.js";
import { Window } from "./window.js";

export type { ClientSessionEvents, ClientSessionOptions } from "./client-session-options.js";

type Resp<K extends OutboundRequest> = PduOf<(typeof RESPONSE)[K]>;

/** How long answers may wait to be proven read before an enquire_link goes out to prove them. */
const READ_PROBE_MS = 1000;

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
  private readonly reconnectPolicy: ReconnectPolicy;
  private readonly sendPause: SendPause;
  private readonly keepAlive: KeepAlive;
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
  private boundAt: Date | undefined;
  private localAddress: string | null = null;
  private remoteAddress: string | null = null;
  private submittedCount = 0;
  private receivedCount = 0;
  private errorCount = 0;
  private traceHook: PduTraceHook | undefined;
  /** Tags of malformed TLVs already reported on the current connection. */
  private malformedTags = new Set<number>();
  private inboundHandler: InboundHandler | undefined;
  /** Our answers to inbound PDUs on the current connection not yet proven read by the SMSC. */
  private readonly answerReads = new AnswerReads();
  private readProbe: NodeJS.Timeout | undefined;

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
    this.reconnectPolicy = new ReconnectPolicy(options);
    this.sendRate = options.adaptiveRate === false ? undefined : new AdaptiveRate(options.adaptiveRate);
    this.sendPause = new SendPause(options.throttleBackoff, this.sendRate, (pauseMs, status) =>
      this.emit("throttled", pauseMs, status),
    );
    this.keepAlive = new KeepAlive(this.window, {
      intervalMs: options.enquireLinkIntervalMs ?? 30_000,
      timeoutMs: options.enquireLinkTimeoutMs ?? this.responseTimeoutMs,
    });
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
    if (this.currentState !== "bound" || !this.canTransmit || this.sendPause.paused) return 0;
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
    return this.sendPause.paused;
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
    if (this.sendPause.paused) await this.waitWhilePaused();
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
      this.sendPause.paused ||
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
    const epoch = this.sendPause.epoch;
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
    this.sendPause.accepted(epoch);
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
      if (this.sendPause.paused) {
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
          onMalformedTlv: (tlv) => {
            if (generation === this.generation) this.onMalformedTlv(tlv);
          },
          onClose: (err) => {
            if (generation === this.generation) this.onConnectionClosed(err);
          },
        },
        { maxPduLength: this.options.maxPduLength, label: this.id, trace: this.traceHook },
      );
      this.conn = conn;
      this.malformedTags = new Set();
      this.answerReads.clear();
      this.localAddress = conn.localAddress;
      this.remoteAddress = conn.remoteAddress;
      this.setState("binding");
      await bindHandshake(conn, this.window, this.bindMode, this.options);
      if (generation !== this.generation || this.stopping) return;
      this.boundAt = new Date();
      this.setState("bound");
      this.keepAlive.start(
        () => generation === this.generation && this.currentState === "bound",
        () => this.conn,
      );
    } catch (err) {
      if (this.stopping || generation !== this.generation) return;
      this.errorCount++;
      conn?.destroy();
      this.conn = undefined;
      this.scheduleReconnect(asError(err));
    }
  }

  private scheduleReconnect(err: Error): void {
    const boundFor = this.boundAt === undefined ? 0 : Date.now() - this.boundAt.getTime();
    const { delayMs, error } = this.reconnectPolicy.next(err, boundFor);
    this.boundAt = undefined;
    this.setState("backoff", error);
    // One pending attempt at most: each one opens a connection and makes the one before it an orphan.
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delayMs);
    this.retryTimer.unref();
  }

  private onConnectionClosed(err: Error | undefined): void {
    this.keepAlive.stop();
    this.conn = undefined;
    this.answerReads.clear();
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
    this.keepAlive.stop();
    if (this.readProbe !== undefined) clearTimeout(this.readProbe);
    this.readProbe = undefined;
    this.sendPause.end();
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
    this.keepAlive.received();
    if (isResponseId(CommandId[pdu.command])) {
      if (pdu.command === "generic_nack" && pdu.sequence_number === 0) this.errorCount++;
      // Unknown sequence numbers are answers that came after their timeout: nothing waits for them.
      // Only an answer to a request of ours still outstanding counts as proof that our answers before
      // it were read (a generic_nack numbered 0 answers nothing we sent).
      if (this.window.resolve(pdu.sequence_number, pdu)) this.answerReads.responded(pdu.sequence_number);
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
    const watch = new PendingAnswer();
    decideInbound(
      this.inboundHandler,
      pdu,
      this.id,
      (status) => this.answerInbound(conn, pdu, status, watch),
      watch,
    );
  }

  /** Answers on the connection the PDU came from; if that one is gone, the SMSC delivers it again. */
  private answerInbound(
    conn: PduConnection | undefined,
    pdu: InboundPdu,
    status: number,
    watch: PendingAnswer,
  ): void {
    if (conn === undefined || conn !== this.conn || conn.isClosed) return;
    const command = pdu.command === "deliver_sm" ? "deliver_sm_resp" : "data_sm_resp";
    conn.send({ command, command_status: status, sequence_number: pdu.sequence_number, message_id: "" });
    if (watch.watched && status === CommandStatus.ESME_ROK) {
      if (performance.now() - watch.arrivedAt > (this.options.answerInTimeMs ?? ANSWER_IN_TIME_MS)) return;
      this.answerReads.add(this.window.lastSequence, () => watch.read());
      this.scheduleReadProbe();
    }
  }

  /**
   * Makes sure a request of ours follows answers waiting to be proven read: when no response settled
   * them within a second (a receive-only link whose SMSC keeps talking sends us no reason to), an
   * enquire_link goes out, whose response settles them.
   */
  private scheduleReadProbe(): void {
    if (this.readProbe !== undefined) return;
    this.readProbe = setTimeout(() => {
      this.readProbe = undefined;
      if (this.answerReads.size === 0 || this.currentState !== "bound") return;
      // One already out may have left before the answers: try again once it is settled.
      if (!this.keepAlive.probe(() => this.conn)) this.scheduleReadProbe();
    }, READ_PROBE_MS);
    this.readProbe.unref();
  }

  private onPeerUnbind(seq: number): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.reply({ command: "unbind_resp", command_status: 0, sequence_number: seq });
    // Only a bound session is "unbinding": a bind still in progress fails when the link closes and
    // connect() schedules the one reconnect (two would open a second connection and leak the first).
    if (!this.stopping && this.currentState === "bound") this.setState("unbinding");
    this.keepAlive.stop();
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
      const settled = unreadableResponse(err, frame);
      if (settled instanceof Error) this.window.reject(seq, settled);
      else this.window.resolve(seq, settled);
      return;
    }
    const reply = replyToUnreadableRequest(err);
    if (reply !== undefined) this.reply(reply);
  }

  private onMalformedTlv(tlv: MalformedTlv): void {
    if (this.malformedTags.has(tlv.tag)) return;
    this.malformedTags.add(tlv.tag);
    this.emit("malformedTlv", tlv);
  }

  private reply(pdu: Pdu): void {
    this.conn?.send(pdu);
  }

  // ---- failures and throttling -------------------------------------------------------------------

  /** The error for a non-OK response; a throttling status also pauses this session (send-pause.ts). */
  private failed(command: string, resp: Pdu, epoch: number): Error {
    this.errorCount++;
    this.sendPause.failed(resp, epoch);
    if (resp.command_status === CommandStatus.ESME_RINVBNDSTS && this.currentState === "bound") {
      // The SMSC no longer counts this link as bound (NOTES §2: rebind, then retry). It would refuse
      // every later request the same way, so rebuild the session instead of burning each message's retries.
      this.drop(`${command} answered ESME_RINVBNDSTS: the SMSC does not count the session as bound`);
    }
    return statusError(command, resp);
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.sendPause.paused && this.currentState === "bound") await this.sendPause.whenEnded();
    if (this.currentState !== "bound") throw this.notBound();
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
      if (this.sendPause.hasWaiters) this.sendPause.end();
    }
    this.emit("state", state, this.error);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
